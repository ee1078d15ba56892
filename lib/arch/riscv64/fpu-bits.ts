// Bit-level F/D operations: sign injection, fmin/fmax, comparisons, fclass and the fmv moves.
import { CpuState } from './state';
import { Flag, Fmt } from './fpu-exact';
import { isSNaND, isSNaNS, readBitsS, readS, writeBitsS, writeNaN, writeX } from './fpu-regs';

/** fsgnj/fsgnjn/fsgnjx.d (op = funct3 0/1/2): magnitude of rs1, sign from rs2 / its inverse / the xor. No flags. */
export function injectSignD(s: CpuState, rd: number, rs1: number, rs2: number, op: number): void {
  const hi1 = s.fi[2 * rs1 + 1];
  const hi2 = s.fi[2 * rs2 + 1];
  const sign = op === 0 ? hi2 : op === 1 ? ~hi2 : hi1 ^ hi2;
  s.fi[2 * rd] = s.fi[2 * rs1];
  s.fi[2 * rd + 1] = (hi1 & 0x7fffffff) | (sign & 0x80000000);
}

/** fsgnj/fsgnjn/fsgnjx.s; unboxed operands read as the canonical NaN. */
export function injectSignS(s: CpuState, rd: number, rs1: number, rs2: number, op: number): void {
  const w1 = readBitsS(s, rs1);
  const w2 = readBitsS(s, rs2);
  const sign = op === 0 ? w2 : op === 1 ? ~w2 : w1 ^ w2;
  writeBitsS(s, rd, (w1 & 0x7fffffff) | (sign & 0x80000000));
}

/**
 * fmin.d/fmax.d (IEEE 754-2019 minimumNumber/maximumNumber): a NaN operand yields the other one, two NaNs the
 * canonical NaN, -0 orders below +0; NV when either operand is a signaling NaN.
 */
export function minMaxD(s: CpuState, rd: number, rs1: number, rs2: number, isMax: boolean): void {
  const a = s.f64[rs1];
  const b = s.f64[rs2];
  if (a !== a || b !== b) {
    if (isSNaND(s, rs1) || isSNaND(s, rs2)) s.fflags |= Flag.NV;
    if (a !== a && b !== b) {
      writeNaN(s, rd, Fmt.D);
      return;
    }
    copyD(s, rd, a !== a ? rs2 : rs1);
    return;
  }
  let pick1: boolean;
  if (a === b) pick1 = (s.fi[2 * rs1 + 1] < 0) !== isMax; // equal: only ±0 differ, by sign
  else pick1 = (a < b) !== isMax;
  copyD(s, rd, pick1 ? rs1 : rs2);
}

function copyD(s: CpuState, rd: number, rs: number): void {
  s.fi[2 * rd] = s.fi[2 * rs];
  s.fi[2 * rd + 1] = s.fi[2 * rs + 1];
}

/** fmin.s/fmax.s, as minMaxD; unboxed operands read as the canonical (quiet) NaN. */
export function minMaxS(s: CpuState, rd: number, rs1: number, rs2: number, isMax: boolean): void {
  const a = readS(s, rs1);
  const b = readS(s, rs2);
  if (a !== a || b !== b) {
    if (isSNaNS(s, rs1) || isSNaNS(s, rs2)) s.fflags |= Flag.NV;
    if (a !== a && b !== b) {
      writeNaN(s, rd, Fmt.S);
      return;
    }
    writeBitsS(s, rd, s.fi[2 * (a !== a ? rs2 : rs1)]);
    return;
  }
  let pick1: boolean;
  if (a === b) pick1 = (s.fi[2 * rs1] < 0) !== isMax;
  else pick1 = (a < b) !== isMax;
  writeBitsS(s, rd, s.fi[2 * (pick1 ? rs1 : rs2)]);
}

/**
 * fle/flt/feq (op = funct3 0/1/2) on values a, b (NaN for any NaN) into xrd as 0 or 1. feq is quiet (NV only for a
 * signaling NaN, reported by `snan`); fle and flt raise NV for any NaN.
 */
export function compareInto(s: CpuState, rd: number, a: number, b: number, op: number, snan: boolean): void {
  let r: boolean;
  if (a !== a || b !== b) {
    if (op !== 2 || snan) s.fflags |= Flag.NV;
    r = false;
  } else {
    r = op === 0 ? a <= b : op === 1 ? a < b : a === b;
  }
  writeX(s, rd, r ? 1 : 0, 0);
}

/** Compare two doubles; see compareInto. */
export function compareD(s: CpuState, rd: number, rs1: number, rs2: number, op: number): void {
  const a = s.f64[rs1];
  const b = s.f64[rs2];
  compareInto(s, rd, a, b, op, (a !== a || b !== b) && (isSNaND(s, rs1) || isSNaND(s, rs2)));
}

/** Compare two singles; see compareInto. */
export function compareS(s: CpuState, rd: number, rs1: number, rs2: number, op: number): void {
  const a = readS(s, rs1);
  const b = readS(s, rs2);
  compareInto(s, rd, a, b, op, (a !== a || b !== b) && (isSNaNS(s, rs1) || isSNaNS(s, rs2)));
}

// fclass mask from sign, biased exponent (all-ones = `expMax`), whether the fraction is zero, and the quiet bit.
function classMask(neg: boolean, exp: number, expMax: number, fracZero: boolean, quiet: boolean): number {
  if (exp === expMax) {
    if (fracZero) return neg ? 1 << 0 : 1 << 7;
    return quiet ? 1 << 9 : 1 << 8;
  }
  if (exp === 0) {
    if (fracZero) return neg ? 1 << 3 : 1 << 4;
    return neg ? 1 << 2 : 1 << 5;
  }
  return neg ? 1 << 1 : 1 << 6;
}

/** fclass.d into xrd (10-bit mask). */
export function classifyD(s: CpuState, rd: number, rs1: number): void {
  const hi = s.fi[2 * rs1 + 1];
  const fracZero = ((hi & 0xfffff) | s.fi[2 * rs1]) === 0;
  writeX(s, rd, classMask(hi < 0, (hi >>> 20) & 0x7ff, 0x7ff, fracZero, (hi & 0x80000) !== 0), 0);
}

/** fclass.s into xrd; an unboxed register classifies as a quiet NaN. */
export function classifyS(s: CpuState, rd: number, rs1: number): void {
  const w = readBitsS(s, rs1);
  writeX(s, rd, classMask(w < 0, (w >>> 23) & 0xff, 0xff, (w & 0x7fffff) === 0, (w & 0x400000) !== 0), 0);
}

/** fmv.x.w: low 32 bits of fs1, sign-extended, into xrd (no NaN-box check: the bits move unchanged). */
export function moveSToX(s: CpuState, rd: number, rs1: number): void {
  const w = s.fi[2 * rs1];
  writeX(s, rd, w, w >> 31);
}

/** fmv.x.d: the 64 bits of fs1 into xrd. */
export function moveDToX(s: CpuState, rd: number, rs1: number): void {
  writeX(s, rd, s.fi[2 * rs1], s.fi[2 * rs1 + 1]);
}

/** fmv.w.x: low 32 bits of xrs1 into fd, NaN-boxed. */
export function moveXToS(s: CpuState, rd: number, rs1: number): void {
  writeBitsS(s, rd, s.x[2 * rs1]);
}

/** fmv.d.x: the 64 bits of xrs1 into fd. */
export function moveXToD(s: CpuState, rd: number, rs1: number): void {
  s.fi[2 * rd] = s.x[2 * rs1];
  s.fi[2 * rd + 1] = s.x[2 * rs1 + 1];
}
