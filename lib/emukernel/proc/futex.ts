// futex(2): wait queues keyed by user address, the primitive under every glibc lock and condvar.
import { EAGAIN, EFAULT, EINVAL, ENOSYS, ETIMEDOUT } from '../errno';
import type { Kernel } from '../kernel';
import { argInt, argU32, argU64, BLOCKED, SyscallOutcome, SyscallTable } from '../syscall';
import { NR } from '../syscall-numbers';
import type { Task } from '../task';
import { WaitQueue } from '../wait-queue';
import { readTimespecBig, restartDeadline } from '../time/timespec';

const FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_REQUEUE = 3, FUTEX_CMP_REQUEUE = 4, FUTEX_WAKE_OP = 5,
  FUTEX_WAIT_BITSET = 9, FUTEX_WAKE_BITSET = 10;
const FUTEX_PRIVATE_FLAG = 128, FUTEX_CLOCK_REALTIME = 256;
const FUTEX_BITSET_MATCH_ANY = 0xffffffff;

/**
 * Futexes are keyed by (address space, address). Threads share an mm so private and shared futexes
 * between threads agree; futexes in MAP_SHARED memory across processes are keyed the same way,
 * which is only right within one mm (noted as a limitation in docs/ARCHITECTURE.md).
 */
const tables = new WeakMap<Kernel, Map<string, WaitQueue>>();
/** The bitset each waiter waits with. */
const waitBitsets = new WeakMap<Task, number>();

function queueFor(k: Kernel, t: Task, addr: number, create: boolean): WaitQueue | undefined {
  let table = tables.get(k);
  if (!table) { table = new Map(); tables.set(k, table); }
  const key = `${t.mm.id}:${addr}`;
  let q = table.get(key);
  if (!q && create) { q = new WaitQueue(); table.set(key, q); }
  return q;
}

/** Wake up to `n` waiters on `addr` whose bitset intersects `bitset`; returns how many woke. */
export function futexWakeAddress(k: Kernel, t: Task, addr: number, n: number, bitset = FUTEX_BITSET_MATCH_ANY): number {
  const q = queueFor(k, t, addr, false);
  if (!q) return 0;
  let woken = 0;
  for (const w of q.list()) {
    if (woken >= n) break;
    if (((waitBitsets.get(w) ?? FUTEX_BITSET_MATCH_ANY) & bitset) === 0) continue;
    w.completeSyscall(0);
    woken++;
  }
  return woken;
}

function futexWait(k: Kernel, t: Task, addr: number, val: number, timeoutAddr: number, absolute: boolean, realtime: boolean, bitset: number): SyscallOutcome {
  if (bitset === 0) return -EINVAL;
  if (addr % 4 !== 0) return -EINVAL;
  const cur = t.mm.readU32(addr);
  if (cur === null) return -EFAULT;
  // A sleeper restored from a checkpoint was already queued: the word may have changed since (an
  // unlock that has not called FUTEX_WAKE yet), and the wake that follows must still find it.
  if (cur !== val >>> 0 && !t.reissue) return -EAGAIN;
  let deadline: number | null = null;
  if (timeoutAddr !== 0) {
    const ts = readTimespecBig(t, timeoutAddr);
    if (ts === null) return -EFAULT;
    if (ts < 0n) return -EINVAL;
    if (absolute) {
      // An absolute CLOCK_REALTIME deadline is converted to monotonic once; the two clocks move together.
      deadline = Number(realtime ? ts - k.clock.realtimeBaseNs : ts);
    } else {
      deadline = restartDeadline(k, t, NR.futex, Number(ts));
    }
    if (deadline <= k.nowNs()) return -ETIMEDOUT;
  }
  waitBitsets.set(t, bitset);
  t.sleepOn([queueFor(k, t, addr, true) as WaitQueue], deadline, -ETIMEDOUT);
  return BLOCKED;
}

function futexRequeue(k: Kernel, t: Task, addr: number, nWake: number, nMove: number, addr2: number, cmp: number | null): SyscallOutcome {
  if (cmp !== null) {
    const cur = t.mm.readU32(addr);
    if (cur === null) return -EFAULT;
    if (cur !== cmp >>> 0) return -EAGAIN;
  }
  const woken = futexWakeAddress(k, t, addr, nWake);
  const q1 = queueFor(k, t, addr, false);
  if (!q1) return woken;
  let moved = 0;
  for (const w of q1.list()) {
    if (moved >= nMove) break;
    q1.remove(w);
    w.waitingOn = w.waitingOn.filter((q) => q !== q1);
    (queueFor(k, t, addr2, true) as WaitQueue).add(w);
    moved++;
  }
  return woken + moved;
}

function futexWakeOp(k: Kernel, t: Task, addr: number, n: number, n2: number, addr2: number, encoded: number): SyscallOutcome {
  const op = (encoded >>> 28) & 7, cmp = (encoded >>> 24) & 15;
  let oparg = (encoded << 8) >> 20, cmparg = (encoded << 20) >> 20;
  if (encoded & (8 << 28)) oparg = 1 << (oparg & 31);
  const old = t.mm.readU32(addr2);
  if (old === null) return -EFAULT;
  const ops = [() => oparg, () => old + oparg, () => old | oparg, () => old & ~oparg, () => old ^ oparg];
  if (op >= ops.length) return -ENOSYS;
  if (!t.mm.writeU32(addr2, ops[op]() >>> 0)) return -EFAULT;
  const o = old | 0;
  const cmps = [o === cmparg, o !== cmparg, o < cmparg, o <= cmparg, o > cmparg, o >= cmparg];
  let woken = futexWakeAddress(k, t, addr, n);
  if (cmps[cmp]) woken += futexWakeAddress(k, t, addr2, n2);
  return woken;
}

function sysFutex(k: Kernel, t: Task): SyscallOutcome {
  const addr = argU64(t, 0);
  const opFull = argInt(t, 1);
  const op = opFull & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
  const realtime = (opFull & FUTEX_CLOCK_REALTIME) !== 0;
  const val = argU32(t, 2);
  switch (op) {
    case FUTEX_WAIT: return futexWait(k, t, addr, val, argU64(t, 3), false, false, FUTEX_BITSET_MATCH_ANY);
    case FUTEX_WAIT_BITSET: return futexWait(k, t, addr, val, argU64(t, 3), true, realtime, argU32(t, 5));
    case FUTEX_WAKE: return futexWakeAddress(k, t, addr, val);
    case FUTEX_WAKE_BITSET: return argU32(t, 5) === 0 ? -EINVAL : futexWakeAddress(k, t, addr, val, argU32(t, 5));
    case FUTEX_REQUEUE: return futexRequeue(k, t, addr, val, argU32(t, 3), argU64(t, 4), null);
    case FUTEX_CMP_REQUEUE: return futexRequeue(k, t, addr, val, argU32(t, 3), argU64(t, 4), argU32(t, 5));
    case FUTEX_WAKE_OP: return futexWakeOp(k, t, addr, val, argU32(t, 3), argU64(t, 4), argU32(t, 5));
    default: return -ENOSYS;
  }
}

function sysSetRobustList(_k: Kernel, t: Task): SyscallOutcome {
  if (argU64(t, 1) !== 24) return -EINVAL;
  t.robustList = argU64(t, 0);
  t.robustListLen = 24;
  return 0;
}

function sysGetRobustList(k: Kernel, t: Task): SyscallOutcome {
  const pid = argInt(t, 0);
  const target = pid === 0 ? t : k.tasks.get(pid);
  if (!target) return -3; // ESRCH
  if (!t.mm.writeU64Num(argU64(t, 1), target.robustList)) return -EFAULT;
  if (!t.mm.writeU64Num(argU64(t, 2), target.robustListLen)) return -EFAULT;
  return 0;
}

export const futexSyscalls: SyscallTable = {
  [NR.futex]: sysFutex,
  [NR.set_robust_list]: sysSetRobustList,
  [NR.get_robust_list]: sysGetRobustList,
};
