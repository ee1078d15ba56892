// Interrupted syscalls: EINTR or restart per signal(7)'s table, partial transfers, sleeps' remaining time, sigsuspend.
import test from 'ava';
import { Reg } from '../../lib/arch/riscv64/state';
import { EAGAIN, EFAULT, EINTR } from '../../lib/emukernel/errno';
import * as C from '../../lib/emukernel/signal/constants';
import { deliverPendingSignals } from '../../lib/emukernel/signal/deliver';
import { UC_MCONTEXT, UC_OFFSET, UC_SIGMASK } from '../../lib/emukernel/signal/frame';
import { sendSignalToProcess } from '../../lib/emukernel/signal/send';
import { sysRtSigreturn, sysRtSigsuspend, sysRtSigtimedwait } from '../../lib/emukernel/signal/syscalls-wait';
import { BLOCKED, JUMPED } from '../../lib/emukernel/syscall';
import { NR } from '../../lib/emukernel/syscall-numbers';
import type { Task } from '../../lib/emukernel/task';
import { blockIn, callSyscall, DATA_LO, ECALL_PC, FakeKernel, makeProcess, reg, setSyscall, sreg } from './fixture';

const H = 0x10400;
const user = (signo: number) => ({ signo, code: C.SI_USER, pid: 1, uid: 0 });

function withHandler(flags: number): { k: FakeKernel; t: Task } {
  const k = new FakeKernel();
  const t = makeProcess(k, 10);
  t.sighand.set(C.SIGUSR1, { handler: H, flags, mask: 0n, restorer: 0 });
  return { k, t };
}

/** The pc and a0 the frame will resume with (what the interrupted code sees after sigreturn). */
function resumed(t: Task): { pc: number; a0: number } {
  const mc = reg(t, Reg.sp) + UC_OFFSET + UC_MCONTEXT;
  const a0 = t.mm.readU64(mc + 8 * Reg.a0)!;
  return { pc: t.mm.readU64Num(mc)!, a0: Number(BigInt.asIntN(64, a0)) };
}

function interruptWith(k: FakeKernel, t: Task, sig = C.SIGUSR1): void {
  sendSignalToProcess(k, t.proc, sig, user(sig));
  deliverPendingSignals(k, t);
}

test('read on a pipe restarts after a SA_RESTART handler and fails with EINTR without it', (tt) => {
  for (const [flags, want] of [[C.SA_RESTART, { pc: ECALL_PC, a0: 3 }], [0, { pc: ECALL_PC + 4, a0: -EINTR }]] as const) {
    const { k, t } = withHandler(flags);
    blockIn(t, NR.read, 3, DATA_LO, 100);
    interruptWith(k, t);
    tt.true(t.state === 'runnable' && !t.interrupted);
    tt.is(t.cpu.pc, H);
    tt.deepEqual(resumed(t), want);
    tt.is(sysRtSigreturn(k, t), JUMPED);
    tt.is(t.cpu.pc, want.pc);
    tt.is(sreg(t, Reg.a0), want.a0);
  }
});

test('wait4 and futex without a timeout restart with SA_RESTART; futex with a timeout always fails with EINTR', (tt) => {
  const cases: [number, number[], number][] = [
    [NR.wait4, [-1, 0, 0, 0], ECALL_PC],
    [NR.futex, [DATA_LO, 0x80, 0, 0], ECALL_PC],
    [NR.futex, [DATA_LO, 0x80, 0, DATA_LO + 64], ECALL_PC + 4],
    [NR.futex, [DATA_LO, 0x89, 0, DATA_LO + 64, 0, -1], ECALL_PC + 4],
  ];
  for (const [nr, args, pc] of cases) {
    const { k, t } = withHandler(C.SA_RESTART);
    blockIn(t, nr, ...args);
    interruptWith(k, t);
    tt.is(resumed(t).pc, pc, `${nr} ${args}`);
  }
});

test('a write that already moved data returns the count, SA_RESTART or not', (tt) => {
  for (const flags of [0, C.SA_RESTART]) {
    const { k, t } = withHandler(flags);
    blockIn(t, NR.write, 4, DATA_LO, 100000);
    t.restart = { nr: NR.write, done: 65536 };
    interruptWith(k, t);
    tt.deepEqual(resumed(t), { pc: ECALL_PC + 4, a0: 65536 });
    tt.true(t.restart === null);
  }
});

test('nanosleep fails with EINTR even with SA_RESTART and stores the time left in *rem', (tt) => {
  const { k, t } = withHandler(C.SA_RESTART);
  const rem = DATA_LO + 0x100;
  blockIn(t, NR.nanosleep, DATA_LO, rem);
  t.restart = { nr: NR.nanosleep, deadlineNs: k.now + 5_000_000_123 };
  interruptWith(k, t);
  tt.deepEqual(resumed(t), { pc: ECALL_PC + 4, a0: -EINTR });
  tt.is(t.mm.readU64Num(rem), 5);
  tt.is(t.mm.readU64Num(rem + 8), 123);
});

test('clock_nanosleep with TIMER_ABSTIME fails with EINTR and leaves *rem alone', (tt) => {
  const { k, t } = withHandler(C.SA_RESTART);
  const rem = DATA_LO + 0x100;
  t.mm.writeU64Num(rem, 77);
  blockIn(t, NR.clock_nanosleep, 1, 1, DATA_LO, rem);
  interruptWith(k, t);
  tt.deepEqual(resumed(t), { pc: ECALL_PC + 4, a0: -EINTR });
  tt.is(t.mm.readU64Num(rem), 77);
});

test('with no handler to run the interrupted call simply re-executes', (tt) => {
  const { k, t } = withHandler(0);
  blockIn(t, NR.read, 3, DATA_LO, 100);
  t.interrupt(); // a wake whose signal another thread took
  deliverPendingSignals(k, t);
  tt.is(t.cpu.pc, ECALL_PC);
  tt.is(reg(t, Reg.a0), 3);
  tt.false(t.interrupted);
});

test('a read interrupted by SIGSTOP re-executes after SIGCONT; a handler after the stop still decides EINTR', (tt) => {
  const { k, t } = withHandler(0);
  blockIn(t, NR.read, 3, DATA_LO, 100);
  sendSignalToProcess(k, t.proc, C.SIGSTOP, user(C.SIGSTOP));
  tt.true(t.interrupted);
  deliverPendingSignals(k, t);
  tt.is(t.state, 'stopped');
  sendSignalToProcess(k, t.proc, C.SIGCONT, user(C.SIGCONT));
  deliverPendingSignals(k, t);
  tt.is(t.cpu.pc, ECALL_PC);
  tt.false(t.interrupted);
  // The same again, but a handled signal arrives while stopped.
  blockIn(t, NR.read, 3, DATA_LO, 100);
  sendSignalToProcess(k, t.proc, C.SIGSTOP, user(C.SIGSTOP));
  deliverPendingSignals(k, t);
  sendSignalToProcess(k, t.proc, C.SIGUSR1, user(C.SIGUSR1));
  sendSignalToProcess(k, t.proc, C.SIGCONT, user(C.SIGCONT));
  deliverPendingSignals(k, t);
  tt.is(t.cpu.pc, H);
  tt.deepEqual(resumed(t), { pc: ECALL_PC + 4, a0: -EINTR });
});

test('rt_sigsuspend sleeps with the new mask, returns EINTR after the handler and restores the old mask', (tt) => {
  const { k, t } = withHandler(C.SA_RESTART);
  const old = C.sigBit(C.SIGUSR1) | C.sigBit(C.SIGTERM);
  t.blocked = old;
  t.mm.writeU64(DATA_LO, C.sigBit(C.SIGTERM));
  setSyscall(t, NR.rt_sigsuspend, DATA_LO, 8);
  tt.is(sysRtSigsuspend(k, t), BLOCKED);
  tt.is(t.state, 'blocked');
  tt.is(t.blocked, C.sigBit(C.SIGTERM));
  sendSignalToProcess(k, t.proc, C.SIGUSR1, user(C.SIGUSR1));
  tt.true(t.interrupted);
  deliverPendingSignals(k, t);
  tt.is(t.cpu.pc, H);
  tt.deepEqual(resumed(t), { pc: ECALL_PC + 4, a0: -EINTR });
  tt.is(t.mm.readU64(reg(t, Reg.sp) + UC_OFFSET + UC_SIGMASK), old);
  tt.is(t.blocked, C.sigBit(C.SIGTERM) | C.sigBit(C.SIGUSR1));
  tt.is(t.savedBlocked, null);
  tt.is(sysRtSigreturn(k, t), JUMPED);
  tt.is(t.blocked, old);
  tt.is(sreg(t, Reg.a0), -EINTR);
});

test('rt_sigsuspend returns at once (via the handler) when an unblocked signal is already pending', (tt) => {
  const { k, t } = withHandler(0);
  t.blocked = C.sigBit(C.SIGUSR1);
  sendSignalToProcess(k, t.proc, C.SIGUSR1, user(C.SIGUSR1));
  t.mm.writeU64(DATA_LO, 0n);
  setSyscall(t, NR.rt_sigsuspend, DATA_LO, 8);
  tt.is(sysRtSigsuspend(k, t), BLOCKED);
  tt.is(t.state, 'runnable');
  deliverPendingSignals(k, t);
  tt.is(t.cpu.pc, H);
  tt.is(t.mm.readU64(reg(t, Reg.sp) + UC_OFFSET + UC_SIGMASK), C.sigBit(C.SIGUSR1));
});

test('rt_sigtimedwait takes a blocked pending signal, times out with EAGAIN, and is woken by a signal of its set', (tt) => {
  const { k, t } = withHandler(0);
  const set = DATA_LO, info = DATA_LO + 0x100, ts = DATA_LO + 0x200;
  t.blocked = C.sigBit(C.SIGUSR2);
  t.mm.writeU64(set, C.sigBit(C.SIGUSR2));
  sendSignalToProcess(k, t.proc, C.SIGUSR2, { signo: C.SIGUSR2, code: C.SI_USER, pid: 99, uid: 5 });
  tt.is(callSyscall(k, t, NR.rt_sigtimedwait, sysRtSigtimedwait, set, info, 0, 8), C.SIGUSR2);
  tt.is(t.mm.readU32(info), C.SIGUSR2);
  tt.is(t.mm.readU32(info + 16), 99);
  tt.false(t.proc.signal.shared.has(C.SIGUSR2));
  // Zero timeout: EAGAIN at once.
  t.mm.writeU64Num(ts, 0);
  t.mm.writeU64Num(ts + 8, 0);
  tt.is(callSyscall(k, t, NR.rt_sigtimedwait, sysRtSigtimedwait, set, info, ts, 8), -EAGAIN);
  // No timeout: sleep; the awaited (blocked) signal wakes it, delivery leaves it to the call.
  setSyscall(t, NR.rt_sigtimedwait, set, info, 0, 8);
  tt.is(sysRtSigtimedwait(k, t), BLOCKED);
  sendSignalToProcess(k, t.proc, C.SIGUSR2, user(C.SIGUSR2));
  tt.is(t.state, 'runnable');
  deliverPendingSignals(k, t);
  tt.is(t.cpu.pc, ECALL_PC);
  tt.is(sysRtSigtimedwait(k, t), C.SIGUSR2);
  // Another signal with a handler interrupts it with EINTR.
  setSyscall(t, NR.rt_sigtimedwait, set, info, 0, 8);
  tt.is(sysRtSigtimedwait(k, t), BLOCKED);
  sendSignalToProcess(k, t.proc, C.SIGUSR1, user(C.SIGUSR1));
  deliverPendingSignals(k, t);
  tt.deepEqual(resumed(t), { pc: ECALL_PC + 4, a0: -EINTR });
});

test('rt_sigtimedwait with a timeout keeps its first deadline across re-executions', (tt) => {
  const { k, t } = withHandler(0);
  const set = DATA_LO, ts = DATA_LO + 0x200;
  t.mm.writeU64(set, C.sigBit(C.SIGUSR2));
  t.mm.writeU64Num(ts, 2);
  t.mm.writeU64Num(ts + 8, 0);
  setSyscall(t, NR.rt_sigtimedwait, set, 0, ts, 8);
  tt.is(sysRtSigtimedwait(k, t), BLOCKED);
  tt.is(t.wakeAtNs, k.now + 2e9);
  t.wakeRetry();
  k.now += 1e9;
  tt.is(sysRtSigtimedwait(k, t), BLOCKED);
  tt.is(t.wakeAtNs, k.now + 1e9);
  t.wakeRetry();
  k.now += 1e9;
  tt.is(sysRtSigtimedwait(k, t), -EAGAIN);
});

test('ppoll interrupted by a handler fails with EINTR and writes the time left back to its timeout', (tt) => {
  const { k, t } = withHandler(C.SA_RESTART);
  const tmo = DATA_LO + 0x300;
  blockIn(t, NR.ppoll, DATA_LO, 1, tmo, 0, 8);
  t.restart = { nr: NR.ppoll, deadlineNs: k.now + 1_500_000_000 };
  interruptWith(k, t);
  tt.deepEqual(resumed(t), { pc: ECALL_PC + 4, a0: -EINTR });
  tt.is(t.mm.readU64Num(tmo), 1);
  tt.is(t.mm.readU64Num(tmo + 8), 500_000_000);
});

test('nanosleep with an unwritable *rem returns EFAULT when interrupted', (tt) => {
  const { k, t } = withHandler(0);
  blockIn(t, NR.nanosleep, DATA_LO, 0x5000000);
  t.restart = { nr: NR.nanosleep, deadlineNs: k.now + 1000 };
  interruptWith(k, t);
  tt.is(resumed(t).a0, -EFAULT);
});

test('a call whose event came with the signal completes first: wait4 returns the pid, then the handler runs', (tt) => {
  const { k, t } = withHandler(0);
  let zombie = false;
  k.handlers.set(NR.wait4, (_k, task) => {
    if (zombie) return 30;
    task.sleepOn([]);
    return BLOCKED;
  });
  blockIn(t, NR.wait4, -1, 0, 0, 0);
  zombie = true; // the child exited and its SIGCHLD (here SIGUSR1's handler stands in) arrived at once
  const instret = t.cpu.instret;
  interruptWith(k, t);
  tt.is(t.cpu.pc, H);
  tt.deepEqual(resumed(t), { pc: ECALL_PC + 4, a0: 30 });
  tt.is(t.cpu.instret, instret + 1); // the re-executed ecall counts, as a wake-and-retry would
  tt.is(k.instructions, 1);
});

test('a call that would sleep again is not re-queued: it is interrupted and the handler decides', (tt) => {
  const { k, t } = withHandler(0);
  blockIn(t, NR.read, 3, DATA_LO, 100);
  interruptWith(k, t);
  tt.is(t.state, 'runnable');
  tt.is(t.waitingOn.length, 0);
  tt.deepEqual(resumed(t), { pc: ECALL_PC + 4, a0: -EINTR });
});
