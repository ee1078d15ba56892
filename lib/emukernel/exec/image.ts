// Building a new address space for a program: ELF segments, brk, the [vdso] page and the initial stack.
import { PAGE_SIZE } from '../../arch/riscv64/bus';
import { pageDown, pageUp } from '../mm/layout';
import { Mm } from '../mm/mm';
import { unmapRange } from '../mm/ops';
import type { PagePool } from '../mm/page';
import { PROT_EXEC, PROT_READ, PROT_WRITE, Vma } from '../mm/vma';
import { ElfImage, PF_R, PF_W, PF_X } from './elf';
import {
  AT_CLKTCK, AT_EGID, AT_ENTRY, AT_EUID, AT_EXECFN, AT_FLAGS, AT_GID, AT_HWCAP, AT_PAGESZ, AT_PHDR, AT_PHENT,
  AT_PHNUM, AT_RANDOM, AT_SECURE, AT_UID, AT_BASE, AuxEntry, buildInitialStack,
} from './stack';
import { mapVdso } from './vdso';

/** AT_HWCAP for RV64IMAFDC: one bit per extension letter (bit 'x' - 'a'). */
export const HWCAP_RV64IMAFDC = [..."imafdc"].reduce((m, c) => m | (1 << (c.charCodeAt(0) - 97)), 0);
/** sysconf(_SC_CLK_TCK): USER_HZ. */
export const CLOCK_TICKS = 100;

export interface Creds {
  uid: number;
  euid: number;
  gid: number;
  egid: number;
}

export interface ImageRequest {
  /** The executable's bytes and the image parsed from them (parseElf). */
  bytes: Uint8Array;
  elf: ElfImage;
  /** The path as execve got it (AT_EXECFN) and the resolved absolute path (the VMA names, /proc/self/exe). */
  execfn: Uint8Array;
  exePath: string;
  argv: readonly Uint8Array[];
  envp: readonly Uint8Array[];
  /** AT_RANDOM's 16 bytes (from the kernel's seeded generator). */
  random: Uint8Array;
  creds?: Creds;
  pool?: PagePool;
}

export interface ProgramImage {
  mm: Mm;
  entry: number;
  sp: number;
}

const ROOT: Creds = { uid: 0, euid: 0, gid: 0, egid: 0 };

function protOf(pflags: number): number {
  return ((pflags & PF_R) !== 0 ? PROT_READ : 0) | ((pflags & PF_W) !== 0 ? PROT_WRITE : 0) | ((pflags & PF_X) !== 0 ? PROT_EXEC : 0);
}

/**
 * A complete new address space for a validated ELF: its segments, brk just above them, the
 * [vdso] trampoline and the initial stack. Touches no task; cannot fail once parseElf succeeded
 * and the arguments fit (argumentsFit).
 */
export function buildProgramImage(req: ImageRequest): ProgramImage {
  const mm = new Mm(req.pool);
  const { elf } = req;
  let startCode = Infinity, endCode = 0, startData = 0, endData = 0, brk = 0;
  for (const s of elf.loads) {
    loadSegment(mm, req.bytes, s.offset, s.vaddr, s.filesz, s.memsz, protOf(s.flags), req.exePath);
    if ((s.flags & PF_X) !== 0) {
      startCode = Math.min(startCode, s.vaddr);
      endCode = Math.max(endCode, s.vaddr + s.filesz);
    }
    startData = Math.max(startData, s.vaddr);
    endData = Math.max(endData, s.vaddr + s.filesz);
    brk = Math.max(brk, s.vaddr + s.memsz);
  }
  mm.startBrk = mm.brk = pageUp(brk);
  mapVdso(mm);
  const c = req.creds ?? ROOT;
  const auxv: AuxEntry[] = [
    [AT_HWCAP, HWCAP_RV64IMAFDC], [AT_PAGESZ, PAGE_SIZE], [AT_CLKTCK, CLOCK_TICKS],
    [AT_PHDR, elf.phdrAddr], [AT_PHENT, 56], [AT_PHNUM, elf.phnum], [AT_BASE, 0], [AT_FLAGS, 0],
    [AT_ENTRY, elf.entry], [AT_UID, c.uid], [AT_EUID, c.euid], [AT_GID, c.gid], [AT_EGID, c.egid],
    [AT_SECURE, 0], [AT_RANDOM, 0], [AT_EXECFN, 0],
  ];
  const st = buildInitialStack(mm, {
    argv: req.argv, envp: req.envp, execfn: req.execfn, random: req.random, auxv,
    executable: (elf.stackFlags & PF_X) !== 0,
  });
  mm.layout = {
    startCode: startCode === Infinity ? 0 : startCode, endCode, startData, endData,
    startStack: st.sp, argStart: st.argStart, argEnd: st.argEnd, envStart: st.envStart, envEnd: st.envEnd,
  };
  mm.exePath = req.exePath;
  mm.auxv = st.auxv;
  return { mm, entry: elf.entry, sp: st.sp };
}

/**
 * One PT_LOAD as Linux's elf_map + padzero + bss mapping do it: the file's pages from
 * pageDown(offset) (so the first page also holds the bytes before vaddr and the last page those
 * after filesz), the tail of the last file page zeroed when there is bss, then anonymous pages.
 * A later segment replaces whatever an earlier one mapped at the same pages (MAP_FIXED).
 */
function loadSegment(mm: Mm, bytes: Uint8Array, offset: number, vaddr: number, filesz: number, memsz: number, prot: number, name: string): void {
  const start = pageDown(vaddr);
  const fileEnd = vaddr + filesz;
  const memEnd = pageUp(vaddr + memsz);
  let anonStart = start;
  if (filesz > 0) {
    const mapEnd = pageUp(fileEnd);
    unmapRange(mm, start, mapEnd);
    mm.vmas.insert(new Vma(start, mapEnd, prot, 0, name));
    const from = pageDown(offset);
    mm.poke(start, bytes.subarray(from, Math.min(from + (mapEnd - start), bytes.length)));
    if (memsz > filesz) mm.poke(fileEnd, new Uint8Array(mapEnd - fileEnd));
    anonStart = mapEnd;
  }
  if (memEnd > anonStart) {
    unmapRange(mm, anonStart, memEnd);
    mm.vmas.insert(new Vma(anonStart, memEnd, prot, 0, ''));
  }
}
