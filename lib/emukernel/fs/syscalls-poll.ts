// ioctl (generic fd requests, then the file's own), and ppoll/pselect6 over the files' poll answers.
import { EBADF, EFAULT, EINVAL, KernelError } from '../errno';
import type { Kernel } from '../kernel';
import { blockableMask } from '../signal/constants';
import { hasDeliverableSignal } from '../signal/deliver';
import { argInt, argU32, argU64, BLOCKED, SyscallOutcome, SyscallTable, syscallNumber } from '../syscall';
import { NR } from '../syscall-numbers';
import type { Task } from '../task';
import type { WaitQueue } from '../wait-queue';
import {
  FASYNC, FIOASYNC, FIOCLEX, FIONBIO, FIONCLEX, O_NONBLOCK, POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT,
  POLLPRI, POLLRDNORM, POLLWRNORM,
} from './constants';
import type { OpenFile } from './file';
import { fdLimit, fileOf } from './syscall-args';

/** ioctl(fd, cmd, arg): close-on-exec and O_NONBLOCK/FASYNC toggles here; everything else is the file's. */
function sysIoctl(_k: Kernel, t: Task): number {
  const fd = argInt(t, 0), cmd = argU32(t, 1), arg = argU64(t, 2);
  const f = fileOf(t, fd);
  const e = t.files.entry(fd);
  switch (cmd) {
    case FIOCLEX: if (e) e.cloexec = true; return 0;
    case FIONCLEX: if (e) e.cloexec = false; return 0;
    case FIONBIO:
    case FIOASYNC: {
      const on = t.mm.readU32(arg);
      if (on === null) return -EFAULT;
      const bit = cmd === FIONBIO ? O_NONBLOCK : FASYNC;
      f.flags = on !== 0 ? f.flags | bit : f.flags & ~bit;
      return 0;
    }
    default:
      return f.ops.ioctl(f, t, cmd, arg);
  }
}

const NS_PER_SEC = 1_000_000_000;

/** A relative timeout (struct timespec at `addr`) in ns; null for "forever" (addr 0). Throws EFAULT, EINVAL. */
function readTimeout(t: Task, addr: number): number | null {
  if (addr === 0) return null;
  const sec = t.mm.readU64(addr), nsec = t.mm.readU64(addr + 8);
  if (sec === null || nsec === null) throw new KernelError(EFAULT, 'poll');
  const s = BigInt.asIntN(64, sec), n = BigInt.asIntN(64, nsec);
  if (s < 0n || n < 0n || n >= 1_000_000_000n) throw new KernelError(EINVAL, 'poll');
  return Number(s) * NS_PER_SEC + Number(n);
}

/** The absolute deadline of this call: kept in t.restart so re-executions after wake-ups keep the first one. */
function callDeadline(k: Kernel, t: Task, nr: number, relNs: number | null): number | undefined {
  const r = t.restart;
  if (r && r.nr === nr) return r.deadlineNs;
  return relNs === null ? undefined : k.nowNs() + relNs;
}

/** Write the remaining time back to the timeout, as ppoll and pselect6 do. */
function writeRemaining(k: Kernel, t: Task, addr: number, deadline: number | undefined): void {
  if (addr === 0 || deadline === undefined) return;
  const left = Math.max(0, deadline - k.nowNs());
  t.mm.writeU64Num(addr, Math.floor(left / NS_PER_SEC));
  t.mm.writeU64Num(addr + 8, left % NS_PER_SEC);
}

/**
 * The common sleep of ppoll/pselect6: swap in the caller's signal mask (saved for delivery to put
 * back), sleep on every file's queues until `deadline`, and get interrupted at once if the new mask
 * lets a pending signal through.
 */
function sleepPolling(t: Task, nr: number, queues: WaitQueue[], deadline: number | undefined, sigmaskAddr: number): SyscallOutcome {
  if (sigmaskAddr !== 0) {
    const mask = t.mm.readU64(sigmaskAddr);
    if (mask === null) return -EFAULT;
    if (t.savedBlocked === null) t.savedBlocked = t.blocked;
    t.blocked = blockableMask(mask);
  }
  t.restart = { nr, deadlineNs: deadline };
  t.sleepOn(queues, deadline ?? null);
  if (hasDeliverableSignal(t)) t.interrupt();
  return BLOCKED;
}

/** A ppoll/pselect6 that is returning (not sleeping): the caller's own mask comes back. */
function restoreMask(t: Task): void {
  if (t.savedBlocked !== null) {
    t.blocked = t.savedBlocked;
    t.savedBlocked = null;
  }
}

/** ppoll(fds, nfds, tmo_p, sigmask, sigsetsize) — what glibc's poll() calls. */
function sysPpoll(k: Kernel, t: Task): SyscallOutcome {
  const fdsAddr = argU64(t, 0), nfds = argU64(t, 1), tmoAddr = argU64(t, 2), maskAddr = argU64(t, 3);
  if (nfds > fdLimit(t)) return -EINVAL;
  if (maskAddr !== 0 && argU64(t, 4) !== 8) return -EINVAL;
  const nr = syscallNumber(t.cpu);
  const deadline = callDeadline(k, t, nr, readTimeout(t, tmoAddr));
  const raw = nfds === 0 ? new Uint8Array(0) : t.mm.read(fdsAddr, nfds * 8);
  if (raw === null) return -EFAULT;
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const queues: WaitQueue[] = [];
  let ready = 0;
  for (let i = 0; i < nfds; i++) {
    const fd = v.getInt32(8 * i, true);
    const events = v.getUint16(8 * i + 4, true);
    let revents = 0;
    if (fd >= 0) {
      const f = t.files.get(fd);
      if (!f) revents = POLLNVAL;
      else {
        revents = f.ops.poll(f) & (events | POLLERR | POLLHUP);
        for (const q of f.ops.pollQueues(f)) queues.push(q);
      }
    }
    v.setUint16(8 * i + 6, revents, true);
    if (revents !== 0) ready++;
  }
  const expired = deadline !== undefined && k.nowNs() >= deadline;
  if (ready === 0 && !expired) return sleepPolling(t, nr, queues, deadline, maskAddr);
  restoreMask(t);
  if (nfds > 0 && !t.mm.write(fdsAddr, raw)) return -EFAULT;
  writeRemaining(k, t, tmoAddr, deadline);
  return ready;
}

const POLLIN_SET = POLLRDNORM | POLLIN | POLLHUP | POLLERR;
const POLLOUT_SET = POLLWRNORM | POLLOUT | POLLERR;
const POLLEX_SET = POLLPRI;

/** pselect6(nfds, readfds, writefds, exceptfds, timeout, {sigmask, size}) — what glibc's select() calls. */
function sysPselect6(k: Kernel, t: Task): SyscallOutcome {
  const nfds = argInt(t, 0);
  const setAddrs = [argU64(t, 1), argU64(t, 2), argU64(t, 3)];
  const tmoAddr = argU64(t, 4), sigAddr = argU64(t, 5);
  if (nfds < 0 || nfds > fdLimit(t)) return -EINVAL;
  const nr = syscallNumber(t.cpu);
  const rel = readTimeout(t, tmoAddr);
  let maskAddr = 0;
  if (sigAddr !== 0) {
    const p = t.mm.readU64Num(sigAddr), size = t.mm.readU64Num(sigAddr + 8);
    if (p === null || size === null) return -EFAULT;
    if (p !== 0 && size !== 8) return -EINVAL;
    maskAddr = p;
  }
  const deadline = callDeadline(k, t, nr, rel);
  const bytes = Math.ceil(nfds / 64) * 8;
  const inSets: (Uint8Array | null)[] = [];
  for (const a of setAddrs) {
    if (a === 0 || bytes === 0) { inSets.push(null); continue; }
    const b = t.mm.read(a, bytes);
    if (b === null) return -EFAULT;
    inSets.push(b);
  }
  const outSets = inSets.map((s) => (s ? new Uint8Array(s.length) : null));
  const masks = [POLLIN_SET, POLLOUT_SET, POLLEX_SET];
  const queues: WaitQueue[] = [];
  let ready = 0;
  for (let fd = 0; fd < nfds; fd++) {
    const byte = fd >> 3, bit = 1 << (fd & 7);
    let wanted = false;
    for (const s of inSets) if (s && (s[byte] & bit)) wanted = true;
    if (!wanted) continue;
    const f: OpenFile | null = t.files.get(fd);
    if (!f) return -EBADF;
    const ev = f.ops.poll(f);
    for (const q of f.ops.pollQueues(f)) queues.push(q);
    for (let i = 0; i < 3; i++) {
      const s = inSets[i], o = outSets[i];
      if (s && o && (s[byte] & bit) && (ev & masks[i])) { o[byte] |= bit; ready++; }
    }
  }
  const expired = deadline !== undefined && k.nowNs() >= deadline;
  if (ready === 0 && !expired) return sleepPolling(t, nr, queues, deadline, maskAddr);
  restoreMask(t);
  for (let i = 0; i < 3; i++) {
    const o = outSets[i];
    if (o && !t.mm.write(setAddrs[i], o)) return -EFAULT;
  }
  writeRemaining(k, t, tmoAddr, deadline);
  return ready;
}

export const pollSyscalls: SyscallTable = {
  [NR.ioctl]: sysIoctl,
  [NR.ppoll]: sysPpoll,
  [NR.pselect6]: sysPselect6,
};
