// The virtual clock: time is a function of retired instructions and idle skips, so runs are deterministic.

/** One retired instruction is one virtual nanosecond (a 1 GHz machine). */
export const NS_PER_INSN = 1;
/** CLOCK_REALTIME at boot: 2026-01-01T00:00:00Z, fixed so that output never depends on the host. */
export const DEFAULT_REALTIME_BASE_NS = 1767225600n * 1000000000n;

export class VirtualClock {
  /** Nanoseconds skipped while every task slept (the scheduler jumps to the next deadline). */
  idleNs = 0;
  constructor(public realtimeBaseNs: bigint = DEFAULT_REALTIME_BASE_NS) {}

  /** CLOCK_MONOTONIC in ns for a container that has retired `instructions`. Never decreases. */
  monotonicNs(instructions: number): number {
    return instructions * NS_PER_INSN + this.idleNs;
  }

  /** CLOCK_REALTIME in ns. */
  realtimeNs(instructions: number): bigint {
    return this.realtimeBaseNs + BigInt(Math.floor(this.monotonicNs(instructions)));
  }

  /** Advance idle time so that monotonic time reaches `deadline` (no-op if already past). */
  skipTo(deadlineNs: number, instructions: number): void {
    const now = this.monotonicNs(instructions);
    if (deadlineNs > now) this.idleNs += deadlineNs - now;
  }
}
