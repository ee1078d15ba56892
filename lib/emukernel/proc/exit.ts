// Task and process exit: clear_child_tid, zombies, reparenting, SIGCHLD, the end of the container.
import type { Kernel } from '../kernel';
import type { Process } from '../process';
import type { Task } from '../task';
import { futexWakeAddress } from './futex';
import { childrenAutoReaped, retargetSharedPending, sendSignalToProcess, sighandOf } from '../signal/send';
import { FULL_MASK, SIG_IGN } from '../signal/constants';

const SIGKILL = 9;
const CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3;

/** End one thread with wait status `waitStatus`. The process becomes a zombie when its last thread is gone. */
export function exitTask(k: Kernel, t: Task, waitStatus: number): void {
  if (t.state === 'dead') return;
  // Waking the joiner is how pthread_join learns the thread is gone (Linux's mm_release).
  if (t.clearChildTid !== 0 && t.mm.users > 1) {
    if (t.mm.writeU32(t.clearChildTid, 0)) futexWakeAddress(k, t, t.clearChildTid, 1);
  }
  t.wakeRetry();
  t.state = 'dead';
  t.exitStatus = waitStatus;
  t.proc.deadInstructions += t.cpu.instret;
  releaseResources(k, t);
  k.removeTask(t);
  // Signals pending for the whole group must not die with this thread.
  if (t.proc.threads.size > 0) retargetSharedPending(t, ~t.blocked & FULL_MASK);
  finishVfork(k, t);
  if (t.proc.threads.size === 0) exitProcess(k, t.proc, t.proc.groupExitStatus ?? waitStatus);
}

/** Drop the task's references to shared kernel objects; the last user frees them. */
function releaseResources(k: Kernel, t: Task): void {
  let filesShared = false;
  for (const o of k.tasks.values()) {
    if (o !== t && o.files === t.files) { filesShared = true; break; }
  }
  if (!filesShared) t.files.closeAll();
  t.mm.release();
}

/** A vfork parent waits until its child execs or exits. */
export function finishVfork(k: Kernel, child: Task): void {
  const parentTid = vforkParents.get(child);
  if (parentTid === undefined) return;
  vforkParents.delete(child);
  k.tasks.get(parentTid)?.completeSyscall(child.tid);
}

/** Child task -> the tid of the parent blocked in vfork for it. */
export const vforkParents = new WeakMap<Task, number>();

/** End every thread of `proc` (exit_group, fatal signals). */
export function exitGroup(k: Kernel, proc: Process, waitStatus: number): void {
  if (proc.groupExitStatus === null) proc.groupExitStatus = waitStatus;
  for (const t of [...proc.threads]) exitTask(k, t, waitStatus);
}

/** execve in a multi-threaded process: every other thread goes. */
export function killOtherThreads(k: Kernel, keep: Task): void {
  for (const t of [...keep.proc.threads]) {
    if (t === keep || t.state === 'dead') continue;
    t.wakeRetry();
    t.state = 'dead';
    keep.proc.deadInstructions += t.cpu.instret;
    t.mm.release();
    k.removeTask(t);
  }
}

function exitProcess(k: Kernel, proc: Process, waitStatus: number): void {
  proc.state = 'zombie';
  proc.waitStatus = waitStatus;
  if (proc === k.init) {
    // Init's death ends the container, as in a pid namespace.
    for (const p of [...k.processes.values()]) if (p !== proc && p.state === 'alive') exitGroup(k, p, SIGKILL);
    return;
  }
  reparentChildren(k, proc);
  const parent = proc.parent;
  if (!parent) return;
  const autoReap = childrenAutoReaped(parent);
  // SIG_IGN suppresses SIGCHLD; SA_NOCLDWAIT with a handler still sends it, then reaps.
  const ignored = sighandOf(parent)?.get(proc.exitSignal).handler === SIG_IGN;
  if (proc.exitSignal !== 0 && !ignored) {
    const sig = waitStatus & 0x7f;
    const code = sig === 0 ? CLD_EXITED : waitStatus & 0x80 ? CLD_DUMPED : CLD_KILLED;
    sendSignalToProcess(k, parent, proc.exitSignal, {
      signo: proc.exitSignal, code, pid: proc.pid, uid: 0, status: sig === 0 ? (waitStatus >> 8) & 0xff : sig,
    });
  }
  if (autoReap) reap(k, proc);
  parent.childWait.wakeAll();
}

/** Orphans go to init; a zombie orphan is reported to init at once. */
function reparentChildren(k: Kernel, proc: Process): void {
  const init = k.init;
  for (const c of proc.children) {
    c.parent = init;
    if (init) {
      init.children.add(c);
      if (c.state === 'zombie') init.childWait.wakeAll();
    }
  }
  proc.children.clear();
}

/** Remove a zombie for good (wait4 collected it, or its parent ignores SIGCHLD). */
export function reap(k: Kernel, proc: Process): void {
  proc.state = 'reaped';
  proc.parent?.children.delete(proc);
  k.processes.delete(proc.pid);
}

/** A child stopped or continued: wake the parent's wait4. */
export function notifyParentOfStateChange(_k: Kernel, proc: Process): void {
  proc.parent?.childWait.wakeAll();
}
