// The signal syscalls, keyed by number for the kernel's dispatch table.
import type { SyscallTable } from '../syscall';
import { NR } from '../syscall-numbers';
import { sysRtSigaction, sysRtSigpending, sysRtSigprocmask, sysSigaltstack } from './syscalls-action';
import { sysKill, sysRtSigqueueinfo, sysRtTgsigqueueinfo, sysTgkill, sysTkill } from './syscalls-kill';
import { sysRtSigreturn, sysRtSigsuspend, sysRtSigtimedwait } from './syscalls-wait';

export const signalSyscalls: SyscallTable = {
  [NR.rt_sigaction]: sysRtSigaction,
  [NR.rt_sigprocmask]: sysRtSigprocmask,
  [NR.rt_sigpending]: sysRtSigpending,
  [NR.sigaltstack]: sysSigaltstack,
  [NR.rt_sigreturn]: sysRtSigreturn,
  [NR.rt_sigsuspend]: sysRtSigsuspend,
  [NR.rt_sigtimedwait]: sysRtSigtimedwait,
  [NR.kill]: sysKill,
  [NR.tkill]: sysTkill,
  [NR.tgkill]: sysTgkill,
  [NR.rt_sigqueueinfo]: sysRtSigqueueinfo,
  [NR.rt_tgsigqueueinfo]: sysRtTgsigqueueinfo,
};
