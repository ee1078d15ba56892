// Child process for blocked.test.ts: boots an example exactly as `crfs run` does, logs its waits and signals, then
// re-runs it and checkpoints it in-process at chosen cut points. Usage: node trace-child.js OUT.json ELF [ARGS...]
import * as fs from 'node:fs';
import pino from 'pino';
import { bootProgram, collectHostEnv } from '../../lib/crfs/cli/run';
import { collectImageDetail, TaskDetail } from '../../lib/crfs/cli/info-detail';
import { CHECKPOINT_THAW, sysCheckpoint } from '../../lib/emukernel/checkpoint/sys';
import { BLOCKED, SyscallHandler } from '../../lib/emukernel/syscall';
import type { Kernel } from '../../lib/emukernel/kernel';

/** One watched syscall: `at` is the container's instruction count just after its ecall. */
export interface TraceEvent { at: number; tid: number; nr: number; blocked: boolean }
export interface TraceSnapshot { cut: number; instructions: number; tasks: TaskDetail[] }
export interface TraceResult {
  /** Instructions of the traced run and of the run with the in-process checkpoints (must agree). */
  total: number;
  totalWithCheckpoints: number;
  events: TraceEvent[];
  snapshots: TraceSnapshot[];
  /** Checkpoints that failed, as "cut: message". */
  failures: string[];
}

/** Waits (read, write, readv, writev, ppoll, wait4, waitid, futex, nanosleep, clock_nanosleep, rt_sigsuspend) and signal sends. */
const WAITS = new Set([63, 64, 65, 66, 73, 260, 95, 98, 101, 115, 133]);
const SENDS = new Set([129, 130, 131, 138, 240]);
/** Cut candidates kept per syscall number: the events nearest the middle of the run. */
const PER_SYSCALL = 4;

function traceSyscalls(k: Kernel, events: TraceEvent[]): void {
  const original = k.syscallHandler.bind(k);
  const wrapped = new Map<number, SyscallHandler>();
  k.syscallHandler = (nr: number): SyscallHandler | undefined => {
    const h = original(nr);
    if (!h || !(WAITS.has(nr) || SENDS.has(nr))) return h;
    let w = wrapped.get(nr);
    if (!w) {
      w = (kk, t) => {
        const r = h(kk, t);
        events.push({ at: kk.instructions, tid: t.tid, nr, blocked: r === BLOCKED });
        return r;
      };
      wrapped.set(nr, w);
    }
    return w;
  };
}

/** Blocking waits and every signal send, the few nearest the middle per syscall number, ascending. */
function chooseCuts(events: TraceEvent[], total: number): number[] {
  const byNr = new Map<number, TraceEvent[]>();
  for (const e of events) {
    if (!(e.blocked || SENDS.has(e.nr))) continue;
    byNr.set(e.nr, [...(byNr.get(e.nr) ?? []), e]);
  }
  const cuts = new Set<number>();
  for (const list of byNr.values()) {
    const near = [...list].sort((a, b) => Math.abs(a.at - total / 2) - Math.abs(b.at - total / 2)).slice(0, PER_SYSCALL);
    for (const e of near) if (e.at > 0 && e.at < total) cuts.add(e.at);
  }
  return [...cuts].sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const [out, elf, ...args] = process.argv.slice(2);
  const log = pino({ level: 'silent' });
  const envp = collectHostEnv(process.env);
  const events: TraceEvent[] = [];
  const k1 = await bootProgram(elf, args, envp, log);
  traceSyscalls(k1, events);
  const r1 = await k1.runToCompletion();

  const cuts = chooseCuts(events, r1.instructions);
  const snapshots: TraceSnapshot[] = [];
  const failures: string[] = [];
  const k2 = await bootProgram(elf, args, envp, log);
  const scratch = `${out}.img`;
  let next = 0;
  const arm = (): void => {
    if (next >= cuts.length) return;
    const cut = cuts[next++];
    k2.scheduler.instructionTarget = cut;
    k2.scheduler.onInstructionTarget = () => {
      if (k2.init?.state === 'alive') {
        const fd = fs.openSync(scratch, 'w');
        try {
          sysCheckpoint(k2, k2.init.pid, fd, CHECKPOINT_THAW);
          snapshots.push({ cut, instructions: k2.instructions, tasks: collectImageDetail(fs.readFileSync(scratch)).tasks });
        } catch (e) {
          failures.push(`${cut}: ${e instanceof Error ? e.message : String(e)}`);
        } finally {
          fs.closeSync(fd);
        }
      }
      arm();
    };
  };
  arm();
  const r2 = await k2.runToCompletion();
  fs.rmSync(scratch, { force: true });
  const result: TraceResult = { total: r1.instructions, totalWithCheckpoints: r2.instructions, events, snapshots, failures };
  fs.writeFileSync(out, JSON.stringify(result));
}

main().then(() => process.exit(0), (e: unknown) => {
  process.stderr.write(`trace-child: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(70);
});
