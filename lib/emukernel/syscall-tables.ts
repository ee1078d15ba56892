// Every module's syscall table, in one list: adding a subsystem's syscalls is one line here.
import type { SyscallTable } from './syscall';
import { cloneSyscalls } from './proc/clone';
import { futexSyscalls } from './proc/futex';
import { idSyscalls } from './proc/ids';
import { waitSyscalls } from './proc/wait';
import { timeSyscalls } from './time/syscalls';
import { miscSyscalls } from './misc/syscalls';
import { mmSyscalls } from './mm/syscalls';
import { execSyscalls } from './exec/syscalls';
import { fsSyscalls } from './fs/syscalls';
import { signalSyscalls } from './signal/syscalls';

export const ALL_SYSCALL_TABLES: readonly SyscallTable[] = [
  cloneSyscalls, futexSyscalls, idSyscalls, waitSyscalls, timeSyscalls, miscSyscalls,
  mmSyscalls, execSyscalls, fsSyscalls, signalSyscalls,
];
