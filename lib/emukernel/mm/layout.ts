// The fixed user address-space layout (riscv64 Sv39, as Linux lays it out with randomization off).
import { PAGE_SIZE } from '../../arch/riscv64/bus';

/** One past the highest user address: Sv39 gives user space the low 256 GiB. */
export const TASK_SIZE = 0x4000000000;
/** The initial stack's top (Linux's STACK_TOP = TASK_SIZE on riscv64; no random offset here). */
export const STACK_TOP = TASK_SIZE;
/** RLIMIT_STACK's default: the stack VMA spans this much below STACK_TOP. */
export const STACK_SIZE = 8 * 1024 * 1024;
/** Linux keeps at least 128 MiB between the stack top and the mmap base (mm/util.c mmap_base). */
export const MMAP_BASE = STACK_TOP - 128 * 1024 * 1024;
/** vm.mmap_min_addr's Debian default: nothing is mapped below it. */
export const MMAP_MIN_ADDR = 0x10000;
/** Where ET_DYN executables without an interpreter are loaded (riscv's ELF_ET_DYN_BASE = 2/3 of TASK_SIZE). */
export const ET_DYN_BASE = Math.floor(TASK_SIZE / 3 * 2 / PAGE_SIZE) * PAGE_SIZE;

/** `addr` rounded down to a page boundary. */
export function pageDown(addr: number): number {
  return addr - (addr % PAGE_SIZE);
}

/** `addr` rounded up to a page boundary. */
export function pageUp(addr: number): number {
  const r = addr % PAGE_SIZE;
  return r === 0 ? addr : addr + PAGE_SIZE - r;
}
