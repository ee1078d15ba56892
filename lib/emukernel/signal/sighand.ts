// The signal handler table (Linux's sighand_struct): one sigaction per signal, shared by CLONE_SIGHAND.
import { NSIG, SIG_DFL, SIG_IGN, defaultAction, isDefaultIgnored } from './constants';

/** One struct sigaction as the kernel holds it. */
export interface SigAction {
  /** SIG_DFL, SIG_IGN or the handler's user address. */
  handler: number;
  /** sa_flags (SA_*), already filtered to the flags the kernel knows. */
  flags: number;
  /** sa_mask, without SIGKILL and SIGSTOP. */
  mask: bigint;
  /** sa_restorer: riscv64 has no SA_RESTORER, so always 0; kept for the checkpoint format. */
  restorer: number;
}

const DEFAULT: SigAction = Object.freeze({ handler: SIG_DFL, flags: 0, mask: 0n, restorer: 0 });

export class SigHand {
  /** actions[sig] for sig 1..64; index 0 unused. Entries are replaced, never mutated, so a clone can share them. */
  private readonly actions: SigAction[];

  constructor(actions?: readonly SigAction[]) {
    this.actions = actions ? actions.slice() : new Array<SigAction>(NSIG + 1).fill(DEFAULT);
  }

  /** The action for `sig` (1..64). */
  get(sig: number): SigAction {
    return this.actions[sig];
  }

  /** Install an action; the caller has validated `sig` and filtered flags and mask. */
  set(sig: number, act: SigAction): void {
    this.actions[sig] = Object.freeze({ ...act });
  }

  /** Back to SIG_DFL with no flags (SA_RESETHAND, force_sig). */
  resetToDefault(sig: number): void {
    this.actions[sig] = DEFAULT;
  }

  /** True when a signal sent now would be thrown away: SIG_IGN, or SIG_DFL whose default is to ignore. */
  ignores(sig: number): boolean {
    const h = this.actions[sig].handler;
    return h === SIG_IGN || (h === SIG_DFL && isDefaultIgnored(sig));
  }

  /** True when delivering `sig` would kill the process (SIG_DFL with a term or core default). */
  isFatal(sig: number): boolean {
    if (this.actions[sig].handler !== SIG_DFL) return false;
    const a = defaultAction(sig);
    return a === 'term' || a === 'core';
  }

  /**
   * execve: caught signals go back to SIG_DFL, ignored ones stay ignored, and every flag and mask is
   * cleared (Linux's flush_signal_handlers). A table shared with another process must be unshared
   * (clone()) by the caller first.
   */
  resetForExec(): void {
    for (let sig = 1; sig <= NSIG; sig++) {
      const a = this.actions[sig];
      if (a === DEFAULT) continue;
      this.actions[sig] = a.handler === SIG_IGN ? Object.freeze({ handler: SIG_IGN, flags: 0, mask: 0n, restorer: 0 }) : DEFAULT;
    }
  }

  /** A private copy for fork (a new process without CLONE_SIGHAND). */
  clone(): SigHand {
    return new SigHand(this.actions);
  }

  /** Every action in signal order (index 0 unused), for checkpoints and tests. */
  snapshot(): readonly SigAction[] {
    return this.actions.slice();
  }
}
