// Delivering pending signals to a task about to run: default actions, group stop, handler frames.
import type { Process } from '../process';
import type { Task } from '../task';
import { blockableMask, CLD_STOPPED, defaultAction, SA_NODEFER, SA_RESETHAND, sigBit, SIGSTOP, SIG_DFL, SIG_IGN } from './constants';
import { setupRtFrame } from './frame';
import type { SigInfo } from './pending';
import { resolveInterruptedSyscall, retryInterruptedSyscall } from './restart';
import { forceSigsegv, inKillableSleep, notifyParentOfJobControl } from './send';
import type { SignalKernel } from './signal-kernel';

/** Frames stacked in one call at most; anything left is delivered at the next boundary. */
const MAX_DELIVERIES = 256;
const RLIMIT_CORE = 4;

/** The wait status of a process killed by `sig`: the signal, plus 0x80 when a core dump is allowed. */
export function deathStatus(proc: Process, sig: number): number {
  if (defaultAction(sig) !== 'core') return sig;
  const core = proc.rlimits.get(RLIMIT_CORE);
  return core !== undefined && core[0] > 0n ? sig | 0x80 : sig;
}

/**
 * A process group is orphaned when no member has a parent in another group of the same session; its
 * members ignore SIGTSTP, SIGTTIN and SIGTTOU. A process whose parent is outside the container (init)
 * counts as having such a parent, as the shell that started it.
 */
export function isPgrpOrphaned(k: SignalKernel, pgid: number): boolean {
  for (const p of k.processes.values()) {
    if (p.pgid !== pgid || p.state !== 'alive') continue;
    const parent = p.parent;
    if (!parent) return false;
    if (parent.pgid !== pgid && parent.sid === p.sid) return false;
  }
  return true;
}

/**
 * A stop signal's default action: every thread of the group stops now (a sleeper is interrupted so
 * that it re-executes its syscall after SIGCONT), and the parent hears CLD_STOPPED.
 */
export function stopProcess(k: SignalKernel, proc: Process, sig: number): void {
  proc.signal.groupStopped = true;
  proc.stopReport = sig;
  proc.continueReport = false;
  for (const c of proc.threads) {
    // A killable sleeper (vfork parent) stays asleep; it stops when it wakes (see deliverPendingSignals).
    if (c.state === 'blocked' && !inKillableSleep(c)) c.interrupt();
    if (c.state === 'runnable') c.state = 'stopped';
  }
  notifyParentOfJobControl(k, proc, CLD_STOPPED, sig);
}

/** The next signal `t` may take: its own pending set first, then the group's (faults first within each). */
function dequeueDeliverable(t: Task): SigInfo | null {
  let sig = t.pending.next(t.blocked);
  if (sig !== 0) return t.pending.dequeue(sig);
  const shared = t.proc.signal.shared;
  sig = shared.next(t.blocked);
  return sig !== 0 ? shared.dequeue(sig) : null;
}

/** True when a signal is pending that `t`'s mask lets through (the wake condition of rt_sigsuspend). */
export function hasDeliverableSignal(t: Task): boolean {
  return ((t.pending.mask | t.proc.signal.shared.mask) & ~t.blocked) !== 0n || t.proc.signal.groupExitSignal !== 0;
}

/**
 * Run signal delivery for `t` at an instruction boundary, before it next executes user code (the
 * scheduler calls it before each slice and after each syscall). Takes every deliverable signal in
 * Linux's order: ignored ones are dropped; SIG_DFL terminate/core calls k.exitGroup (t is dead
 * afterwards); stop stops the whole group (t.state becomes 'stopped'); a handler gets an rt_sigframe,
 * and further signals stack their frames on top, so the last one set up runs first. A syscall the
 * task was interrupted in is settled first (EINTR or restart). The caller must re-check t.state.
 */
export function deliverPendingSignals(k: SignalKernel, t: Task): void {
  if (t.state !== 'runnable') return;
  const proc = t.proc;
  const sigs = proc.signal;
  if (t.pending.mask === 0n && sigs.shared.mask === 0n && !t.interrupted && sigs.groupExitSignal === 0
    && t.savedBlocked === null && !sigs.groupStopped) return;
  if (proc.groupExitStatus !== null) return;
  if (sigs.groupExitSignal !== 0) {
    k.exitGroup(proc, sigs.groupExitSignal);
    return;
  }
  // A thread that woke while its group is stopped joins the stop before running user code.
  if (sigs.groupStopped) {
    t.state = 'stopped';
    return;
  }
  if (t.interrupted) {
    // Nothing to deliver (another thread took the signal): the call re-executes when t runs.
    if (!hasDeliverableSignal(t)) {
      t.interrupted = false;
      return;
    }
    // The call may be able to finish now (its event came with the signal); then it is not interrupted.
    retryInterruptedSyscall(k, t);
    if (t.state !== 'runnable') return;
  }
  for (let n = 0; n < MAX_DELIVERIES; n++) {
    const info = dequeueDeliverable(t);
    if (!info) break;
    const sig = info.signo;
    const act = t.sighand.get(sig);
    if (act.handler === SIG_IGN) continue;
    if (act.handler === SIG_DFL) {
      const d = defaultAction(sig);
      if (d === 'ignore' || d === 'cont') continue;
      if (d === 'stop') {
        if (sig !== SIGSTOP && isPgrpOrphaned(k, proc.pgid)) continue;
        stopProcess(k, proc, sig);
        return;
      }
      k.exitGroup(proc, deathStatus(proc, sig));
      return;
    }
    if ((act.flags & SA_RESETHAND) !== 0) t.sighand.resetToDefault(sig);
    resolveInterruptedSyscall(k, t, act);
    if (!setupRtFrame(t, sig, info, act, t.savedBlocked ?? t.blocked)) {
      forceSigsegv(k, t, sig);
      continue;
    }
    t.savedBlocked = null;
    const add = (act.flags & SA_NODEFER) !== 0 ? act.mask : act.mask | sigBit(sig);
    t.blocked = blockableMask(t.blocked | add);
  }
  // No handler for the interrupted call: it re-executes, and a mask saved by sigsuspend/ppoll is put back
  // (the call saves it again if it blocks again).
  resolveInterruptedSyscall(k, t, null);
  if (t.savedBlocked !== null) {
    t.blocked = t.savedBlocked;
    t.savedBlocked = null;
  }
}
