// A task (Linux's task_struct): one hart plus the kernel objects it points at, some of them shared.
import { Hart } from '../arch/riscv64/cpu';
import { CpuState, Reg, setI64 } from '../arch/riscv64/state';
import type { Mm } from './mm/mm';
import type { FdTable } from './fs/fdtable';
import type { FsContext } from './fs/fs-context';
import type { SigHand } from './signal/sighand';
import { SigPending } from './signal/pending';
import type { Process } from './process';
import type { WaitQueue } from './wait-queue';

/**
 * runnable: may be picked by the scheduler. blocked: asleep in a syscall, pc at the ecall.
 * stopped: SIGSTOP and friends. dead: exited (its Process may still be a zombie).
 */
export type TaskState = 'runnable' | 'blocked' | 'stopped' | 'dead';

/**
 * Progress a blocking syscall keeps across re-executions (Linux's restart_block). A syscall that
 * must not redo work it already did (a large pipe write, an absolute sleep deadline) stores it here;
 * it is cleared when the syscall completes. A checkpoint saves it with the task.
 */
export interface RestartBlock {
  /** The syscall number this block belongs to; a different syscall discards it. */
  nr: number;
  /** Absolute CLOCK_MONOTONIC deadline in ns, for sleeps and timeouts. */
  deadlineNs?: number;
  /** Bytes already transferred by a partially complete read/write. */
  done?: number;
}

/** Orders sleepers by when they went to sleep (wait queues are FIFO; a restart must rebuild them in order). */
let sleepCounter = 0;

export class Task {
  readonly cpu = new CpuState();
  readonly hart: Hart;
  state: TaskState = 'runnable';
  /** Queues this task sleeps on while blocked; cleared on wake. */
  waitingOn: WaitQueue[] = [];
  /** CLOCK_MONOTONIC ns at which a sleeping task wakes on its own (timeouts), or null. */
  wakeAtNs: number | null = null;
  /** What the syscall returns if `wakeAtNs` passes first (0 for sleeps, -ETIMEDOUT for futex), or null to re-execute it. */
  timeoutResult: number | null = null;
  restart: RestartBlock | null = null;
  /**
   * True when a signal woke this task out of a blocking syscall: before running it, signal delivery
   * decides between -EINTR and restarting (SA_RESTART). The pc is still at the ecall.
   */
  interrupted = false;
  /** When this task last went to sleep (see sleepCounter). */
  sleepSeq = 0;
  /**
   * Restored asleep in a syscall: re-executing the ecall once to sleep again is not a retired
   * instruction. True while that re-execution's handler runs, so a handler whose wait condition is
   * user memory (futex) can go back to sleep without re-checking it.
   */
  reissue = false;
  /** Per-thread pending signals and the blocked mask (bit n-1 for signal n). */
  readonly pending = new SigPending();
  blocked = 0n;
  /** Saved mask to restore after a handler run from rt_sigsuspend / ppoll, or null. */
  savedBlocked: bigint | null = null;
  /** set_tid_address / CLONE_CHILD_CLEARTID: zeroed and futex-woken at exit. */
  clearChildTid = 0;
  robustList = 0;
  robustListLen = 0;
  /** Alternate signal stack (sigaltstack). */
  altStackSp = 0;
  altStackSize = 0;
  altStackFlags = 2; // SS_DISABLE
  comm: string;
  /** Credentials (real = effective here; setuid and friends are not emulated). */
  uid = 0;
  gid = 0;
  /** Wait status for this thread's exit, kept until the process is reaped. */
  exitStatus = 0;

  constructor(
    readonly tid: number,
    public proc: Process,
    public mm: Mm,
    public files: FdTable,
    public fs: FsContext,
    public sighand: SigHand,
    comm: string,
  ) {
    this.hart = new Hart(this.cpu, mm);
    this.comm = comm;
  }

  get tgid(): number {
    return this.proc.pid;
  }

  /** Put the task to sleep on the given queues (and optionally until a deadline). The caller returns BLOCKED. */
  sleepOn(queues: readonly WaitQueue[], wakeAtNs: number | null = null, timeoutResult: number | null = null): void {
    for (const q of queues) q.add(this);
    this.sleepSeq = ++sleepCounter;
    this.wakeAtNs = wakeAtNs;
    this.timeoutResult = timeoutResult;
    this.state = 'blocked';
  }

  private leaveQueues(): void {
    for (const q of this.waitingOn) q.remove(this);
    this.waitingOn = [];
    this.wakeAtNs = null;
    this.timeoutResult = null;
  }

  /** Wake a blocked task so that it re-executes its syscall. No effect on other states. */
  wakeRetry(): void {
    if (this.state !== 'blocked') return;
    this.leaveQueues();
    this.state = 'runnable';
  }

  /** Wake a blocked task and complete its syscall now with `value` in a0 (futex wake, wait4 result). */
  completeSyscall(value: number): void {
    if (this.state !== 'blocked') return;
    this.leaveQueues();
    this.restart = null;
    setI64(this.cpu, Reg.a0, value);
    // The ecall was already counted as retired when it was executed; only the pc moves on.
    this.cpu.pc += 4;
    this.state = 'runnable';
  }

  /** Wake a blocked task because a signal arrived; delivery decides EINTR or restart. */
  interrupt(): void {
    if (this.state !== 'blocked') return;
    this.leaveQueues();
    this.interrupted = true;
    this.state = 'runnable';
  }

  /** Switch this task's hart to another address space (execve, restart). */
  switchMm(mm: Mm): void {
    this.mm = mm;
    this.hart.bus = mm;
    this.hart.flushCaches();
  }
}
