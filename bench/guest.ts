// Guest programs for the benchmarks: built from bench/programs/*.c and run in an in-process container.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Kernel } from '../lib/emukernel/kernel';
import { MemoryHostIo } from '../lib/emukernel/fs/memory-host-io';
import { REPO_ROOT } from './measure';

/** bench/programs/<name>.c built into build/bench/<name> (static riscv64, as push.ts builds hog), rebuilt when older than its source. */
export function buildGuestProgram(name: string): string {
  const src = path.join(REPO_ROOT, 'bench/programs', `${name}.c`);
  const out = path.join(REPO_ROOT, 'build/bench', name);
  if (!fs.existsSync(out) || fs.statSync(out).mtimeMs < fs.statSync(src).mtimeMs) {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    execFileSync('riscv64-linux-gnu-gcc', ['-static', '-O2', '-o', out, src]);
  }
  return out;
}

export interface Container {
  readonly k: Kernel;
  readonly io: MemoryHostIo;
}

/** How often (in retired instructions) the container's stdout is looked at for the program's "ready". */
const READY_POLL = 1_000_000;

/**
 * A container running `program args` as init, frozen at the first poll (every million instructions,
 * about 10 ms) after the program has written `ready` to stdout. Rejects if it ends first.
 */
export async function bootUntilReady(program: string, args: readonly string[]): Promise<Container> {
  const io = new MemoryHostIo();
  const k = new Kernel({ hostIo: io });
  k.importHostFile(program, program);
  k.spawnInit({ path: program, argv: [program, ...args], envp: [], cwd: '/tmp' });
  let ready = false;
  const arm = (): void => {
    k.scheduler.instructionTarget = k.instructions + READY_POLL;
    k.scheduler.onInstructionTarget = () => {
      if (io.text(1).includes('ready')) {
        ready = true;
        k.scheduler.freeze();
      } else {
        arm();
      }
    };
  };
  arm();
  await k.scheduler.runWhile(() => !ready && k.init?.state === 'alive');
  if (!ready) throw new Error(`${path.basename(program)} ended before it was ready: ${io.text(2).trim().split('\n')[0] ?? ''}`);
  return { k, io };
}

export interface Running {
  /** Resolves when the scheduler loop has stopped (stop() called, or init ended). */
  readonly done: Promise<void>;
  stop(): void;
}

/**
 * Thaws the container and runs it on this event loop, as `crfs run` does, until stop() or until
 * init ends. Checkpoints may be taken meanwhile: the scheduler yields to the event loop every 10 ms.
 * With `turnMs`, the scheduler is instead driven in runs of that many ms with an event-loop turn
 * between them (what a scheduler yielding more often would do; `crfs run` does not do this).
 */
export function runInBackground(c: Container, turnMs?: number): Running {
  let stopped = false;
  const alive = (): boolean => !stopped && c.k.init?.state === 'alive';
  c.k.scheduler.thaw();
  const done = turnMs === undefined ? c.k.scheduler.runWhile(alive) : (async () => {
    while (alive()) {
      const end = Date.now() + turnMs;
      await c.k.scheduler.runWhile(() => alive() && Date.now() < end);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  })();
  return { done, stop: () => { stopped = true; } };
}
