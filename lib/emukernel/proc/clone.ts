// clone(2) and clone3(2): fork, vfork and threads, deciding per flag what the child shares.
import { Reg, setI64 } from '../../arch/riscv64/state';
import { EFAULT, EINVAL, ENOSYS } from '../errno';
import type { Kernel } from '../kernel';
import { Process } from '../process';
import { argU64, BLOCKED, SyscallOutcome, SyscallTable } from '../syscall';
import { NR } from '../syscall-numbers';
import { Task } from '../task';
import { vforkParents } from './exit';
import { inheritSignalState } from '../signal/lifecycle';

export const CLONE_VM = 0x100, CLONE_FS = 0x200, CLONE_FILES = 0x400, CLONE_SIGHAND = 0x800,
  CLONE_PIDFD = 0x1000, CLONE_PTRACE = 0x2000, CLONE_VFORK = 0x4000, CLONE_PARENT = 0x8000,
  CLONE_THREAD = 0x10000, CLONE_NEWNS = 0x20000, CLONE_SYSVSEM = 0x40000, CLONE_SETTLS = 0x80000,
  CLONE_PARENT_SETTID = 0x100000, CLONE_CHILD_CLEARTID = 0x200000, CLONE_DETACHED = 0x400000,
  CLONE_UNTRACED = 0x800000, CLONE_CHILD_SETTID = 0x1000000;
/** Namespace and cgroup flags: a container cannot nest them here. */
const UNSUPPORTED = 0x7e020000 | CLONE_PIDFD;

export interface CloneRequest {
  flags: number;
  exitSignal: number;
  stack: number;
  parentTid: number;
  childTid: number;
  tls: number;
}

/** Create the child described by `req`. Returns the child's tid or -errno; the parent's registers are untouched. */
export function cloneTask(k: Kernel, parent: Task, req: CloneRequest): number | Task {
  const f = req.flags;
  if (f & UNSUPPORTED) return -EINVAL;
  if ((f & CLONE_THREAD) && !(f & CLONE_SIGHAND)) return -EINVAL;
  if ((f & CLONE_SIGHAND) && !(f & CLONE_VM)) return -EINVAL;
  const tid = k.allocPid();
  let mm = parent.mm;
  if (f & CLONE_VM) mm.users++;
  else mm = mm.fork();
  const files = f & CLONE_FILES ? parent.files : parent.files.clone();
  const fs = f & CLONE_FS ? parent.fs : parent.fs.clone();
  const sighand = f & CLONE_SIGHAND ? parent.sighand : parent.sighand.clone();
  let proc: Process;
  if (f & CLONE_THREAD) {
    proc = parent.proc;
  } else {
    const pp = f & CLONE_PARENT ? parent.proc.parent : parent.proc;
    proc = new Process(tid, pp, parent.proc.pgid, parent.proc.sid, req.exitSignal);
    proc.rlimits = new Map(parent.proc.rlimits);
    pp?.children.add(proc);
    k.processes.set(tid, proc);
  }
  const child = new Task(tid, proc, mm, files, fs, sighand, parent.comm);
  child.cpu.copyFrom(parent.cpu);
  child.cpu.pc = parent.cpu.pc + 4;
  setI64(child.cpu, Reg.a0, 0);
  if (req.stack !== 0) setI64(child.cpu, Reg.sp, req.stack);
  if (f & CLONE_SETTLS) setI64(child.cpu, Reg.tp, req.tls);
  inheritSignalState(parent, child, f);
  child.uid = parent.uid;
  child.gid = parent.gid;
  if (f & CLONE_PARENT_SETTID) {
    if (!parent.mm.writeU32(req.parentTid, tid)) return -EFAULT;
  }
  if (f & CLONE_CHILD_SETTID) {
    if (!mm.writeU32(req.childTid, tid)) return -EFAULT;
  }
  if (f & CLONE_CHILD_CLEARTID) child.clearChildTid = req.childTid;
  k.addTask(child);
  return child;
}

function finishClone(k: Kernel, t: Task, req: CloneRequest): SyscallOutcome {
  const r = cloneTask(k, t, req);
  if (typeof r === 'number') return r;
  if (req.flags & CLONE_VFORK) {
    vforkParents.set(r, t.tid);
    t.sleepOn([]);
    return BLOCKED;
  }
  return r.tid;
}

/** riscv64 argument order: flags, newsp, parent_tid, tls, child_tid (glibc's __clone confirms it). */
function sysClone(k: Kernel, t: Task): SyscallOutcome {
  const flags = argU64(t, 0);
  return finishClone(k, t, {
    flags: flags & ~0xff, exitSignal: flags & 0xff, stack: argU64(t, 1),
    parentTid: argU64(t, 2), tls: argU64(t, 3), childTid: argU64(t, 4),
  });
}

function sysClone3(k: Kernel, t: Task): SyscallOutcome {
  const addr = argU64(t, 0), size = argU64(t, 1);
  if (size < 64) return -EINVAL;
  const r = (off: number): number | null => t.mm.readU64Num(addr + off);
  const flags = r(0), exitSignal = r(24), stack = r(40), stackSize = r(48), tls = r(56);
  const childTid = r(16), parentTid = r(32), pidfd = r(8);
  if (flags === null || exitSignal === null || stack === null || stackSize === null || tls === null || childTid === null || parentTid === null || pidfd === null) return -EFAULT;
  if (size > 64) {
    const setTid = r(64);
    if (setTid !== 0 && setTid !== null) return -ENOSYS;
  }
  return finishClone(k, t, {
    flags, exitSignal, stack: stack === 0 ? 0 : stack + stackSize, parentTid, childTid, tls,
  });
}

export const cloneSyscalls: SyscallTable = {
  [NR.clone]: sysClone,
  [NR.clone3]: sysClone3,
};
