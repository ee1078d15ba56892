// The part of the Kernel that signal code uses: a narrow interface so the signal modules can be tested alone.
import type { Process } from '../process';
import type { SyscallOutcome } from '../syscall';
import type { Task } from '../task';

/**
 * A syscall handler as the signal code calls it. Its kernel parameter is typed `never` so that the
 * Kernel's own handlers (which take a Kernel) fit; the caller passes the kernel it was given.
 */
export type RetryableHandler = (k: never, t: Task) => SyscallOutcome;

/** Kernel satisfies this structurally; unit tests supply a small fake. */
export interface SignalKernel {
  readonly tasks: Map<number, Task>;
  readonly processes: Map<number, Process>;
  /** CLOCK_MONOTONIC now, in ns. */
  nowNs(): number;
  /** End every thread of `proc` with `waitStatus` (wait4's encoding). */
  exitGroup(proc: Process, waitStatus: number): void;
  /** A child stopped or continued: wake its parent's wait4 (the SIGCHLD is sent by the signal code). */
  notifyParentOfStateChange(proc: Process): void;
  /** Instructions retired by the container (a re-executed ecall counts, as in the dispatcher). */
  instructions: number;
  /** The handler for syscall `nr`, or undefined (ENOSYS). */
  syscallHandler(nr: number): RetryableHandler | undefined;
}
