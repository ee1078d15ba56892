// The freezer: a container frozen at any instruction boundary, blocked tasks included, thaws into the same run.
import test from 'ava';
import * as path from 'node:path';
import { Kernel } from '../../lib/emukernel/kernel';
import { MemoryHostIo } from '../../lib/emukernel/fs/memory-host-io';
import { EXAMPLES_DIR } from '../examples/harness';

interface Run { stdout: string; status: number; instructions: number; blockedAtFreeze: string[] }

/** Run an example in-process; at each cut, freeze, check nothing runs for a while, then thaw. */
async function runExample(name: string, args: string[], cuts: number[]): Promise<Run> {
  const io = new MemoryHostIo();
  const k = new Kernel({ hostIo: io });
  const host = path.join(EXAMPLES_DIR, name);
  k.importHostFile(host, host);
  k.spawnInit({ path: host, argv: [host, ...args], envp: ['PATH=/bin'], cwd: '/tmp' });
  const blockedAtFreeze: string[] = [];
  const pending = [...cuts].sort((a, b) => a - b);
  const arm = (): void => {
    const cut = pending.shift();
    if (cut === undefined) return;
    k.scheduler.instructionTarget = cut;
    k.scheduler.onInstructionTarget = async () => {
      k.scheduler.freeze();
      const at = k.instructions;
      for (const t of k.runOrder) if (t.state === 'blocked') blockedAtFreeze.push(`${t.tid}:${k.describeSyscall(t)}`);
      await new Promise((r) => setTimeout(r, 5));
      if (k.instructions !== at) throw new Error(`instructions moved while frozen: ${at} -> ${k.instructions}`);
      arm();
      k.scheduler.thaw();
    };
  };
  arm();
  const r = await k.runToCompletion();
  return { stdout: io.text(1), status: r.status, instructions: r.instructions, blockedAtFreeze };
}

/** name, args, and whether several tasks exist (only then can a freeze find one asleep: time stops with no runner). */
const CASES: [string, string[], boolean][] = [
  ['pipeline', ['300', '/tmp/out'], true],
  ['threads', [], true],
  ['sleep', [], false],
  ['signals', [], true],
  ['exec', [path.join(EXAMPLES_DIR, 'hello')], false],
];

for (const [name, args, multi] of CASES) {
  test(`freeze/thaw at 12 points leaves ${name}'s output and instruction count unchanged`, async (t) => {
    const plain = await runExample(name, args, []);
    t.true(plain.instructions > 1000);
    const cuts = Array.from({ length: 12 }, (_, i) => Math.floor((plain.instructions * (i + 1)) / 13));
    const frozen = await runExample(name, args, cuts);
    t.is(frozen.stdout, plain.stdout);
    t.is(frozen.status, plain.status);
    t.is(frozen.instructions, plain.instructions);
    if (multi) t.true(frozen.blockedAtFreeze.length > 0, 'some freeze caught a task asleep in a syscall');
    t.log(`blocked at freeze: ${[...new Set(frozen.blockedAtFreeze.map((s) => s.split(':')[1]))].join(', ')}`);
  });
}
