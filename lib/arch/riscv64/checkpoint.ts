// The riscv64 hart in a checkpoint image: the `cpu` record (registers, fcsr, instret) and the `head_arch` record.
import type { RecordValue } from '../../crfs/image/schema';
import { CpuState } from './state';

/** The architecture name messages use; the image head's arch id for it is checked by the image reader. */
export const ARCH_NAME = 'riscv64';

/** The extensions this interpreter implements, misa-style (bit n = letter 'A' + n): RV64IMAFDC. */
export const HART_ISA = [...'imafdc'].reduce((m, c) => m | (1 << (c.charCodeAt(0) - 97)), 0);
const XLEN = 64;
const FLEN = 64;
/** fcsr bits 31:8 are reserved and read as zero, so a saved fcsr never has them. */
const FCSR_MASK = 0xff;

const REGS_BYTES = 31 * 8;
const FREGS_BYTES = 32 * 8;

/**
 * The `cpu` record of a hart: pc, x1..x31 (little-endian u64 each), fcsr = frm << 5 | fflags,
 * f0..f31 as their raw 64-bit patterns (NaN boxes and NaN payloads kept) and instret. Reads only.
 */
export function cpuRecord(s: CpuState): RecordValue<'cpu'> {
  const regs = new Uint8Array(REGS_BYTES);
  const rv = new DataView(regs.buffer);
  // x[2r], x[2r+1] are xr's low and high words; x0 is not saved.
  for (let i = 2; i < 64; i++) rv.setInt32((i - 2) * 4, s.x[i], true);
  const fregs = new Uint8Array(FREGS_BYTES);
  const fv = new DataView(fregs.buffer);
  for (let i = 0; i < 64; i++) fv.setInt32(i * 4, s.fi[i], true);
  return { pc: s.pc, regs, fcsr: ((s.frm << 5) | s.fflags) & FCSR_MASK, fregs, instret: s.instret, reservation: s.reservation };
}

/**
 * Why `v` cannot be a riscv64 user hart's state (a one-line reason), or null when restoreCpu may
 * load it: fcsr must have no reserved bit set and pc must be 2-byte aligned (IALIGN=16 with C).
 */
export function checkCpuRecord(v: RecordValue<'cpu'>): string | null {
  if (v.regs.length !== REGS_BYTES || v.fregs.length !== FREGS_BYTES) return 'register arrays of the wrong size';
  if ((v.fcsr & ~FCSR_MASK) !== 0) return `fcsr 0x${v.fcsr.toString(16)} has reserved bits set`;
  if (v.pc % 2 !== 0) return `pc 0x${v.pc.toString(16)} is not 2-byte aligned`;
  if (v.reservation !== -1 && (v.reservation < 0 || v.reservation % 4 !== 0)) return `reservation ${v.reservation} is neither -1 nor an aligned address`;
  return null;
}

/**
 * Load a `cpu` record into `s`, bit for bit (the LR/SC reservation included): x0 stays zero and no
 * trap is pending. Never throws; reserved fcsr bits are ignored (call
 * checkCpuRecord first to refuse such a record).
 */
export function restoreCpu(s: CpuState, v: RecordValue<'cpu'>): void {
  const rv = new DataView(v.regs.buffer, v.regs.byteOffset, v.regs.byteLength);
  s.x[0] = 0;
  s.x[1] = 0;
  for (let i = 2; i < 64; i++) s.x[i] = rv.getInt32((i - 2) * 4, true);
  const fv = new DataView(v.fregs.buffer, v.fregs.byteOffset, v.fregs.byteLength);
  for (let i = 0; i < 64; i++) s.fi[i] = fv.getInt32(i * 4, true);
  s.pc = v.pc;
  s.fflags = v.fcsr & 0x1f;
  s.frm = (v.fcsr >>> 5) & 7;
  s.instret = v.instret;
  s.reservation = v.reservation;
  s.cause = 0;
  s.tval = 0;
}

/** The `head_arch` record describing the harts of this emulator. */
export function headArchRecord(): RecordValue<'head_arch'> {
  return { isa: BigInt(HART_ISA), xlen: XLEN, flen: FLEN };
}

/** Extension letters for the bits of a misa-style mask (bits above Z named by number). */
function extensionNames(bits: bigint): string {
  const out: string[] = [];
  for (let n = 0; n < 64; n++) {
    if (((bits >> BigInt(n)) & 1n) === 0n) continue;
    out.push(n < 26 ? String.fromCharCode(65 + n) : `bit ${n}`);
  }
  return out.join(', ');
}

/**
 * Null when this emulator can run harts described by `v`; otherwise a one-line reason (another
 * xlen or flen, or extensions the interpreter lacks). An image needing fewer extensions is fine.
 */
export function checkHeadArch(v: RecordValue<'head_arch'>): string | null {
  if (v.xlen !== XLEN) return `image is for xlen ${v.xlen}, this hart is rv${XLEN}`;
  if (v.flen !== FLEN) return `image has ${v.flen}-bit f registers, this hart has ${FLEN}-bit ones`;
  const missing = v.isa & ~BigInt(HART_ISA) & 0xffffffffffffffffn;
  if (missing !== 0n) return `image needs extension ${extensionNames(missing)}, which this ${ARCH_NAME} hart lacks`;
  return null;
}
