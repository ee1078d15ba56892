// Every file syscall of emukernel, as one table for the kernel to merge.
import type { SyscallTable } from '../syscall';
import { nameSyscalls } from './syscalls-names';
import { openSyscalls } from './syscalls-open';
import { pollSyscalls } from './syscalls-poll';
import { rwSyscalls } from './syscalls-rw';
import { statSyscalls } from './syscalls-stat';

export const fsSyscalls: SyscallTable = {
  ...openSyscalls,
  ...rwSyscalls,
  ...statSyscalls,
  ...nameSyscalls,
  ...pollSyscalls,
};
