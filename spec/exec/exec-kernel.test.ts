// execProgram and execve/execveat on a real Kernel: replacing the image, errors leaving the caller intact.
import test from 'ava';
import * as fs from 'fs';
import { getU64, Reg } from '../../lib/arch/riscv64/state';
import { ExecError, KernelError } from '../../lib/emukernel/errno';
import { execProgram } from '../../lib/emukernel/exec/exec';
import { Kernel } from '../../lib/emukernel/kernel';
import { STACK_TOP } from '../../lib/emukernel/mm/layout';
import { buildStatic } from './fixtures';

const probe = buildStatic('spec/exec/fixtures/exec-probe.c', 'exec-probe', ['-pthread']);
const auxdump = buildStatic('spec/exec/fixtures/auxdump.c', 'auxdump');

function kernel(): Kernel {
  const k = new Kernel();
  k.importHostFile(probe, '/bin/probe');
  k.rootfs.writeFile('/bin/notelf', Buffer.from('#!/bin/sh\necho hi\n'), 0o755);
  k.rootfs.writeFile('/bin/noexec', fs.readFileSync(probe), 0o644);
  k.rootfs.mkdirp('/bin/dir');
  return k;
}

async function runProbe(args: string[]): Promise<number> {
  const k = kernel();
  k.spawnInit({ path: '/bin/probe', argv: ['probe', ...args], envp: [] });
  return (await k.runToCompletion()).status;
}

test('execve replaces the program, passing argv and envp', async (t) => {
  // The exec'd probe sees argv = [/bin/probe, a, b] and PROBE=abc: 3 * 10 + 3.
  t.is(await runProbe(['exec', '/bin/probe', 'a', 'b']), 33);
});

test('fexecve and execveat with a directory fd', async (t) => {
  t.is(await runProbe(['fexec', '/bin/probe', 'a']), 24);
  t.is(await runProbe(['atexec', '/bin/probe', 'a', 'b', 'c']), 45);
  t.is(await runProbe(['atexec', '/bin/nothing']), 100 + 2);
});

test('execve from a multi-threaded process ends the other threads', async (t) => {
  t.is(await runProbe(['texec', '/bin/probe', 'a']), 23);
});

test('a failed execve returns to the caller with the errno', async (t) => {
  t.is(await runProbe(['exec', '/bin/missing']), 100 + 2, 'ENOENT');
  t.is(await runProbe(['exec', '/bin/notelf']), 100 + 8, 'ENOEXEC');
  t.is(await runProbe(['exec', '/bin/noexec']), 100 + 13, 'EACCES');
  t.is(await runProbe(['exec', '/bin/dir']), 100 + 13, 'EACCES for a directory');
});

test('execProgram sets up the task: registers, comm, a fresh mm', (t) => {
  const k = kernel();
  k.importHostFile(auxdump, '/usr/bin/a-very-long-program-name');
  const init = k.spawnInit({ path: '/bin/probe', argv: ['probe'], envp: [] });
  const oldMm = init.mm;
  init.cpu.x[2 * Reg.a0] = 77;
  init.cpu.fi[3] = 5;
  execProgram(k, init, '/usr/bin/a-very-long-program-name', ['x'], ['E=1']);
  t.not(init.mm, oldMm);
  t.is(oldMm.users, 0, 'the old mm was released');
  t.is(init.comm, 'a-very-long-pro');
  t.is(init.cpu.x[2 * Reg.a0], 0);
  t.is(init.cpu.fi[3], 0);
  const sp = getU64(init.cpu, Reg.sp);
  t.true(sp < STACK_TOP && sp % 16 === 0);
  t.is(init.mm.readU64Num(sp), 1, 'argc');
  t.is(init.mm.exePath, '/usr/bin/a-very-long-program-name');
  t.is(init.mm.auxv.find(([k]) => k === 9)?.[1], init.cpu.pc);
});

test('a failing execProgram leaves the task untouched', (t) => {
  const k = kernel();
  const init = k.spawnInit({ path: '/bin/probe', argv: ['probe'], envp: [] });
  const mm = init.mm, pc = init.cpu.pc, comm = init.comm;
  const e1 = t.throws(() => execProgram(k, init, '/bin/notelf', [], []), { instanceOf: ExecError });
  t.is(e1?.message, '/bin/notelf: not an ELF file');
  t.throws(() => execProgram(k, init, '/nope', [], []), { instanceOf: KernelError });
  t.throws(() => execProgram(k, init, '/bin/probe', ['x'.repeat(200_000)], []), { instanceOf: KernelError, message: /E2BIG/ });
  t.is(init.mm, mm);
  t.is(mm.users, 1);
  t.is(init.cpu.pc, pc);
  t.is(init.comm, comm);
});

test('spawnInit reports a missing program with status 127 and a non-ELF with 126', (t) => {
  const missing = t.throws(() => kernel().spawnInit({ path: '/bin/missing', argv: [], envp: [] }), { instanceOf: ExecError });
  t.is((missing as ExecError).status, 127);
  const notElf = t.throws(() => kernel().spawnInit({ path: '/bin/notelf', argv: [], envp: [] }), { instanceOf: ExecError });
  t.is((notElf as ExecError).status, 126);
});
