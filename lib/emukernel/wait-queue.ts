// Wait queues: where blocked tasks sleep until an event (pipe data, child exit, futex wake, timer).
import type { Task } from './task';

/**
 * A blocked task sits on one or more queues with its pc still at the `ecall`. Waking it either
 * re-executes the syscall (`wakeRetry`: Linux's -ERESTARTSYS shape, so a frozen or checkpointed
 * blocked task needs no saved kernel stack) or completes it with a value (`Task.completeSyscall`).
 */
export class WaitQueue {
  private readonly waiters = new Set<Task>();

  add(t: Task): void {
    this.waiters.add(t);
    t.waitingOn.push(this);
  }

  remove(t: Task): void {
    this.waiters.delete(t);
  }

  get size(): number {
    return this.waiters.size;
  }

  /** Wake every waiter so that it re-executes its syscall. Returns how many were woken. */
  wakeAll(): number {
    const ws = [...this.waiters];
    for (const t of ws) t.wakeRetry();
    return ws.length;
  }

  /** The waiters in the order they went to sleep (Set preserves insertion order). */
  list(): Task[] {
    return [...this.waiters];
  }
}
