// Signal state across fork, clone and execve (what is inherited, what is reset).
import type { Task } from '../task';
import { SS_DISABLE } from './constants';

const CLONE_VM = 0x100, CLONE_VFORK = 0x4000;

/**
 * Signal state a new task takes from its creator: the blocked mask and the alternate stack (except
 * for a thread sharing the address space without CLONE_VFORK, whose stack would collide). Pending
 * signals are never inherited. The sighand (shared or cloned) is chosen by clone itself.
 */
export function inheritSignalState(parent: Task, child: Task, cloneFlags: number): void {
  child.blocked = parent.blocked;
  child.savedBlocked = null;
  if ((cloneFlags & CLONE_VM) !== 0 && (cloneFlags & CLONE_VFORK) === 0) {
    child.altStackSp = 0;
    child.altStackSize = 0;
    child.altStackFlags = SS_DISABLE;
  } else {
    child.altStackSp = parent.altStackSp;
    child.altStackSize = parent.altStackSize;
    child.altStackFlags = parent.altStackFlags;
  }
}

/**
 * execve: handlers go back to SIG_DFL (ignored stay ignored), the alternate stack is cleared; the
 * mask and pending signals survive. `unshare` must be true when another process still uses this
 * sighand (CLONE_SIGHAND without CLONE_THREAD, e.g. vfork-like clones), so that it keeps its handlers.
 */
export function resetSignalsForExec(t: Task, unshare: boolean): void {
  if (unshare) t.sighand = t.sighand.clone();
  t.sighand.resetForExec();
  t.altStackSp = 0;
  t.altStackSize = 0;
  t.altStackFlags = SS_DISABLE;
  t.savedBlocked = null;
}
