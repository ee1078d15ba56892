// rt_sigaction, rt_sigprocmask, rt_sigpending, sigaltstack, kill/tkill/tgkill/rt_sigqueueinfo: arguments, errors, effects.
import test from 'ava';
import { Reg, setI64 } from '../../lib/arch/riscv64/state';
import { EFAULT, EINVAL, ENOMEM, EPERM, ESRCH } from '../../lib/emukernel/errno';
import * as C from '../../lib/emukernel/signal/constants';
import { signalSyscalls } from '../../lib/emukernel/signal/syscalls';
import type { SyscallHandler } from '../../lib/emukernel/syscall';
import { NR } from '../../lib/emukernel/syscall-numbers';
import type { Task } from '../../lib/emukernel/task';
import { callSyscall, DATA_LO, FakeKernel, makeProcess, makeThread, UNMAPPED } from './fixture';
import { signalAbi } from './oracle';

function sys(k: FakeKernel, t: Task, nr: number, ...args: number[]): number {
  const h = signalSyscalls[nr] as SyscallHandler;
  const r = callSyscall(k, t, nr, h as never, ...args);
  if (typeof r !== 'number') throw new Error('unexpected marker');
  return r;
}

const ACT = DATA_LO, OACT = DATA_LO + 0x40, SET = DATA_LO + 0x80, OSET = DATA_LO + 0x88, INFO = DATA_LO + 0x100;

/** Write a struct sigaction at `addr` using the kernel header's offsets (from the oracle). */
function writeKsa(t: Task, addr: number, handler: number, flags: number, mask: bigint): void {
  const abi = signalAbi();
  t.mm.write(addr, new Uint8Array(abi.get('ksigaction.size')!));
  t.mm.writeU64Num(addr + abi.get('ksigaction.sa_handler')!, handler);
  t.mm.writeU64Num(addr + abi.get('ksigaction.sa_flags')!, flags);
  t.mm.writeU64(addr + abi.get('ksigaction.sa_mask')!, mask);
}

test('rt_sigaction installs and reports struct sigaction in the kernel layout', (t) => {
  const abi = signalAbi();
  const k = new FakeKernel();
  const task = makeProcess(k, 10);
  const flags = (C.SA_SIGINFO | C.SA_RESTART | C.SA_RESETHAND | 0x400) >>> 0; // 0x400: SA_UNSUPPORTED, dropped
  writeKsa(task, ACT, 0x12340, flags, C.sigBit(C.SIGTERM) | C.sigBit(C.SIGKILL));
  t.is(sys(k, task, NR.rt_sigaction, C.SIGUSR1, ACT, 0, 8), 0);
  t.deepEqual(task.sighand.get(C.SIGUSR1), {
    handler: 0x12340, flags: (C.SA_SIGINFO | C.SA_RESTART | C.SA_RESETHAND) >>> 0, mask: C.sigBit(C.SIGTERM), restorer: 0,
  });
  writeKsa(task, ACT, C.SIG_IGN, 0, 0n);
  t.is(sys(k, task, NR.rt_sigaction, C.SIGUSR1, ACT, OACT, 8), 0);
  t.is(task.mm.readU64Num(OACT + abi.get('ksigaction.sa_handler')!), 0x12340);
  t.is(task.mm.readU64Num(OACT + abi.get('ksigaction.sa_flags')!), (C.SA_SIGINFO | C.SA_RESTART | C.SA_RESETHAND) >>> 0);
  t.is(task.mm.readU64(OACT + abi.get('ksigaction.sa_mask')!), C.sigBit(C.SIGTERM));
  t.is(task.sighand.get(C.SIGUSR1).handler, C.SIG_IGN);
});

test('rt_sigaction errors: bad signal, SIGKILL/SIGSTOP, sigsetsize, EFAULT', (t) => {
  const k = new FakeKernel();
  const task = makeProcess(k, 10);
  writeKsa(task, ACT, 0x1000, 0, 0n);
  t.is(sys(k, task, NR.rt_sigaction, 0, ACT, 0, 8), -EINVAL);
  t.is(sys(k, task, NR.rt_sigaction, 65, ACT, 0, 8), -EINVAL);
  t.is(sys(k, task, NR.rt_sigaction, C.SIGKILL, ACT, 0, 8), -EINVAL);
  t.is(sys(k, task, NR.rt_sigaction, C.SIGSTOP, ACT, 0, 8), -EINVAL);
  t.is(sys(k, task, NR.rt_sigaction, C.SIGKILL, 0, OACT, 8), 0); // querying is allowed
  t.is(sys(k, task, NR.rt_sigaction, C.SIGUSR1, ACT, 0, 4), -EINVAL);
  t.is(sys(k, task, NR.rt_sigaction, C.SIGUSR1, UNMAPPED, 0, 8), -EFAULT);
  t.is(task.sighand.get(C.SIGUSR1).handler, C.SIG_DFL);
  t.is(sys(k, task, NR.rt_sigaction, C.SIGUSR1, ACT, UNMAPPED, 8), -EFAULT);
  t.is(task.sighand.get(C.SIGUSR1).handler, 0x1000); // installed before oact failed, as Linux
});

test('rt_sigaction to SIG_IGN (or SIG_DFL of an ignore-default signal) discards pending instances in every thread', (t) => {
  const k = new FakeKernel();
  const task = makeProcess(k, 10);
  const th = makeThread(k, task, 11);
  task.blocked = C.sigBit(C.SIGUSR1) | C.sigBit(C.SIGCHLD);
  th.blocked = task.blocked;
  task.sighand.set(C.SIGCHLD, { handler: 0x1000, flags: 0, mask: 0n, restorer: 0 });
  task.proc.signal.shared.add({ signo: C.SIGUSR1, code: 0, pid: 1, uid: 0 });
  th.pending.add({ signo: C.SIGUSR1, code: 0, pid: 1, uid: 0 });
  th.pending.add({ signo: C.SIGCHLD, code: 0, pid: 1, uid: 0 });
  writeKsa(task, ACT, C.SIG_IGN, 0, 0n);
  t.is(sys(k, task, NR.rt_sigaction, C.SIGUSR1, ACT, 0, 8), 0);
  t.is(task.proc.signal.shared.mask, 0n);
  t.is(th.pending.mask, C.sigBit(C.SIGCHLD));
  writeKsa(task, ACT, C.SIG_DFL, 0, 0n);
  t.is(sys(k, task, NR.rt_sigaction, C.SIGCHLD, ACT, 0, 8), 0);
  t.is(th.pending.mask, 0n);
});

test('rt_sigprocmask: BLOCK, UNBLOCK, SETMASK, old set, never KILL/STOP, EINVAL for how and size', (t) => {
  const k = new FakeKernel();
  const task = makeProcess(k, 10);
  const u1 = C.sigBit(C.SIGUSR1), u2 = C.sigBit(C.SIGUSR2);
  task.mm.writeU64(SET, u1 | C.KILL_STOP_MASK);
  t.is(sys(k, task, NR.rt_sigprocmask, C.SIG_BLOCK, SET, OSET, 8), 0);
  t.is(task.blocked, u1);
  t.is(task.mm.readU64(OSET), 0n);
  task.mm.writeU64(SET, u2);
  t.is(sys(k, task, NR.rt_sigprocmask, C.SIG_BLOCK, SET, OSET, 8), 0);
  t.is(task.blocked, u1 | u2);
  t.is(task.mm.readU64(OSET), u1);
  task.mm.writeU64(SET, u1);
  t.is(sys(k, task, NR.rt_sigprocmask, C.SIG_UNBLOCK, SET, 0, 8), 0);
  t.is(task.blocked, u2);
  task.mm.writeU64(SET, C.FULL_MASK);
  t.is(sys(k, task, NR.rt_sigprocmask, C.SIG_SETMASK, SET, 0, 8), 0);
  t.is(task.blocked, C.blockableMask(C.FULL_MASK));
  t.is(sys(k, task, NR.rt_sigprocmask, 3, SET, 0, 8), -EINVAL);
  t.is(sys(k, task, NR.rt_sigprocmask, 3, 0, OSET, 8), 0); // how is only checked with a set
  t.is(sys(k, task, NR.rt_sigprocmask, C.SIG_BLOCK, SET, 0, 16), -EINVAL);
  t.is(sys(k, task, NR.rt_sigprocmask, C.SIG_BLOCK, UNMAPPED, 0, 8), -EFAULT);
});

test('blocking a signal pending for the group hands it to a thread that can take it', (t) => {
  const k = new FakeKernel();
  const task = makeProcess(k, 10);
  const th = makeThread(k, task, 11);
  th.sleepOn([]);
  task.proc.signal.shared.add({ signo: C.SIGUSR1, code: 0, pid: 1, uid: 0 });
  task.mm.writeU64(SET, C.sigBit(C.SIGUSR1));
  t.is(sys(k, task, NR.rt_sigprocmask, C.SIG_BLOCK, SET, 0, 8), 0);
  t.true(th.interrupted);
});

test('rt_sigpending reports blocked signals pending for the thread or the group', (t) => {
  const k = new FakeKernel();
  const task = makeProcess(k, 10);
  task.blocked = C.sigBit(C.SIGUSR1) | C.sigBit(C.SIGUSR2) | C.sigBit(40);
  task.pending.add({ signo: C.SIGUSR1, code: 0, pid: 1, uid: 0 });
  task.proc.signal.shared.add({ signo: 40, code: 0, pid: 1, uid: 0 });
  task.proc.signal.shared.add({ signo: C.SIGHUP, code: 0, pid: 1, uid: 0 }); // unblocked: not reported
  t.is(sys(k, task, NR.rt_sigpending, SET, 8), 0);
  t.is(task.mm.readU64(SET), C.sigBit(C.SIGUSR1) | C.sigBit(40));
  t.is(sys(k, task, NR.rt_sigpending, SET, 9), -EINVAL);
  t.is(sys(k, task, NR.rt_sigpending, UNMAPPED, 8), -EFAULT);
});

test('sigaltstack: set, report, SS_DISABLE, ENOMEM below MINSIGSTKSZ, EINVAL flags, EPERM while on it', (t) => {
  const abi = signalAbi();
  const k = new FakeKernel();
  const task = makeProcess(k, 10);
  const SS = DATA_LO + 0x200, OSS = DATA_LO + 0x240, stack = DATA_LO + 0x10000;
  const writeSs = (sp: number, flags: number, size: number): void => {
    task.mm.writeU64Num(SS + abi.get('stack_t.ss_sp')!, sp);
    task.mm.writeU32(SS + abi.get('stack_t.ss_flags')!, flags >>> 0);
    task.mm.writeU64Num(SS + abi.get('stack_t.ss_size')!, size);
  };
  t.is(sys(k, task, NR.sigaltstack, 0, OSS), 0);
  t.is(task.mm.readU32(OSS + abi.get('stack_t.ss_flags')!), C.SS_DISABLE);
  writeSs(stack, 0, 2047);
  t.is(sys(k, task, NR.sigaltstack, SS, 0), -ENOMEM);
  writeSs(stack, 4, 8192);
  t.is(sys(k, task, NR.sigaltstack, SS, 0), -EINVAL);
  writeSs(stack, 0, 8192);
  t.is(sys(k, task, NR.sigaltstack, SS, 0), 0);
  t.is(sys(k, task, NR.sigaltstack, 0, OSS), 0);
  t.is(task.mm.readU64Num(OSS), stack);
  t.is(task.mm.readU32(OSS + 8), 0);
  t.is(task.mm.readU64Num(OSS + 16), 8192);
  setI64(task.cpu, Reg.sp, stack + 4096);
  t.is(sys(k, task, NR.sigaltstack, 0, OSS), 0);
  t.is(task.mm.readU32(OSS + 8), C.SS_ONSTACK);
  writeSs(0, C.SS_DISABLE, 0);
  t.is(sys(k, task, NR.sigaltstack, SS, 0), -EPERM);
  setI64(task.cpu, Reg.sp, DATA_LO + 0x8000);
  t.is(sys(k, task, NR.sigaltstack, SS, 0), 0);
  t.is(task.altStackSize, 0);
  t.is(sys(k, task, NR.sigaltstack, UNMAPPED, 0), -EFAULT);
});

test('kill: one process, existence check, ESRCH, EINVAL, EPERM across users, and a thread id names its group', (t) => {
  const k = new FakeKernel();
  const a = makeProcess(k, 10);
  const b = makeProcess(k, 20, a.proc, 10);
  const bt = makeThread(k, b, 21);
  b.blocked = bt.blocked = C.sigBit(C.SIGUSR1) | C.sigBit(C.SIGUSR2) | C.sigBit(C.SIGHUP); // keep them pending
  t.is(sys(k, a, NR.kill, 20, 0), 0);
  t.is(b.proc.signal.shared.mask, 0n);
  t.is(sys(k, a, NR.kill, 20, C.SIGUSR1), 0);
  t.true(b.proc.signal.shared.has(C.SIGUSR1));
  t.like(b.proc.signal.shared.queue[0], { signo: C.SIGUSR1, code: C.SI_USER, pid: 10, uid: 0 });
  t.is(sys(k, a, NR.kill, 21, C.SIGUSR2), 0);
  t.true(b.proc.signal.shared.has(C.SIGUSR2));
  t.false(bt.pending.has(C.SIGUSR2));
  t.is(sys(k, a, NR.kill, 99, C.SIGUSR1), -ESRCH);
  t.is(sys(k, a, NR.kill, 99, 65), -ESRCH); // no target: ESRCH before EINVAL, as Linux
  t.is(sys(k, a, NR.kill, 20, 65), -EINVAL);
  t.is(sys(k, a, NR.kill, 20, -1), -EINVAL);
  a.uid = 1000;
  b.uid = 1001;
  bt.uid = 1001;
  t.is(sys(k, a, NR.kill, 20, C.SIGUSR1), -EPERM);
  t.is(sys(k, a, NR.kill, 20, C.SIGCONT), 0); // same session
  b.uid = 1000;
  bt.uid = 1000;
  t.is(sys(k, a, NR.kill, 20, C.SIGHUP), 0);
});

test('kill to process groups and to -1', (t) => {
  const k = new FakeKernel();
  const init = makeProcess(k, 1);
  const a = makeProcess(k, 10, init.proc, 10);
  const b = makeProcess(k, 11, a.proc, 10);
  const c = makeProcess(k, 12, a.proc, 12);
  for (const x of [init, a, b, c]) x.blocked = C.sigBit(C.SIGUSR1);
  t.is(sys(k, b, NR.kill, 0, C.SIGUSR1), 0);
  t.deepEqual([init, a, b, c].map((x) => x.proc.signal.shared.has(C.SIGUSR1)), [false, true, true, false]);
  t.is(sys(k, a, NR.kill, -12, C.SIGUSR1), 0);
  t.true(c.proc.signal.shared.has(C.SIGUSR1));
  t.is(sys(k, a, NR.kill, -77, C.SIGUSR1), -ESRCH);
  for (const x of [init, a, b, c]) x.proc.signal.shared.clear();
  t.is(sys(k, a, NR.kill, -1, C.SIGUSR1), 0);
  t.deepEqual([init, a, b, c].map((x) => x.proc.signal.shared.has(C.SIGUSR1)), [false, false, true, true]);
  const lone = new FakeKernel();
  const only = makeProcess(lone, 1);
  t.is(sys(lone, only, NR.kill, -1, C.SIGUSR1), -ESRCH);
});

test('tkill and tgkill target one thread and check the thread group', (t) => {
  const k = new FakeKernel();
  const a = makeProcess(k, 10);
  const th = makeThread(k, a, 11);
  th.blocked = C.sigBit(C.SIGUSR1);
  t.is(sys(k, a, NR.tgkill, 10, 11, C.SIGUSR1), 0);
  t.true(th.pending.has(C.SIGUSR1));
  t.like(th.pending.queue[0], { code: C.SI_TKILL, pid: 10 });
  t.is(sys(k, a, NR.tgkill, 12, 11, C.SIGUSR1), -ESRCH);
  t.is(sys(k, a, NR.tgkill, 10, 0, C.SIGUSR1), -EINVAL);
  t.is(sys(k, a, NR.tgkill, 0, 11, C.SIGUSR1), -EINVAL);
  t.is(sys(k, a, NR.tgkill, 10, 11, 200), -EINVAL);
  t.is(sys(k, a, NR.tkill, 11, 0), 0);
  t.is(sys(k, a, NR.tkill, 0, C.SIGUSR1), -EINVAL);
  t.is(sys(k, a, NR.tkill, 55, C.SIGUSR1), -ESRCH);
});

test('rt_sigqueueinfo delivers the caller\'s siginfo and forbids forged kernel codes to others', (t) => {
  const k = new FakeKernel();
  const a = makeProcess(k, 10);
  const b = makeProcess(k, 20);
  b.blocked = C.sigBit(40);
  const si = new Uint8Array(128);
  const dv = new DataView(si.buffer);
  dv.setInt32(8, C.SI_QUEUE, true);
  dv.setInt32(16, 10, true);
  dv.setBigUint64(24, 0xabcdefn, true);
  a.mm.write(INFO, si);
  t.is(sys(k, a, NR.rt_sigqueueinfo, 20, 40, INFO), 0);
  t.like(b.proc.signal.shared.queue[0], { signo: 40, code: C.SI_QUEUE, value: 0xabcdef });
  dv.setInt32(8, C.SI_USER, true);
  a.mm.write(INFO, si);
  t.is(sys(k, a, NR.rt_sigqueueinfo, 20, 40, INFO), -EPERM);
  a.blocked = C.sigBit(40);
  t.is(sys(k, a, NR.rt_sigqueueinfo, 10, 40, INFO), 0); // to itself any code is fine
  t.is(sys(k, a, NR.rt_sigqueueinfo, 20, 40, UNMAPPED), -EFAULT);
});
