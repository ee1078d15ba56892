// rt_sigreturn, rt_sigsuspend and rt_sigtimedwait: leaving a handler and waiting for signals.
import { EAGAIN, EFAULT, EINVAL } from '../errno';
import { argU64, BLOCKED, JUMPED, SyscallOutcome } from '../syscall';
import { NR } from '../syscall-numbers';
import type { Task } from '../task';
import { blockableMask, lowestSignal, SIGSEGV, SIGSET_SIZE, SI_KERNEL } from './constants';
import { hasDeliverableSignal } from './deliver';
import { restoreRtFrame } from './frame';
import type { SigInfo } from './pending';
import { forceSignal } from './send';
import { encodeSigInfo } from './siginfo';
import type { SignalKernel } from './signal-kernel';

/**
 * rt_sigreturn(): restore everything from the rt_sigframe at sp and return to the interrupted code
 * (JUMPED: a0 is the restored a0). A bad frame raises SIGSEGV and returns 0, as Linux does.
 */
export function sysRtSigreturn(k: SignalKernel, t: Task): SyscallOutcome {
  t.restart = null;
  if (restoreRtFrame(t)) return JUMPED;
  forceSignal(k, t, SIGSEGV, { signo: SIGSEGV, code: SI_KERNEL, pid: 0, uid: 0, addr: 0 });
  return 0;
}

/**
 * rt_sigsuspend(mask, sigsetsize): sleep with `mask` until a handler runs; then -EINTR, and the frame
 * carries the previous mask so sigreturn puts it back. Never returns otherwise.
 */
export function sysRtSigsuspend(_k: SignalKernel, t: Task): SyscallOutcome {
  const addr = argU64(t, 0), size = argU64(t, 1);
  if (size !== SIGSET_SIZE) return -EINVAL;
  const mask = t.mm.readU64(addr);
  if (mask === null) return -EFAULT;
  // A re-execution (after a stop, or a signal that needed no handler) keeps the mask saved first.
  if (t.savedBlocked === null) t.savedBlocked = t.blocked;
  t.blocked = blockableMask(mask);
  t.sleepOn([]);
  if (hasDeliverableSignal(t)) t.interrupt();
  return BLOCKED;
}

/** A relative timeout's absolute deadline, kept in t.restart so re-executions keep the first one. */
function timeoutDeadline(k: SignalKernel, t: Task, relNs: number): number {
  const r = t.restart;
  if (r && r.nr === NR.rt_sigtimedwait && r.deadlineNs !== undefined) return r.deadlineNs;
  const deadlineNs = k.nowNs() + relNs;
  t.restart = { nr: NR.rt_sigtimedwait, deadlineNs };
  return deadlineNs;
}

/** Take the lowest pending signal in `set` from the thread's own set, then the group's. */
function dequeueFromSet(t: Task, set: bigint): SigInfo | null {
  let sig = lowestSignal(t.pending.mask & set);
  if (sig !== 0) return t.pending.dequeue(sig);
  const shared = t.proc.signal.shared;
  sig = lowestSignal(shared.mask & set);
  return sig !== 0 ? shared.dequeue(sig) : null;
}

/**
 * rt_sigtimedwait(set, info, timeout, sigsetsize): take a pending signal from `set` and return its
 * number (writing its siginfo); -EAGAIN when the timeout passes; -EINTR when a handler for another
 * signal runs; -EINVAL, -EFAULT. While it sleeps the signals of `set` wake it even if blocked.
 */
export function sysRtSigtimedwait(k: SignalKernel, t: Task): SyscallOutcome {
  const setAddr = argU64(t, 0), infoAddr = argU64(t, 1), tsAddr = argU64(t, 2), size = argU64(t, 3);
  if (size !== SIGSET_SIZE) return -EINVAL;
  const raw = t.mm.readU64(setAddr);
  if (raw === null) return -EFAULT;
  const set = blockableMask(raw);
  let relNs: number | null = null;
  if (tsAddr !== 0) {
    const sec = t.mm.readU64(tsAddr), nsec = t.mm.readU64(tsAddr + 8);
    if (sec === null || nsec === null) return -EFAULT;
    const s = BigInt.asIntN(64, sec), ns = BigInt.asIntN(64, nsec);
    if (s < 0n || ns < 0n || ns >= 1000000000n) return -EINVAL;
    const total = s * 1000000000n + ns;
    relNs = total > 2n ** 52n ? 2 ** 52 : Number(total);
  }
  const info = dequeueFromSet(t, set);
  if (info) {
    if (infoAddr !== 0 && !t.mm.write(infoAddr, encodeSigInfo(info))) return -EFAULT;
    return info.signo;
  }
  let deadline: number | null = null;
  if (relNs !== null) {
    deadline = timeoutDeadline(k, t, relNs);
    if (deadline <= k.nowNs()) return -EAGAIN;
  }
  t.sleepOn([], deadline, -EAGAIN);
  return BLOCKED;
}
