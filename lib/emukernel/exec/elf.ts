// ELF64 parsing and validation for static riscv64 executables: everything is checked before anything is loaded.
import { PAGE_SIZE } from '../../arch/riscv64/bus';
import { ExecError } from '../errno';
import { ET_DYN_BASE, MMAP_MIN_ADDR, pageDown } from '../mm/layout';
import { VDSO_BASE } from './vdso';

export const EM_RISCV = 243;
export const ET_REL = 1, ET_EXEC = 2, ET_DYN = 3, ET_CORE = 4;
export const PT_NULL = 0, PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3, PT_NOTE = 4, PT_PHDR = 6, PT_TLS = 7;
export const PT_GNU_STACK = 0x6474e551, PT_GNU_RELRO = 0x6474e552;
export const PF_X = 1, PF_W = 2, PF_R = 4;
const EHDR_SIZE = 64, PHDR_SIZE = 56;
const TWO32 = 4294967296;

const MACHINES: Record<number, string> = {
  2: 'SPARC', 3: 'i386', 8: 'MIPS', 20: 'PowerPC', 21: 'PowerPC64', 22: 's390', 40: 'ARM', 42: 'SuperH',
  43: 'SPARC V9', 50: 'IA-64', 62: 'x86-64', 183: 'AArch64', 247: 'BPF', 258: 'LoongArch',
};

export interface ElfSegment {
  /** Index of the program header, for messages. */
  index: number;
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
  align: number;
}

/** A validated executable: addresses already include the load bias. */
export interface ElfImage {
  type: typeof ET_EXEC | typeof ET_DYN;
  /** Added to every p_vaddr: 0 for ET_EXEC, chosen for ET_DYN (static-pie). */
  bias: number;
  entry: number;
  phoff: number;
  phnum: number;
  /** AT_PHDR: where the program headers are in memory (0 if no PT_LOAD covers them, as in Linux). */
  phdrAddr: number;
  /** PT_LOAD segments in file order, vaddr biased. */
  loads: ElfSegment[];
  tls: ElfSegment | null;
  relro: ElfSegment | null;
  /** PT_GNU_STACK's flags: PF_X asks for an executable stack. Read+write when absent. */
  stackFlags: number;
}

/** Little-endian u64 from two u32 halves; exact below 2^53, and larger values still compare as huge. */
function u64(dv: DataView, off: number): number {
  return dv.getUint32(off + 4, true) * TWO32 + dv.getUint32(off, true);
}

/**
 * Parse and check an executable's bytes. Returns the image, or throws ExecError (status 126,
 * errno ENOEXEC) with a one-line message that starts with `path` and names the problem: not an
 * ELF file, another machine, 32-bit, big-endian, not an executable, dynamically linked, truncated,
 * or a segment that cannot be loaded.
 */
export function parseElf(bytes: Uint8Array, path: string): ElfImage {
  const fail = (what: string): never => {
    throw new ExecError(`${path}: ${what}`, 126);
  };
  const len = bytes.length;
  if (len < 4 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) fail('not an ELF file');
  if (len < 20) fail('truncated ELF (header)');
  const data = bytes[5];
  if (data === 2) fail('big-endian ELF');
  if (data !== 1) fail(`bad ELF data encoding ${data}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, len);
  const machine = dv.getUint16(18, true);
  if (machine !== EM_RISCV) fail(`ELF for another machine (${MACHINES[machine] ?? `machine ${machine}`})`);
  const cls = bytes[4];
  if (cls === 1) fail('32-bit ELF');
  if (cls !== 2) fail(`bad ELF class ${cls}`);
  if (len < EHDR_SIZE) fail('truncated ELF (header)');
  const type = dv.getUint16(16, true);
  if (type === ET_REL) fail('not an executable (relocatable object)');
  if (type === ET_CORE) fail('not an executable (core dump)');
  if (type !== ET_EXEC && type !== ET_DYN) fail(`not an executable (ELF type ${type})`);
  const entry = u64(dv, 24);
  const phoff = u64(dv, 32);
  const phentsize = dv.getUint16(54, true);
  const phnum = dv.getUint16(56, true);
  if (phentsize !== PHDR_SIZE) fail(`bad ELF (program header size ${phentsize}, expected ${PHDR_SIZE})`);
  if (phnum < 1) fail('bad ELF (no program headers)');
  if (phnum > Math.floor(65536 / PHDR_SIZE)) fail(`bad ELF (${phnum} program headers)`);

  const segs: ElfSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * PHDR_SIZE;
    if (o + PHDR_SIZE > len) fail(`truncated ELF (program header ${i} beyond end of file)`);
    segs.push({
      index: i, type: dv.getUint32(o, true), flags: dv.getUint32(o + 4, true), offset: u64(dv, o + 8),
      vaddr: u64(dv, o + 16), filesz: u64(dv, o + 32), memsz: u64(dv, o + 40), align: u64(dv, o + 48),
    });
  }

  const interp = segs.find((s) => s.type === PT_INTERP);
  if (interp !== undefined) {
    if (interp.offset + interp.filesz > len) fail(`truncated ELF (program header ${interp.index}: interpreter beyond end of file)`);
    const raw = bytes.subarray(interp.offset, interp.offset + interp.filesz);
    const nul = raw.indexOf(0);
    const name = Buffer.from(raw.subarray(0, nul >= 0 ? nul : raw.length)).toString('utf8');
    fail(`dynamically linked (has PT_INTERP ${name}); only static executables run`);
  }

  const loads = segs.filter((s) => s.type === PT_LOAD && s.memsz > 0);
  if (loads.length === 0) fail('bad ELF (no loadable segment)');
  for (const s of loads) {
    if (s.filesz > s.memsz) fail(`bad ELF (segment ${s.index}: file size larger than memory size)`);
    if (s.offset + s.filesz > len) fail(`truncated ELF (segment ${s.index} beyond end of file)`);
    if ((s.vaddr - s.offset) % PAGE_SIZE !== 0) fail(`bad ELF (segment ${s.index}: address and file offset differ modulo the page size)`);
  }

  // Linux loads a static-pie into the mmap area; a fixed base below it is as good and leaves brk room.
  const bias = type === ET_DYN ? ET_DYN_BASE - pageDown(Math.min(...loads.map((s) => s.vaddr))) : 0;
  for (const s of loads) {
    s.vaddr += bias;
    if (pageDown(s.vaddr) < MMAP_MIN_ADDR || s.vaddr + s.memsz > VDSO_BASE) {
      fail(`bad ELF (segment ${s.index} at 0x${s.vaddr.toString(16)} is outside the user address space)`);
    }
  }
  let phdrAddr = 0;
  for (const s of loads) {
    if (s.offset <= phoff && phoff < s.offset + s.filesz) {
      phdrAddr = phoff - s.offset + s.vaddr;
      break;
    }
  }
  const biased = (s: ElfSegment | undefined): ElfSegment | null => (s === undefined ? null : { ...s, vaddr: s.vaddr + bias });
  const stack = segs.find((s) => s.type === PT_GNU_STACK);
  return {
    type: type === ET_EXEC ? ET_EXEC : ET_DYN, bias, entry: entry + bias, phoff, phnum, phdrAddr, loads,
    tls: biased(segs.find((s) => s.type === PT_TLS)),
    relro: biased(segs.find((s) => s.type === PT_GNU_RELRO)),
    stackFlags: stack !== undefined ? stack.flags : PF_R | PF_W,
  };
}
