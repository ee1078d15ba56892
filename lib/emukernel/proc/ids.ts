// Identity syscalls: pids, thread ids, process groups, sessions, credentials, thread-exit addresses.
import { EINVAL, EPERM, ESRCH } from '../errno';
import type { Kernel } from '../kernel';
import type { Process } from '../process';
import { argInt, argU64, JUMPED, SyscallOutcome, SyscallTable } from '../syscall';
import { NR } from '../syscall-numbers';
import type { Task } from '../task';

function procOrSelf(k: Kernel, t: Task, pid: number): Process | undefined {
  return pid === 0 ? t.proc : k.processes.get(pid);
}

function sysGetpgid(k: Kernel, t: Task): SyscallOutcome {
  const p = procOrSelf(k, t, argInt(t, 0));
  return p && p.state !== 'reaped' ? p.pgid : -ESRCH;
}

function sysGetsid(k: Kernel, t: Task): SyscallOutcome {
  const p = procOrSelf(k, t, argInt(t, 0));
  return p && p.state !== 'reaped' ? p.sid : -ESRCH;
}

function sysSetpgid(k: Kernel, t: Task): SyscallOutcome {
  const pid = argInt(t, 0);
  let pgid = argInt(t, 1);
  if (pgid < 0) return -EINVAL;
  const p = procOrSelf(k, t, pid);
  if (!p || (p !== t.proc && p.parent !== t.proc)) return -ESRCH;
  if (p.sid !== t.proc.sid) return -EPERM;
  if (p.pid === p.sid) return -EPERM;
  if (pgid === 0) pgid = p.pid;
  if (pgid !== p.pid) {
    const inSession = [...k.processes.values()].some((q) => q.pgid === pgid && q.sid === p.sid);
    if (!inSession) return -EPERM;
  }
  p.pgid = pgid;
  return 0;
}

function sysSetsid(k: Kernel, t: Task): SyscallOutcome {
  const me = t.proc;
  if ([...k.processes.values()].some((q) => q.pgid === me.pid)) return -EPERM;
  me.sid = me.pid;
  me.pgid = me.pid;
  return me.pid;
}

function sysSetTidAddress(_k: Kernel, t: Task): SyscallOutcome {
  t.clearChildTid = argU64(t, 0);
  return t.tid;
}

function sysExit(k: Kernel, t: Task): SyscallOutcome {
  k.exitTask(t, (argInt(t, 0) & 0xff) << 8);
  return JUMPED;
}

function sysExitGroup(k: Kernel, t: Task): SyscallOutcome {
  k.exitGroup(t.proc, (argInt(t, 0) & 0xff) << 8);
  return JUMPED;
}

/** Only "set to what it already is" succeeds: credentials do not change inside a container here. */
function sysSetid(_k: Kernel, t: Task): SyscallOutcome {
  const id = argInt(t, 0);
  return id === t.uid || id === -1 ? 0 : -EPERM;
}

function sysGetresid(which: 'uid' | 'gid') {
  return (_k: Kernel, t: Task): SyscallOutcome => {
    const v = t[which];
    for (let i = 0; i < 3; i++) if (!t.mm.writeU32(argU64(t, i), v)) return -14;
    return 0;
  };
}

export const idSyscalls: SyscallTable = {
  [NR.getpid]: (_k, t) => t.tgid,
  [NR.gettid]: (_k, t) => t.tid,
  [NR.getppid]: (_k, t) => t.proc.parent?.pid ?? 0,
  [NR.getuid]: (_k, t) => t.uid,
  [NR.geteuid]: (_k, t) => t.uid,
  [NR.getgid]: (_k, t) => t.gid,
  [NR.getegid]: (_k, t) => t.gid,
  [NR.getresuid]: sysGetresid('uid'),
  [NR.getresgid]: sysGetresid('gid'),
  [NR.setuid]: sysSetid,
  [NR.setgid]: sysSetid,
  [NR.getpgid]: sysGetpgid,
  [NR.setpgid]: sysSetpgid,
  [NR.getsid]: sysGetsid,
  [NR.setsid]: sysSetsid,
  [NR.set_tid_address]: sysSetTidAddress,
  [NR.exit]: sysExit,
  [NR.exit_group]: sysExitGroup,
};
