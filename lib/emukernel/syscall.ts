// The syscall boundary: handler type, argument access, the outcomes a handler can ask for.
import { CpuState, getI32, getI64, getU64, Reg } from '../arch/riscv64/state';
import type { Kernel } from './kernel';
import type { Task } from './task';

/** The task went to sleep; its pc stays at the ecall, so waking it re-executes the call. */
export const BLOCKED: unique symbol = Symbol('blocked');
/** The handler has set pc and registers itself (rt_sigreturn, execve, exit): the dispatcher must not touch them. */
export const JUMPED: unique symbol = Symbol('jumped');

/** A number (the value for a0: a result, or -errno), or one of the two markers. */
export type SyscallOutcome = number | typeof BLOCKED | typeof JUMPED;

/** Handlers may also throw KernelError; the dispatcher turns it into -errno. */
export type SyscallHandler = (k: Kernel, t: Task) => SyscallOutcome;

/** One module's syscalls, keyed by number (see syscall-numbers.ts). Merged by the kernel at construction. */
export type SyscallTable = Readonly<Record<number, SyscallHandler>>;

/** Argument i (0..5) as a C int. */
export function argInt(t: Task, i: number): number {
  return getI32(t.cpu, Reg.a0 + i);
}

/** Argument i as an unsigned 32-bit value (flags, modes, sizes that are `unsigned int`). */
export function argU32(t: Task, i: number): number {
  return getI32(t.cpu, Reg.a0 + i) >>> 0;
}

/** Argument i as an unsigned 64-bit number (pointers, size_t); exact below 2^53. */
export function argU64(t: Task, i: number): number {
  return getU64(t.cpu, Reg.a0 + i);
}

/** Argument i as a signed 64-bit number (off_t, ssize_t); exact for |v| < 2^53. */
export function argI64(t: Task, i: number): number {
  return getI64(t.cpu, Reg.a0 + i);
}

/** The syscall number of a task stopped at an ecall. */
export function syscallNumber(cpu: CpuState): number {
  return getI32(cpu, Reg.a7);
}
