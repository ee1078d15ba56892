// Pending-signal sets (Linux's struct sigpending) and the signal state a thread group shares.
import { isRealtimeSignal, lowestSignal, sigBit, SI_USER } from './constants';

/** What a signal carries (the fields of siginfo_t that emukernel fills). */
export interface SigInfo {
  signo: number;
  code: number;
  /** Sender's pid and uid (SI_USER, SI_TKILL, SI_QUEUE, CLD_*). */
  pid: number;
  uid: number;
  /** The faulting address (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP). */
  addr?: number;
  /** CLD_* status for SIGCHLD: the exit code or the signal. */
  status?: number;
  /** si_errno. */
  errno?: number;
  /** sigval (sigqueue, timers): as a 64-bit value, exact below 2^53. */
  value?: number;
  /** SIGCHLD's si_utime / si_stime in clock ticks. */
  utime?: number;
  stime?: number;
  /** The 128 bytes a sender passed to rt_sigqueueinfo, delivered as given (si_signo already patched). */
  raw?: Uint8Array;
}

/** Real-time instances one pending set holds before further sigqueue calls fail with EAGAIN (RLIMIT_SIGPENDING-like). */
export const MAX_QUEUED_SIGNALS = 4096;

export class SigPending {
  /** Bit n-1 set when signal n is pending. */
  mask = 0n;
  /** siginfo for each pending instance, in arrival order (standard signals at most one each). */
  readonly queue: SigInfo[] = [];

  /** True when signal `sig` is pending here. */
  has(sig: number): boolean {
    return (this.mask & sigBit(sig)) !== 0n;
  }

  /**
   * Queue one instance. A standard signal already pending is coalesced: returns false and keeps the
   * first siginfo. A real-time signal queues each instance with its siginfo; past MAX_QUEUED_SIGNALS the
   * bit is still set but the siginfo is dropped (and false is returned so sigqueue can say EAGAIN).
   */
  add(info: SigInfo): boolean {
    const bit = sigBit(info.signo);
    if (!isRealtimeSignal(info.signo)) {
      if ((this.mask & bit) !== 0n) return false;
    } else if (this.queue.length >= MAX_QUEUED_SIGNALS) {
      this.mask |= bit;
      return false;
    }
    this.mask |= bit;
    this.queue.push(info);
    return true;
  }

  /** The lowest pending signal not in `blocked` (faults first), or 0. */
  next(blocked: bigint): number {
    return lowestSignal(this.mask & ~blocked);
  }

  /**
   * Take the oldest instance of `sig`. The bit stays set while more instances are queued. Returns
   * null if `sig` is not pending; a pending bit whose siginfo was dropped yields a plain SI_USER one.
   */
  dequeue(sig: number): SigInfo | null {
    const bit = sigBit(sig);
    if ((this.mask & bit) === 0n) return null;
    let found: SigInfo | null = null;
    let more = false;
    for (let i = 0; i < this.queue.length; i++) {
      if (this.queue[i].signo !== sig) continue;
      if (found === null) {
        found = this.queue[i];
        this.queue.splice(i, 1);
        i--;
      } else {
        more = true;
        break;
      }
    }
    if (!more) this.mask &= ~bit;
    return found ?? { signo: sig, code: SI_USER, pid: 0, uid: 0 };
  }

  /** Drop every pending instance of the signals in `mask`. Returns true if anything was dropped. */
  discard(mask: bigint): boolean {
    if ((this.mask & mask) === 0n) return false;
    this.mask &= ~mask;
    for (let i = this.queue.length - 1; i >= 0; i--) {
      if ((sigBit(this.queue[i].signo) & mask) !== 0n) this.queue.splice(i, 1);
    }
    return true;
  }

  /** Forget everything (exec does not, exit does). */
  clear(): void {
    this.mask = 0n;
    this.queue.length = 0;
  }
}

export class SignalShared {
  /** Signals sent to the whole thread group (kill, not tgkill), taken by whichever thread gets there first. */
  readonly shared = new SigPending();
  /** The thread group is stopped by a stop signal (SIGNAL_STOP_STOPPED); SIGCONT clears it. */
  groupStopped = false;
  /**
   * A fatal signal (SIGKILL, or a SIG_DFL terminating one nobody blocks) is killing the group: the
   * first thread to reach signal delivery calls exit_group with it. 0 when none.
   */
  groupExitSignal = 0;
}
