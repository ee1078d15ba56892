// The "[vdso]" page: a fixed sigreturn trampoline that signal delivery points ra at.
import { PAGE_SIZE } from '../../arch/riscv64/bus';
import { MMAP_BASE } from '../mm/layout';
import type { Mm } from '../mm/mm';
import { unmapRange } from '../mm/ops';
import { PROT_EXEC, PROT_READ, Vma } from '../mm/vma';

/** The page's address: the first page below the mmap base, where Linux would put its vDSO. */
export const VDSO_BASE = MMAP_BASE - PAGE_SIZE;
/** `li a7, 139 (rt_sigreturn); ecall` lives here: a handler's `ret` lands on it. */
export const SIGRETURN_TRAMPOLINE = VDSO_BASE;

/** addi a7, zero, 139 ; ecall (RV64I encodings, little-endian words). */
export const TRAMPOLINE_CODE: readonly number[] = [0x08b00893, 0x00000073];

/** Map the trampoline page R+X into `mm` at VDSO_BASE (replacing anything there). */
export function mapVdso(mm: Mm): void {
  unmapRange(mm, VDSO_BASE, VDSO_BASE + PAGE_SIZE);
  mm.vmas.insert(new Vma(VDSO_BASE, VDSO_BASE + PAGE_SIZE, PROT_READ | PROT_EXEC, 0, '[vdso]'));
  const code = new Uint8Array(TRAMPOLINE_CODE.length * 4);
  const dv = new DataView(code.buffer);
  TRAMPOLINE_CODE.forEach((w, i) => dv.setUint32(i * 4, w, true));
  mm.poke(SIGRETURN_TRAMPOLINE, code);
}
