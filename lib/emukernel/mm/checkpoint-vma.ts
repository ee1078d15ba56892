// How a VMA appears in a `vma` record: Linux VM_* flag bits, the linux-cr VMA type, the 31-byte name.
import { PAGE_SIZE } from '../../arch/riscv64/bus';
import type { RecordValue } from '../../crfs/image/schema';
import { VDSO_BASE } from '../exec/vdso';
import { PROT_EXEC, PROT_READ, PROT_WRITE, Vma, VM_GROWSDOWN, VM_NORESERVE, VM_SHARED, VM_STACK } from './vma';

export type VmaType = RecordValue<'vma'>['vma_type'];

/** Linux's vm_flags bits (include/linux/mm.h) for what emukernel models; the image carries these. */
export const LINUX_VM_READ = 0x1, LINUX_VM_WRITE = 0x2, LINUX_VM_EXEC = 0x4, LINUX_VM_SHARED = 0x8,
  LINUX_VM_MAYREAD = 0x10, LINUX_VM_MAYWRITE = 0x20, LINUX_VM_MAYEXEC = 0x40, LINUX_VM_MAYSHARE = 0x80,
  LINUX_VM_GROWSDOWN = 0x100, LINUX_VM_NORESERVE = 0x200000, LINUX_VM_NOHUGEPAGE = 0x40000000;

const PROT_BITS = PROT_READ | PROT_WRITE | PROT_EXEC;
/** Bits a restore accepts without meaning anything here: emukernel lets mprotect grant any access. */
const MAY_BITS = LINUX_VM_MAYREAD | LINUX_VM_MAYWRITE | LINUX_VM_MAYEXEC | LINUX_VM_MAYSHARE;

/** emukernel VM_* bit -> Linux bit. MAP_STACK becomes VM_NOHUGEPAGE, as Linux 6.7+ records it. */
const TO_LINUX: readonly (readonly [number, number])[] = [
  [VM_SHARED, LINUX_VM_SHARED | LINUX_VM_MAYSHARE],
  [VM_GROWSDOWN, LINUX_VM_GROWSDOWN],
  [VM_STACK, LINUX_VM_NOHUGEPAGE],
  [VM_NORESERVE, LINUX_VM_NORESERVE],
];

/** The Linux vm_flags of `v`: its access bits (VM_READ.. equal PROT_*), the VM_MAY* bits, and its flags. */
export function linuxVmFlags(v: Vma): number {
  let f = (v.prot & PROT_BITS) | LINUX_VM_MAYREAD | LINUX_VM_MAYWRITE | LINUX_VM_MAYEXEC;
  for (const [ours, linux] of TO_LINUX) if ((v.flags & ours) !== 0) f |= linux;
  return f;
}

/**
 * The emukernel VM_* flags for a saved vm_flags value, or a one-line reason it cannot be one:
 * an unknown bit, access bits disagreeing with vm_page_prot, or VM_SHARED without VM_MAYSHARE.
 */
export function vmFlagsFromLinux(vmFlags: number, prot: number): number | string {
  // vm_flags is a u64 held as a number; every bit we know is below 2^31.
  if (vmFlags >= 2 ** 31) return `vm_flags 0x${vmFlags.toString(16)} has unknown bits`;
  let rest = vmFlags & ~MAY_BITS;
  if ((rest & PROT_BITS) !== prot) return `vm_flags access bits 0x${(rest & PROT_BITS).toString(16)} disagree with vm_page_prot ${prot}`;
  rest &= ~PROT_BITS;
  let ours = 0;
  for (const [bit, linux] of TO_LINUX) {
    const core = bit === VM_SHARED ? LINUX_VM_SHARED : linux;
    if ((rest & core) === 0) continue;
    ours |= bit;
    rest &= ~core;
  }
  if (rest !== 0) return `vm_flags bits 0x${rest.toString(16)} are not known here`;
  if ((ours & VM_SHARED) !== 0 && (vmFlags & LINUX_VM_MAYSHARE) === 0) return 'VM_SHARED without VM_MAYSHARE';
  return ours;
}

/** True for the trampoline page exec maps (exec/vdso.ts): restore maps it afresh instead of loading bytes. */
export function isVdso(v: Vma): boolean {
  return v.name === '[vdso]' && v.start === VDSO_BASE && v.end === VDSO_BASE + PAGE_SIZE && v.file === null && v.shm === null;
}

/** linux-cr's type for `v`. Private file mappings are `file` (their pages are all saved, see checkpoint.ts). */
export function vmaTypeOf(v: Vma): VmaType {
  if (isVdso(v)) return 'vdso';
  if (v.shm !== null) return 'shm_anon';
  if (v.file !== null) return 'file';
  return 'anon';
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: false });
/** The `name` field holds 31 bytes and a NUL. */
export const VMA_NAME_BYTES = 31;

/**
 * `name` as the vma record can hold it: whole when it fits in 31 UTF-8 bytes, else cut at the last
 * whole character before byte 31 (names are for display; nothing in emukernel reads them back).
 */
export function fitVmaName(name: string): string {
  const b = utf8.encode(name);
  if (b.length <= VMA_NAME_BYTES) return name;
  let end = VMA_NAME_BYTES;
  // Back off over UTF-8 continuation bytes so the cut never splits a character.
  while (end > 0 && (b[end] & 0xc0) === 0x80) end--;
  return fromUtf8.decode(b.subarray(0, end));
}
