// Sending signals: Linux's prepare_signal / send_signal / complete_signal, force_sig, and SIGCHLD policy.
import { getU64, Reg } from '../../arch/riscv64/state';
import { EAGAIN } from '../errno';
import type { Process } from '../process';
import { syscallNumber } from '../syscall';
import { NR } from '../syscall-numbers';
import type { Task } from '../task';
import {
  blockableMask, CLD_CONTINUED, defaultAction, isRealtimeSignal, SA_NOCLDSTOP, SA_NOCLDWAIT, sigBit,
  SIGCHLD, SIGCONT, SIGKILL, SIGSEGV, SIG_IGN, SI_KERNEL, STOP_MASK,
} from './constants';
import type { SigInfo } from './pending';
import type { SigHand } from './sighand';
import type { SignalKernel } from './signal-kernel';

/** The handler table of a thread group (all its threads share one), or null once every thread is gone. */
export function sighandOf(proc: Process): SigHand | null {
  for (const t of proc.threads) return t.sighand;
  return null;
}

/**
 * The signals a task sleeping in rt_sigtimedwait is waiting for: Linux unblocks them for the duration
 * of the wait, so they wake it. Read from the call's own argument so a restored task needs no extra state.
 */
export function sigwaitSet(t: Task): bigint {
  return t.state === 'blocked' ? sigtimedwaitSetOf(t) : 0n;
}

/** The set argument of the rt_sigtimedwait the task is at (pc on its ecall), or 0n for any other call. */
export function sigtimedwaitSetOf(t: Task): bigint {
  if (syscallNumber(t.cpu) !== NR.rt_sigtimedwait) return 0n;
  const set = t.mm.readU64(getU64(t.cpu, Reg.a0));
  return set === null ? 0n : blockableMask(set);
}

/** The mask that decides whether `t` may take a signal now. */
function effectiveBlocked(t: Task): bigint {
  return t.blocked & ~sigwaitSet(t);
}

/** Linux's wants_signal: would `t` take `sig` now (SIGKILL reaches even stopped tasks). */
function wantsSignal(t: Task, sig: number): boolean {
  if (t.state === 'dead') return false;
  if (sig === SIGKILL) return true;
  if (t.state === 'stopped') return false;
  return (effectiveBlocked(t) & sigBit(sig)) === 0n;
}

/**
 * True when `t` sleeps where only a fatal signal may wake it (Linux's TASK_KILLABLE): a vfork parent
 * waiting for its child, whose clone must not be re-executed or fail with EINTR.
 */
export function inKillableSleep(t: Task): boolean {
  if (t.state !== 'blocked') return false;
  const nr = syscallNumber(t.cpu);
  return nr === NR.clone || nr === NR.clone3;
}

/**
 * Wake a task so that it reaches signal delivery: a sleeper is interrupted out of its syscall (a
 * killable sleeper only when `fatal`), and with `fatal` a stopped task runs again to die.
 */
function kickTask(t: Task, fatal: boolean): void {
  if (t.state === 'blocked') {
    if (fatal || !inKillableSleep(t)) t.interrupt();
  } else if (fatal && t.state === 'stopped') {
    t.state = 'runnable';
  }
}

/** Remove `mask` from the group's shared pending set and every thread's own. */
export function discardPending(proc: Process, mask: bigint): void {
  proc.signal.shared.discard(mask);
  for (const t of proc.threads) t.pending.discard(mask);
}

/** SIGCONT's side effects at send time: resume a stopped group and tell the parent. */
function continueProcess(k: SignalKernel, proc: Process): void {
  discardPending(proc, STOP_MASK);
  if (!proc.signal.groupStopped) return;
  proc.signal.groupStopped = false;
  for (const t of proc.threads) if (t.state === 'stopped') t.state = 'runnable';
  proc.stopReport = null;
  proc.continueReport = true;
  notifyParentOfJobControl(k, proc, CLD_CONTINUED, SIGCONT);
}

/**
 * Linux's prepare_signal: job-control side effects, then whether the signal is worth queuing at all.
 * `addressee` is the thread whose mask decides "ignored" (the target thread, or the leader for kill).
 */
function prepareSignal(k: SignalKernel, proc: Process, addressee: Task | null, sig: number): boolean {
  if (proc.state !== 'alive' || proc.threads.size === 0) return false;
  if (proc.signal.groupExitSignal !== 0 || proc.groupExitStatus !== null) return false;
  const bit = sigBit(sig);
  if ((bit & STOP_MASK) !== 0n) discardPending(proc, sigBit(SIGCONT));
  else if (sig === SIGCONT) continueProcess(k, proc);
  const t = addressee ?? proc.leader ?? proc.threads.values().next().value;
  if (!t) return false;
  // A blocked signal is kept even if ignored now: the handler may change before it is unblocked.
  if (((t.blocked | sigwaitSet(t)) & bit) !== 0n) return true;
  return !t.sighand.ignores(sig);
}

/** Linux's complete_signal: pick a thread to take the signal and wake it, or start a group kill. */
function completeSignal(proc: Process, target: Task | null, sig: number): void {
  let t: Task | null = null;
  if (target) {
    if (wantsSignal(target, sig)) t = target;
  } else {
    const leader = proc.leader;
    if (leader && wantsSignal(leader, sig)) t = leader;
    else for (const c of proc.threads) if (wantsSignal(c, sig)) { t = c; break; }
  }
  if (!t) return;
  const sh = t.sighand;
  const fatal = sig === SIGKILL
    || (sh.isFatal(sig) && defaultAction(sig) !== 'core' && (t.blocked & sigBit(sig)) === 0n);
  if (fatal && proc.signal.groupExitSignal === 0) {
    // The whole group dies: every thread is woken (even stopped ones) and the first to run exits it.
    proc.signal.groupExitSignal = sig;
    for (const c of proc.threads) kickTask(c, true);
    return;
  }
  kickTask(t, false);
}

function queueSignal(k: SignalKernel, proc: Process, target: Task | null, sig: number, info: SigInfo): number {
  if (!prepareSignal(k, proc, target, sig)) return 0;
  const pending = target ? target.pending : proc.signal.shared;
  if (!pending.add(info.signo === sig ? info : { ...info, signo: sig })) {
    // A coalesced standard signal is already pending and its target already woken.
    return isRealtimeSignal(sig) && info.code < 0 ? -EAGAIN : 0;
  }
  completeSignal(proc, target, sig);
  return 0;
}

/**
 * Send `sig` (1..64) to the thread group `proc` (kill, SIGCHLD, job control): it goes to the shared
 * pending set and wakes a thread that does not block it. Ignored signals are dropped here. Returns 0,
 * or -EAGAIN when a queued real-time signal from sigqueue exceeds the queue limit.
 */
export function sendSignalToProcess(k: SignalKernel, proc: Process, sig: number, info: SigInfo): number {
  return queueSignal(k, proc, null, sig, info);
}

/** Send `sig` to one thread (tgkill, SIGPIPE, timers aimed at a thread). Same contract as sendSignalToProcess. */
export function sendSignalToTask(k: SignalKernel, t: Task, sig: number, info: SigInfo): number {
  if (t.state === 'dead') return 0;
  return queueSignal(k, t.proc, t, sig, info);
}

/**
 * A synchronous fault (SIGSEGV, SIGILL, SIGBUS, SIGFPE, SIGTRAP) in `t`: like Linux's force_sig, a
 * blocked or ignored signal is unblocked and its action reset to SIG_DFL, so the fault cannot be
 * ignored and loop forever. The scheduler's next deliverPendingSignals delivers it.
 */
export function forceSignal(k: SignalKernel, t: Task, sig: number, info: SigInfo): void {
  const bit = sigBit(sig);
  const blocked = (t.blocked & bit) !== 0n;
  if (blocked || t.sighand.get(sig).handler === SIG_IGN) {
    t.sighand.resetToDefault(sig);
    if (blocked) t.blocked &= ~bit;
  }
  sendSignalToTask(k, t, sig, info);
}

/** A handler frame could not be written: SIGSEGV, and if that was SIGSEGV's own handler, the default action. */
export function forceSigsegv(k: SignalKernel, t: Task, failedSig: number): void {
  if (failedSig === SIGSEGV) t.sighand.resetToDefault(SIGSEGV);
  forceSignal(k, t, SIGSEGV, { signo: SIGSEGV, code: SI_KERNEL, pid: 0, uid: 0, addr: 0 });
}

/** True when `proc`'s children are reaped without becoming zombies: SIGCHLD is SIG_IGN or has SA_NOCLDWAIT. */
export function childrenAutoReaped(proc: Process): boolean {
  const sh = sighandOf(proc);
  if (!sh) return false;
  const a = sh.get(SIGCHLD);
  return a.handler === SIG_IGN || (a.flags & SA_NOCLDWAIT) !== 0;
}

/**
 * Tell `proc`'s parent that it stopped (CLD_STOPPED, status = the stop signal) or continued
 * (CLD_CONTINUED): SIGCHLD unless the parent set SA_NOCLDSTOP or ignores it, and a wake of wait4.
 */
export function notifyParentOfJobControl(k: SignalKernel, proc: Process, code: number, status: number): void {
  const parent = proc.parent;
  if (!parent) return;
  const sh = sighandOf(parent);
  if (sh) {
    const a = sh.get(SIGCHLD);
    if (a.handler !== SIG_IGN && (a.flags & SA_NOCLDSTOP) === 0) {
      const uid = proc.leader?.uid ?? 0;
      sendSignalToProcess(k, parent, SIGCHLD, { signo: SIGCHLD, code, pid: proc.pid, uid, status });
    }
  }
  k.notifyParentOfStateChange(proc);
}

/**
 * After `t` blocked more signals (sigprocmask): signals already in the shared set that `t` can no
 * longer take go to another thread that can (Linux's retarget_shared_pending).
 */
export function retargetSharedPending(t: Task, newlyBlocked: bigint): void {
  let left = t.proc.signal.shared.mask & newlyBlocked;
  if (left === 0n) return;
  for (const c of t.proc.threads) {
    if (c === t || c.state === 'dead' || c.state === 'stopped') continue;
    const take = left & ~effectiveBlocked(c);
    if (take === 0n) continue;
    left &= ~take;
    kickTask(c, false);
    if (left === 0n) return;
  }
}
