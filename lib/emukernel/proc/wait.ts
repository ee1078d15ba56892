// wait4(2): collect zombies and stop/continue reports of children.
import { ECHILD, EFAULT, EINVAL } from '../errno';
import type { Kernel } from '../kernel';
import type { Process } from '../process';
import { argInt, argU64, BLOCKED, SyscallOutcome, SyscallTable } from '../syscall';
import { NR } from '../syscall-numbers';
import type { Task } from '../task';
import { reap } from './exit';

const WNOHANG = 1, WUNTRACED = 2, WCONTINUED = 8, WNOTHREAD = 0x20000000, WALL = 0x40000000, WCLONE = 0x80000000;
const KNOWN = WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WALL | WCLONE;

function matches(c: Process, pid: number, me: Process): boolean {
  if (pid > 0) return c.pid === pid;
  if (pid === 0) return c.pgid === me.pgid;
  if (pid === -1) return true;
  return c.pgid === -pid;
}

/** struct rusage with user time from the child's retired instructions (1 ns each); the rest zero. */
function writeRusage(t: Task, addr: number, instructions: number): boolean {
  const buf = new Uint8Array(144);
  const dv = new DataView(buf.buffer);
  const us = Math.floor(instructions / 1000);
  dv.setBigInt64(0, BigInt(Math.floor(us / 1e6)), true);
  dv.setBigInt64(8, BigInt(us % 1e6), true);
  return t.mm.write(addr, buf);
}

function report(t: Task, statusAddr: number, rusageAddr: number, status: number, instructions: number): boolean {
  if (statusAddr !== 0 && !t.mm.writeU32(statusAddr, status >>> 0)) return false;
  if (rusageAddr !== 0 && !writeRusage(t, rusageAddr, instructions)) return false;
  return true;
}

function sysWait4(k: Kernel, t: Task): SyscallOutcome {
  const pid = argInt(t, 0), statusAddr = argU64(t, 1), options = argInt(t, 2) >>> 0, rusageAddr = argU64(t, 3);
  if (options & ~KNOWN) return -EINVAL;
  const me = t.proc;
  let any = false;
  for (const c of me.children) {
    if (!matches(c, pid, me)) continue;
    any = true;
    if (c.state === 'zombie') {
      if (!report(t, statusAddr, rusageAddr, c.waitStatus, c.deadInstructions)) return -EFAULT;
      reap(k, c);
      return c.pid;
    }
    if ((options & WUNTRACED) && c.stopReport !== null) {
      if (!report(t, statusAddr, rusageAddr, (c.stopReport << 8) | 0x7f, 0)) return -EFAULT;
      c.stopReport = null;
      return c.pid;
    }
    if ((options & WCONTINUED) && c.continueReport) {
      if (!report(t, statusAddr, rusageAddr, 0xffff, 0)) return -EFAULT;
      c.continueReport = false;
      return c.pid;
    }
  }
  if (!any) return -ECHILD;
  if (options & WNOHANG) return 0;
  t.sleepOn([me.childWait]);
  return BLOCKED;
}

export const waitSyscalls: SyscallTable = {
  [NR.wait4]: sysWait4,
};
