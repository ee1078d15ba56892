// FCVT between integers and S/D and between S and D, with every rounding mode, saturation and exact flags.
import { CpuState } from './state';
import { Flag, Fmt, Rm } from './fpu-exact';
import { convertFloatExact, convertIntExact } from './fpu-exact-ops';
import { roundToOdd, sumError } from './fpu-eft';
import { MIN_NORMAL_S, readS, unpackReg, writeRounded, writeS, writeX } from './fpu-regs';

/** Integer operand/result kinds, as encoded in the rs2 field of FCVT. */
export const enum IntKind { W = 0, WU = 1, L = 2, LU = 3 }

const TWO32 = 4294967296;
const TWO52 = 4503599627370496;

// v (finite) rounded to an integral value under rm; exact in binary64 since |v| >= 2^52 is already integral.
function roundIntegral(v: number, rm: number): number {
  switch (rm) {
    case Rm.RTZ: return Math.trunc(v);
    case Rm.RDN: return Math.floor(v);
    case Rm.RUP: return Math.ceil(v);
    case Rm.RMM: {
      const t = Math.trunc(v);
      return Math.abs(v - t) >= 0.5 ? t + Math.sign(v) : t;
    }
    default: {
      if (Math.abs(v) >= TWO52) return v;
      const f = Math.floor(v);
      const d = v - f;
      if (d > 0.5 || (d === 0.5 && f % 2 !== 0)) return f + 1;
      return f;
    }
  }
}

/**
 * fcvt.{w,wu,l,lu}.{s,d}: convert the value v (a single or double read as a number; NaN for any NaN) into xrd.
 * Out-of-range values and NaN saturate (NaN to the largest positive value) and raise NV only; otherwise NX if inexact.
 * 32-bit results are sign-extended.
 */
export function convertToInt(s: CpuState, rd: number, v: number, kind: IntKind, rm: number): void {
  if (v !== v) {
    s.fflags |= Flag.NV;
    saturate(s, rd, kind, false);
    return;
  }
  const r = v - v === 0 ? roundIntegral(v, rm) : v;
  let ok: boolean;
  switch (kind) {
    case IntKind.W: ok = r >= -2147483648 && r <= 2147483647; break;
    case IntKind.WU: ok = r >= 0 && r < TWO32; break;
    case IntKind.L: ok = r >= -9223372036854775808 && r < 9223372036854775808; break;
    default: ok = r >= 0 && r < 18446744073709551616; break;
  }
  if (!ok) {
    s.fflags |= Flag.NV;
    saturate(s, rd, kind, r < 0);
    return;
  }
  if (r !== v) s.fflags |= Flag.NX;
  if (kind === IntKind.W || kind === IntKind.WU) {
    const lo = r | 0;
    writeX(s, rd, lo, lo >> 31);
  } else {
    const hi = Math.floor(r / TWO32);
    writeX(s, rd, (r - hi * TWO32) | 0, hi | 0);
  }
}

function saturate(s: CpuState, rd: number, kind: IntKind, negative: boolean): void {
  switch (kind) {
    case IntKind.W: writeX(s, rd, negative ? -2147483648 : 2147483647, negative ? -1 : 0); break;
    case IntKind.WU: writeX(s, rd, negative ? 0 : -1, negative ? 0 : -1); break;
    case IntKind.L: writeX(s, rd, negative ? 0 : -1, negative ? -2147483648 : 2147483647); break;
    default: writeX(s, rd, negative ? 0 : -1, negative ? 0 : -1); break;
  }
}

/** fcvt.{s,d}.{w,wu,l,lu}: convert xrs1 into fd in format `to`, correctly rounded under rm (NX when inexact). */
export function convertFromInt(s: CpuState, rd: number, rs1: number, kind: IntKind, to: Fmt, rm: number): void {
  const lo = s.x[2 * rs1];
  const hi = s.x[2 * rs1 + 1];
  // v = high + low exactly; the one binary64 addition rounds it to nearest, err is what that rounding lost.
  let high: number;
  let low: number;
  switch (kind) {
    case IntKind.W: high = 0; low = lo; break;
    case IntKind.WU: high = 0; low = lo >>> 0; break;
    case IntKind.L: high = hi * TWO32; low = lo >>> 0; break;
    default: high = (hi >>> 0) * TWO32; low = lo >>> 0; break;
  }
  let v = high + low;
  const err = sumError(high, low, v);
  if (rm === Rm.RNE || err === 0) {
    if (to === Fmt.D) {
      if (err !== 0) s.fflags |= Flag.NX;
      s.f64[rd] = v;
      return;
    }
    if (err !== 0) v = roundToOdd(v, err); // 53-bit round-to-odd, then to 24 bits: one correct rounding
    const r = Math.fround(v);
    if (r === v || rm === Rm.RNE) {
      if (r !== v || err !== 0) s.fflags |= Flag.NX;
      writeS(s, rd, r);
      return;
    }
  }
  let big: bigint;
  switch (kind) {
    case IntKind.W: big = BigInt(lo); break;
    case IntKind.WU: big = BigInt(lo >>> 0); break;
    case IntKind.L: big = (BigInt(hi) << 32n) | BigInt(lo >>> 0); break;
    default: big = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0); break;
  }
  writeRounded(s, rd, to, convertIntExact(big, to, rm));
}

/** fcvt.s.d: round the double in rs1 to a single under rm. */
export function convertDToS(s: CpuState, rd: number, rs1: number, rm: number): void {
  const a = s.f64[rs1];
  const r = Math.fround(a);
  if (r - r === 0 && (r === a || (rm === Rm.RNE && Math.abs(r) > MIN_NORMAL_S))) {
    if (r !== a) s.fflags |= Flag.NX;
    writeS(s, rd, r);
    return;
  }
  writeRounded(s, rd, Fmt.S, convertFloatExact(unpackReg(s, rs1, Fmt.D), Fmt.S, rm));
}

/** fcvt.d.s: widen the single in rs1 (exact; NaNs become the canonical NaN, NV for a signaling one). */
export function convertSToD(s: CpuState, rd: number, rs1: number): void {
  const a = readS(s, rs1);
  if (a === a) {
    s.f64[rd] = a;
    return;
  }
  writeRounded(s, rd, Fmt.D, convertFloatExact(unpackReg(s, rs1, Fmt.S), Fmt.D, Rm.RNE));
}
