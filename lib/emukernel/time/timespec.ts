// struct timespec / timeval in user memory, and the absolute deadlines that restartable sleeps keep.
import type { Kernel } from '../kernel';
import type { Task } from '../task';

/** A struct timespec at `addr` as nanoseconds; null on fault, -1 if tv_nsec is out of range or tv_sec < 0. */
export function readTimespecNs(t: Task, addr: number): number | null {
  const sec = t.mm.readU64(addr);
  const nsec = t.mm.readU64(addr + 8);
  if (sec === null || nsec === null) return null;
  const s = BigInt.asIntN(64, sec), ns = BigInt.asIntN(64, nsec);
  if (s < 0n || ns < 0n || ns >= 1000000000n) return -1;
  // Clamp absurd sleeps so the double stays exact; 2^52 ns is 52 days.
  const total = s * 1000000000n + ns;
  return total > 2n ** 52n ? 2 ** 52 : Number(total);
}

/** A struct timespec as BigInt nanoseconds (absolute CLOCK_REALTIME values exceed 2^53); null on fault, -1n if invalid. */
export function readTimespecBig(t: Task, addr: number): bigint | null {
  const sec = t.mm.readU64(addr);
  const nsec = t.mm.readU64(addr + 8);
  if (sec === null || nsec === null) return null;
  const s = BigInt.asIntN(64, sec), ns = BigInt.asIntN(64, nsec);
  if (s < 0n || ns < 0n || ns >= 1000000000n) return -1n;
  return s * 1000000000n + ns;
}

/** Write `ns` as a struct timespec; false on fault. */
export function writeTimespecNs(t: Task, addr: number, ns: bigint): boolean {
  const sec = ns / 1000000000n, nsec = ns % 1000000000n;
  return t.mm.writeU64(addr, sec) && t.mm.writeU64(addr + 8, nsec);
}

/**
 * The absolute deadline for a relative timeout, computed once per syscall: a re-executed call
 * (after a wake, a freeze or a restart from a checkpoint) keeps the first deadline.
 */
export function restartDeadline(k: Kernel, t: Task, nr: number, relNs: number): number {
  if (t.restart && t.restart.nr === nr && t.restart.deadlineNs !== undefined) return t.restart.deadlineNs;
  const deadlineNs = k.nowNs() + relNs;
  t.restart = { nr, deadlineNs };
  return deadlineNs;
}
