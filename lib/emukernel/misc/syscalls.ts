// The small syscalls: uname, getrandom, rlimits, affinity, prctl, and the ones answered ENOSYS on purpose.
import { EFAULT, EINVAL, ENOSYS, EPERM, ESRCH } from '../errno';
import type { Kernel } from '../kernel';
import { argInt, argU32, argU64, SyscallOutcome, SyscallTable } from '../syscall';
import { NR } from '../syscall-numbers';
import type { Task } from '../task';

function sysUname(k: Kernel, t: Task): SyscallOutcome {
  const u = k.utsname;
  const buf = new Uint8Array(65 * 6);
  [u.sysname, u.nodename, u.release, u.version, u.machine, u.domainname].forEach((s, i) => {
    buf.set(Buffer.from(s, 'utf8').subarray(0, 64), i * 65);
  });
  return t.mm.write(argU64(t, 0), buf) ? 0 : -EFAULT;
}

function sysGetrandom(k: Kernel, t: Task): SyscallOutcome {
  const len = Math.min(argU64(t, 1), 1 << 25);
  const flags = argU32(t, 2);
  if (flags & ~7) return -EINVAL;
  return t.mm.write(argU64(t, 0), k.random.bytes(len)) ? len : -EFAULT;
}

function sysPrlimit64(k: Kernel, t: Task): SyscallOutcome {
  const pid = argInt(t, 0), resource = argU32(t, 1), newAddr = argU64(t, 2), oldAddr = argU64(t, 3);
  const p = pid === 0 ? t.proc : k.processes.get(pid);
  if (!p) return -ESRCH;
  const cur = p.rlimits.get(resource);
  if (!cur) return -EINVAL;
  let next: [bigint, bigint] | null = null;
  if (newAddr !== 0) {
    const soft = t.mm.readU64(newAddr), hard = t.mm.readU64(newAddr + 8);
    if (soft === null || hard === null) return -EFAULT;
    if (soft > hard) return -EINVAL;
    if (hard > cur[1] && t.uid !== 0) return -EPERM;
    next = [soft, hard];
  }
  if (oldAddr !== 0 && !(t.mm.writeU64(oldAddr, cur[0]) && t.mm.writeU64(oldAddr + 8, cur[1]))) return -EFAULT;
  if (next) p.rlimits.set(resource, next);
  return 0;
}

function sysGetrlimit(_k: Kernel, t: Task): SyscallOutcome {
  const cur = t.proc.rlimits.get(argU32(t, 0));
  if (!cur) return -EINVAL;
  const addr = argU64(t, 1);
  return t.mm.writeU64(addr, cur[0]) && t.mm.writeU64(addr + 8, cur[1]) ? 0 : -EFAULT;
}

function sysSetrlimit(_k: Kernel, t: Task): SyscallOutcome {
  const resource = argU32(t, 0), addr = argU64(t, 1);
  const cur = t.proc.rlimits.get(resource);
  if (!cur) return -EINVAL;
  const soft = t.mm.readU64(addr), hard = t.mm.readU64(addr + 8);
  if (soft === null || hard === null) return -EFAULT;
  if (soft > hard) return -EINVAL;
  t.proc.rlimits.set(resource, [soft, hard]);
  return 0;
}

/** One CPU: the emulated machine runs one hart at a time. */
function sysSchedGetaffinity(_k: Kernel, t: Task): SyscallOutcome {
  const size = argU64(t, 1);
  if (size < 8 || size % 8 !== 0) return -EINVAL;
  const mask = new Uint8Array(8);
  mask[0] = 1;
  return t.mm.write(argU64(t, 2), mask) ? 8 : -EFAULT;
}

function sysGetcpu(_k: Kernel, t: Task): SyscallOutcome {
  for (const i of [0, 1]) {
    const a = argU64(t, i);
    if (a !== 0 && !t.mm.writeU32(a, 0)) return -EFAULT;
  }
  return 0;
}

function sysSysinfo(k: Kernel, t: Task): SyscallOutcome {
  const dv = new DataView(new ArrayBuffer(112));
  dv.setBigInt64(0, BigInt(Math.floor(k.nowNs() / 1e9)), true);
  dv.setBigUint64(32, 1n << 32n, true); // totalram: 4 GiB
  dv.setBigUint64(40, 1n << 31n, true); // freeram
  dv.setUint16(80, k.processes.size, true);
  dv.setUint32(104, 1, true); // mem_unit
  return t.mm.write(argU64(t, 0), new Uint8Array(dv.buffer)) ? 0 : -EFAULT;
}

const PR_SET_NAME = 15, PR_GET_NAME = 16;
function sysPrctl(_k: Kernel, t: Task): SyscallOutcome {
  const option = argInt(t, 0);
  if (option === PR_SET_NAME) {
    const name = t.mm.readCString(argU64(t, 1), 16);
    if (name === null) {
      const raw = t.mm.read(argU64(t, 1), 15);
      if (!raw) return -EFAULT;
      t.comm = Buffer.from(raw).toString('utf8').replace(/\0.*$/s, '');
      return 0;
    }
    t.comm = name.slice(0, 15);
    return 0;
  }
  if (option === PR_GET_NAME) {
    const buf = new Uint8Array(16);
    buf.set(Buffer.from(t.comm, 'utf8').subarray(0, 15));
    return t.mm.write(argU64(t, 1), buf) ? 0 : -EFAULT;
  }
  return -EINVAL;
}

function sysSchedYield(k: Kernel): SyscallOutcome {
  k.scheduler.requestYield();
  return 0;
}

/** Flushing is what fence.i does: drop the caller's decoded-instruction caches. */
function sysRiscvFlushIcache(k: Kernel, t: Task): SyscallOutcome {
  for (const o of k.tasks.values()) if (o.mm === t.mm) o.hart.flushCaches();
  return 0;
}

/** Answered -ENOSYS on purpose (glibc falls back), so not logged as unknown. */
const quietEnosys = (): SyscallOutcome => -ENOSYS;

export const miscSyscalls: SyscallTable = {
  [NR.uname]: sysUname,
  [NR.getrandom]: sysGetrandom,
  [NR.prlimit64]: sysPrlimit64,
  [NR.getrlimit]: sysGetrlimit,
  [NR.setrlimit]: sysSetrlimit,
  [NR.sched_getaffinity]: sysSchedGetaffinity,
  [NR.sched_setaffinity]: () => 0,
  [NR.sched_yield]: sysSchedYield,
  [NR.getcpu]: sysGetcpu,
  [NR.sysinfo]: sysSysinfo,
  [NR.prctl]: sysPrctl,
  [NR.personality]: (_k, t) => (argU32(t, 0) === 0xffffffff || argU32(t, 0) === 0 ? 0 : -EINVAL),
  [NR.riscv_flush_icache]: sysRiscvFlushIcache,
  [NR.rseq]: quietEnosys,
  [NR.membarrier]: quietEnosys,
  [NR.getpriority]: () => 20,
  [NR.setpriority]: () => 0,
  [NR.sched_getscheduler]: () => 0,
  [NR.sched_getparam]: (_k, t) => (t.mm.writeU32(argU64(t, 1), 0) ? 0 : -EFAULT),
  [NR.sched_get_priority_max]: () => 0,
  [NR.sched_get_priority_min]: () => 0,
};
