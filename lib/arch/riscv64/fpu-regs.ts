// Reading and writing f registers as NaN-boxed singles, doubles or raw bits, shared by the FPU modules.
import { CpuState } from './state';
import { Fmt, Num, Rounded, unpackD, unpackS } from './fpu-exact';

/** The smallest normal single and double. */
export const MIN_NORMAL_S = 1.1754943508222875e-38;
export const MIN_NORMAL_D = 2.2250738585072014e-308;

/** fr as a single; NaN when the register is not NaN-boxed (it then reads as the canonical NaN). */
export function readS(s: CpuState, r: number): number {
  return s.fi[2 * r + 1] === -1 ? s.f32[2 * r] : NaN;
}

/** The raw 32 bits a single-precision read of fr sees: the low word if NaN-boxed, else the canonical NaN. */
export function readBitsS(s: CpuState, r: number): number {
  return s.fi[2 * r + 1] === -1 ? s.fi[2 * r] : 0x7fc00000;
}

/** Write a non-NaN single value (already representable as binary32), NaN-boxed. */
export function writeS(s: CpuState, rd: number, v: number): void {
  s.f32[2 * rd] = v;
  s.fi[2 * rd + 1] = -1;
}

/** Write raw single bits, NaN-boxed. */
export function writeBitsS(s: CpuState, rd: number, w: number): void {
  s.fi[2 * rd] = w;
  s.fi[2 * rd + 1] = -1;
}

/** Write the canonical NaN of a format; through the integer view so the bit pattern is exact. */
export function writeNaN(s: CpuState, rd: number, fmt: Fmt): void {
  if (fmt === Fmt.D) {
    s.fi[2 * rd] = 0;
    s.fi[2 * rd + 1] = 0x7ff80000;
  } else {
    s.fi[2 * rd] = 0x7fc00000;
    s.fi[2 * rd + 1] = -1;
  }
}

/** Whether a single-precision read of fr is a signaling NaN (an unboxed register reads as a quiet NaN). */
export function isSNaNS(s: CpuState, r: number): boolean {
  if (s.fi[2 * r + 1] !== -1) return false;
  const w = s.fi[2 * r];
  return (w & 0x7fc00000) === 0x7f800000 && (w & 0x3fffff) !== 0;
}

/** Whether fr holds a signaling binary64 NaN. */
export function isSNaND(s: CpuState, r: number): boolean {
  const hi = s.fi[2 * r + 1];
  return (hi & 0x7ff80000) === 0x7ff00000 && ((hi & 0x7ffff) | s.fi[2 * r]) !== 0;
}

/** Unpack fr in a format for the exact path. */
export function unpackReg(s: CpuState, r: number, fmt: Fmt): Num {
  return fmt === Fmt.D ? unpackD(s.fi[2 * r], s.fi[2 * r + 1]) : unpackS(s.fi[2 * r], s.fi[2 * r + 1] === -1);
}

/** Store an exact-path result in fd (NaN-boxing singles) and accumulate its flags. */
export function writeRounded(s: CpuState, rd: number, fmt: Fmt, res: Rounded): void {
  if (fmt === Fmt.D) {
    s.fi[2 * rd] = Number(res.bits & 0xffffffffn) | 0;
    s.fi[2 * rd + 1] = Number(res.bits >> 32n) | 0;
  } else {
    s.fi[2 * rd] = Number(res.bits) | 0;
    s.fi[2 * rd + 1] = -1;
  }
  s.fflags |= res.flags;
}

/** Write a 64-bit integer register from two 32-bit halves; x0 stays zero. */
export function writeX(s: CpuState, rd: number, lo: number, hi: number): void {
  if (rd === 0) return;
  s.x[2 * rd] = lo;
  s.x[2 * rd + 1] = hi;
}
