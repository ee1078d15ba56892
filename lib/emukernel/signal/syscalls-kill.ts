// kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo: signals sent by one task to others.
import { EFAULT, EINVAL, EPERM, ESRCH } from '../errno';
import type { Process } from '../process';
import { argInt, argU64, SyscallOutcome } from '../syscall';
import type { Task } from '../task';
import { NSIG, SIGCONT, SI_TKILL, SI_USER } from './constants';
import type { SigInfo } from './pending';
import { sendSignalToProcess, sendSignalToTask } from './send';
import { decodeUserSigInfo, SIGINFO_SIZE } from './siginfo';
import type { SignalKernel } from './signal-kernel';

/** 0 (existence check) through 64; anything else is EINVAL once a target exists (Linux's order). */
function isValidOrZero(sig: number): boolean {
  return sig >= 0 && sig <= NSIG;
}

/** The thread group `pid` names: a process (alive or zombie), or the group of the thread with that tid. */
export function findProcess(k: SignalKernel, pid: number): Process | null {
  const p = k.processes.get(pid);
  if (p && p.state !== 'reaped') return p;
  const t = k.tasks.get(pid);
  return t && t.state !== 'dead' ? t.proc : null;
}

/**
 * Linux's check_kill_permission with real = effective ids: root, the same uid, or SIGCONT within the
 * session may signal. A zombie keeps the uid of its last thread (0 if unknown).
 */
function mayKill(sender: Task, target: Process, sig: number): boolean {
  if (sender.uid === 0) return true;
  let uid = 0;
  for (const th of target.threads) { uid = th.uid; break; }
  if (uid === sender.uid) return true;
  return sig === SIGCONT && target.sid === sender.proc.sid;
}

/** Permission, validity, then the send (sig 0 only checks). 0 or -errno. */
function signalProcess(k: SignalKernel, sender: Task, target: Process, sig: number, info: SigInfo): number {
  if (!isValidOrZero(sig)) return -EINVAL;
  if (!mayKill(sender, target, sig)) return -EPERM;
  if (sig === 0 || target.state !== 'alive') return 0;
  return sendSignalToProcess(k, target, sig, info);
}

/** Signal every member of group `pgid`: 0 if any send succeeded, else the last error, -ESRCH if empty. */
function signalGroup(k: SignalKernel, sender: Task, pgid: number, sig: number, info: SigInfo): number {
  let success = false;
  let result = -ESRCH;
  for (const p of [...k.processes.values()]) {
    if (p.pgid !== pgid || p.state === 'reaped') continue;
    const err = signalProcess(k, sender, p, sig, info);
    if (err === 0) success = true;
    result = err;
  }
  return success ? 0 : result;
}

function userInfo(t: Task, sig: number, code: number): SigInfo {
  return { signo: sig, code, pid: t.tgid, uid: t.uid };
}

/** kill(pid, sig): pid > 0 one process, 0 the caller's group, -1 everyone but init and the caller, < -1 group -pid. */
export function sysKill(k: SignalKernel, t: Task): SyscallOutcome {
  const pid = argInt(t, 0), sig = argInt(t, 1);
  const info = userInfo(t, sig, SI_USER);
  if (pid > 0) {
    const p = findProcess(k, pid);
    return p ? signalProcess(k, t, p, sig, info) : -ESRCH;
  }
  if (pid === 0) return signalGroup(k, t, t.proc.pgid, sig, info);
  if (pid === -2147483648) return -ESRCH;
  if (pid < -1) return signalGroup(k, t, -pid, sig, info);
  let count = 0;
  let result = 0;
  for (const p of [...k.processes.values()]) {
    if (p.pid <= 1 || p === t.proc || p.state === 'reaped') continue;
    count++;
    const err = signalProcess(k, t, p, sig, info);
    if (err !== -EPERM) result = err;
  }
  return count > 0 ? result : -ESRCH;
}

/** The live thread `tid`, optionally required to belong to group `tgid`. */
function findThread(k: SignalKernel, tid: number, tgid: number | null): Task | null {
  const th = k.tasks.get(tid);
  if (!th || th.state === 'dead') return null;
  return tgid === null || th.tgid === tgid ? th : null;
}

function signalThread(k: SignalKernel, sender: Task, target: Task, sig: number, info: SigInfo): number {
  if (!isValidOrZero(sig)) return -EINVAL;
  if (!mayKill(sender, target.proc, sig)) return -EPERM;
  if (sig === 0) return 0;
  return sendSignalToTask(k, target, sig, info);
}

/** tkill(tid, sig). */
export function sysTkill(k: SignalKernel, t: Task): SyscallOutcome {
  const tid = argInt(t, 0), sig = argInt(t, 1);
  if (tid <= 0) return -EINVAL;
  const th = findThread(k, tid, null);
  return th ? signalThread(k, t, th, sig, userInfo(t, sig, SI_TKILL)) : -ESRCH;
}

/** tgkill(tgid, tid, sig): raise() and pthread_kill() use this. */
export function sysTgkill(k: SignalKernel, t: Task): SyscallOutcome {
  const tgid = argInt(t, 0), tid = argInt(t, 1), sig = argInt(t, 2);
  if (tid <= 0 || tgid <= 0) return -EINVAL;
  const th = findThread(k, tid, tgid);
  return th ? signalThread(k, t, th, sig, userInfo(t, sig, SI_TKILL)) : -ESRCH;
}

/** Read the siginfo a sigqueue caller supplies. Only the caller itself may forge kernel or kill-like codes. */
function readQueuedInfo(t: Task, addr: number, sig: number, targetId: number, selfId: number): SigInfo | number {
  const b = t.mm.read(addr, SIGINFO_SIZE);
  if (!b) return -EFAULT;
  const info = decodeUserSigInfo(b, sig);
  if ((info.code >= 0 || info.code === SI_TKILL) && targetId !== selfId) return -EPERM;
  return info;
}

/** rt_sigqueueinfo(tgid, sig, info): sigqueue(3). */
export function sysRtSigqueueinfo(k: SignalKernel, t: Task): SyscallOutcome {
  const pid = argInt(t, 0), sig = argInt(t, 1);
  const info = readQueuedInfo(t, argU64(t, 2), sig, pid, t.tgid);
  if (typeof info === 'number') return info;
  const p = pid > 0 ? findProcess(k, pid) : null;
  return p ? signalProcess(k, t, p, sig, info) : -ESRCH;
}

/** rt_tgsigqueueinfo(tgid, tid, sig, info): pthread_sigqueue(3). */
export function sysRtTgsigqueueinfo(k: SignalKernel, t: Task): SyscallOutcome {
  const tgid = argInt(t, 0), tid = argInt(t, 1), sig = argInt(t, 2);
  if (tid <= 0 || tgid <= 0) return -EINVAL;
  const info = readQueuedInfo(t, argU64(t, 3), sig, tid, t.tid);
  if (typeof info === 'number') return info;
  const th = findThread(k, tid, tgid);
  return th ? signalThread(k, t, th, sig, info) : -ESRCH;
}
