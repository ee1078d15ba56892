// A handler interrupts a blocked syscall: does the call fail with EINTR or restart after the handler (signal(7))?
import { getI32, getU64, Reg, setI64 } from '../../arch/riscv64/state';
import { EFAULT, EINTR, ENOSYS, KernelError } from '../errno';
import { BLOCKED, JUMPED, SyscallOutcome, syscallNumber } from '../syscall';
import { NR } from '../syscall-numbers';
import type { Task } from '../task';
import { SA_RESTART } from './constants';
import type { SigAction } from './sighand';
import type { SignalKernel } from './signal-kernel';

/**
 * Calls that fail with EINTR when interrupted by a handler whatever SA_RESTART says: the
 * signal-waiting, multiplexing, sleep and System V IPC families (Linux's -ERESTARTNOHAND and
 * -ERESTART_RESTARTBLOCK returns).
 */
const NEVER_RESTARTED: ReadonlySet<number> = new Set<number>([
  NR.rt_sigsuspend, NR.rt_sigtimedwait, NR.epoll_pwait, NR.epoll_pwait2, NR.ppoll, NR.pselect6,
  NR.nanosleep, NR.clock_nanosleep, NR.msgrcv, NR.msgsnd, NR.semop, NR.semtimedop,
  NR.io_getevents, NR.io_pgetevents, NR.mq_timedsend, NR.mq_timedreceive,
]);

const FUTEX_WAIT = 0, FUTEX_WAIT_BITSET = 9, FUTEX_CMD_MASK = 0x7f;
const TIMER_ABSTIME = 1;

/** True when `nr`, as the task called it, returns EINTR to a handler even with SA_RESTART. */
export function isNeverRestarted(t: Task, nr: number): boolean {
  if (NEVER_RESTARTED.has(nr)) return true;
  if (nr === NR.futex) {
    // A futex wait with a timeout keeps a restart block, which a handler turns into EINTR.
    const op = getI32(t.cpu, Reg.a1) & FUTEX_CMD_MASK;
    return (op === FUTEX_WAIT || op === FUTEX_WAIT_BITSET) && getU64(t.cpu, Reg.a3) !== 0;
  }
  return false;
}

/** Complete the syscall at the ecall with `value`, as if it had returned it. */
function finishSyscall(t: Task, value: number): void {
  setI64(t.cpu, Reg.a0, value);
  // The ecall was counted as retired when it executed; only the pc moves on (as Task.completeSyscall).
  t.cpu.pc += 4;
  t.restart = null;
}

/** Where a call interrupted by a handler reports its time left: nanosleep's *rem, ppoll/pselect6's timeout. */
function remainingTimeAddress(t: Task, nr: number): number {
  switch (nr) {
    case NR.nanosleep: return getU64(t.cpu, Reg.a1);
    case NR.clock_nanosleep: return (getI32(t.cpu, Reg.a1) & TIMER_ABSTIME) === 0 ? getU64(t.cpu, Reg.a3) : 0;
    case NR.ppoll: return getU64(t.cpu, Reg.a2);
    case NR.pselect6: return getU64(t.cpu, Reg.a4);
    default: return 0;
  }
}

/**
 * The result of a never-restarted call interrupted by a handler: -EINTR, after writing the time left
 * (from the absolute deadline in t.restart) where the call reports it. A sleep whose *rem cannot be
 * written returns -EFAULT, as Linux's nanosleep does; ppoll/pselect6 ignore that fault.
 */
function interruptedResult(k: SignalKernel, t: Task, nr: number): number {
  const addr = remainingTimeAddress(t, nr);
  const r = t.restart;
  if (addr === 0 || !r || r.nr !== nr || r.deadlineNs === undefined) return -EINTR;
  const left = BigInt(Math.max(0, Math.ceil(r.deadlineNs - k.nowNs())));
  const ok = t.mm.writeU64(addr, left / 1000000000n) && t.mm.writeU64(addr + 8, left % 1000000000n);
  return ok || nr === NR.ppoll || nr === NR.pselect6 ? -EINTR : -EFAULT;
}

/**
 * Settle a syscall that a signal woke (t.interrupted), just before delivery builds a frame or decides
 * nothing needs one. `act` is the handler about to run, or null when none runs (ignored, stopped,
 * spurious wake): the call then simply re-executes with pc at the ecall (Linux restarts it too).
 * With a handler: a read or write that already moved data returns that count; a call from the
 * never-restarted list, or any call without SA_RESTART, returns -EINTR (pc past the ecall);
 * otherwise the pc stays on the ecall so the call re-executes after sigreturn. Clears t.interrupted.
 */
export function resolveInterruptedSyscall(k: SignalKernel, t: Task, act: SigAction | null): void {
  if (!t.interrupted) return;
  t.interrupted = false;
  if (!act) return;
  const nr = syscallNumber(t.cpu);
  const r = t.restart;
  if (r && r.nr === nr && r.done !== undefined && r.done > 0) {
    finishSyscall(t, r.done);
  } else if (isNeverRestarted(t, nr)) {
    finishSyscall(t, interruptedResult(k, t, nr));
  } else if ((act.flags & SA_RESTART) === 0) {
    finishSyscall(t, -EINTR);
  } else {
    t.restart = null;
  }
}

/**
 * A woken task first re-checks what it slept for, as Linux's sleeping syscalls do before they look
 * at pending signals (a wait4 whose child has exited returns its pid, a pipe read with data returns
 * it, sigtimedwait takes the awaited signal). Re-executes the call the way the dispatcher does (the
 * ecall counts again): returns true if it completed (a0 and pc updated, t.interrupted cleared),
 * false if it would sleep again, in which case the sleep is undone and t stays interrupted.
 */
export function retryInterruptedSyscall(k: SignalKernel, t: Task): boolean {
  const cpu = t.cpu;
  const h = k.syscallHandler(syscallNumber(cpu));
  cpu.instret += 1;
  k.instructions += 1;
  let r: SyscallOutcome;
  try {
    r = h ? h(k as never, t) : -ENOSYS;
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    r = -e.errno;
  }
  if (r === BLOCKED) {
    // (ppoll and rt_sigsuspend interrupt themselves already when a signal is deliverable.)
    if (t.state === 'blocked') t.interrupt();
    return false;
  }
  t.interrupted = false;
  t.restart = null;
  if (r !== JUMPED && t.state !== 'dead') {
    setI64(cpu, Reg.a0, r);
    cpu.pc += 4;
  }
  return true;
}
