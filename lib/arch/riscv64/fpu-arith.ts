// FADD/FSUB/FMUL/FDIV/FSQRT/FMA for S and D: native fast paths for round-to-nearest, exact fallback otherwise.
//
// Fast paths use the host's binary64 operations (correctly rounded, ties to even) plus error-free transformations to
// detect inexactness. They bail out to the exact BigInt path whenever a result could be tiny, overflow, or a special
// value is involved, so every flag they raise is exact. Singles use the fact that binary64 has more than 2p+2 bits of
// binary32, so rounding an exact or correctly rounded binary64 result to binary32 is correct (and round-to-odd for FMA).
import { CpuState } from './state';
import { Flag, Fmt, Rm } from './fpu-exact';
import { addExact, divExact, fmaExact, mulExact, sqrtExact } from './fpu-exact-ops';
import { productError, roundToOdd, sumError } from './fpu-eft';
import { MIN_NORMAL_S, readS, unpackReg, writeRounded, writeS } from './fpu-regs';

/** Operands and products below this magnitude can be split and multiplied without overflow. */
const SPLIT_MAX = 2 ** 995;
/** Products at or above this magnitude have an exactly representable rounding error. */
const PRODUCT_MIN = 2 ** -969;
/** FMA results at or above this magnitude are far enough from the subnormal range for the double-double algorithm. */
const FMA_RESULT_MIN = 2 ** -900;

/** fadd.d / fsub.d into fd. */
export function addD(s: CpuState, rd: number, rs1: number, rs2: number, rm: number, subtract: boolean): void {
  if (rm === Rm.RNE) {
    const a = s.f64[rs1];
    const b = subtract ? -s.f64[rs2] : s.f64[rs2];
    const r = a + b;
    if (r - r === 0) {
      const e = sumError(a, b, r); // sums of doubles never underflow inexactly
      if (e - e === 0) {
        s.f64[rd] = r;
        if (e !== 0) s.fflags |= Flag.NX;
        return;
      }
    }
  }
  writeRounded(s, rd, Fmt.D, addExact(unpackReg(s, rs1, Fmt.D), unpackReg(s, rs2, Fmt.D), subtract, Fmt.D, rm));
}

/** fmul.d into fd. */
export function mulD(s: CpuState, rd: number, rs1: number, rs2: number, rm: number): void {
  if (rm === Rm.RNE) {
    const a = s.f64[rs1];
    const b = s.f64[rs2];
    const r = a * b;
    const ar = Math.abs(r);
    if (ar >= PRODUCT_MIN && ar < SPLIT_MAX && Math.abs(a) < SPLIT_MAX && Math.abs(b) < SPLIT_MAX) {
      const e = productError(a, b, r);
      s.f64[rd] = r;
      if (e !== 0) s.fflags |= Flag.NX;
      return;
    }
    if (r === 0 && (a === 0 || b === 0)) {
      s.f64[rd] = r;
      return;
    }
  }
  writeRounded(s, rd, Fmt.D, mulExact(unpackReg(s, rs1, Fmt.D), unpackReg(s, rs2, Fmt.D), Fmt.D, rm));
}

/** fdiv.d into fd. */
export function divD(s: CpuState, rd: number, rs1: number, rs2: number, rm: number): void {
  if (rm === Rm.RNE) {
    const a = s.f64[rs1];
    const b = s.f64[rs2];
    const q = a / b;
    const aq = Math.abs(q);
    const aa = Math.abs(a);
    // Strictly above the smallest normal: a quotient rounded up to it can still be tiny after rounding.
    if (aq > 2 ** -1022 && aq < SPLIT_MAX && Math.abs(b) < SPLIT_MAX && aa >= 2 * PRODUCT_MIN && aa < SPLIT_MAX) {
      const p = q * b; // q*b == a exactly iff the quotient was exact
      const exact = p === a && productError(q, b, p) === 0;
      s.f64[rd] = q;
      if (!exact) s.fflags |= Flag.NX;
      return;
    }
    if (a === 0 && b !== 0 && b - b === 0) {
      s.f64[rd] = q;
      return;
    }
  }
  writeRounded(s, rd, Fmt.D, divExact(unpackReg(s, rs1, Fmt.D), unpackReg(s, rs2, Fmt.D), Fmt.D, rm));
}

/** fsqrt.d into fd. */
export function sqrtD(s: CpuState, rd: number, rs1: number, rm: number): void {
  const a = s.f64[rs1];
  if (a === 0) {
    s.f64[rd] = a; // sqrt(±0) = ±0 exactly in every mode
    return;
  }
  if (rm === Rm.RNE && a >= 2 * PRODUCT_MIN && a < SPLIT_MAX) {
    const r = Math.sqrt(a);
    const p = r * r;
    const exact = p === a && productError(r, r, p) === 0;
    s.f64[rd] = r;
    if (!exact) s.fflags |= Flag.NX;
    return;
  }
  writeRounded(s, rd, Fmt.D, sqrtExact(unpackReg(s, rs1, Fmt.D), Fmt.D, rm));
}

/** fmadd.d / fmsub.d / fnmsub.d / fnmadd.d into fd: (±rs1*rs2) ± rs3 with a single rounding. */
export function fmaD(s: CpuState, rd: number, rs1: number, rs2: number, rs3: number, negProd: boolean, negAddend: boolean, rm: number): void {
  if (rm === Rm.RNE) {
    const a = negProd ? -s.f64[rs1] : s.f64[rs1];
    const b = s.f64[rs2];
    const c = negAddend ? -s.f64[rs3] : s.f64[rs3];
    const uh = a * b;
    const au = Math.abs(uh);
    if (au >= PRODUCT_MIN && au < SPLIT_MAX && Math.abs(a) < SPLIT_MAX && Math.abs(b) < SPLIT_MAX && c - c === 0) {
      // Boldo & Melquiond's emulated FMA: exact product and sum, round-to-odd of the tail, one final rounding.
      const ul = productError(a, b, uh);
      const th = uh + c;
      const tl = sumError(uh, c, th);
      let v = tl + ul;
      const ve = sumError(tl, ul, v);
      if (ve !== 0) v = roundToOdd(v, ve);
      const r = th + v;
      const ar = Math.abs(r);
      if (ar >= FMA_RESULT_MIN && ar < Infinity) {
        s.f64[rd] = r;
        if (ve !== 0 || sumError(th, v, r) !== 0) s.fflags |= Flag.NX;
        return;
      }
    } else if ((a === 0 || b === 0) && a - a === 0 && b - b === 0 && c - c === 0) {
      s.f64[rd] = uh + c; // exact: a signed zero plus c, IEEE zero-sign rules for round-to-nearest
      return;
    }
  }
  writeRounded(s, rd, Fmt.D, fmaExact(unpackReg(s, rs1, Fmt.D), unpackReg(s, rs2, Fmt.D), unpackReg(s, rs3, Fmt.D),
    negProd, negAddend, Fmt.D, rm));
}

// Store a round-to-nearest single result r of an exact value x (x represented by `inexact`), unless it might be tiny
// (UF then needs the exact path) or overflowed. Returns whether it stored.
function storeS(s: CpuState, rd: number, r: number, inexact: boolean): boolean {
  if (r - r !== 0) return false;
  if (inexact) {
    if (Math.abs(r) <= MIN_NORMAL_S) return false;
    s.fflags |= Flag.NX;
  }
  writeS(s, rd, r);
  return true;
}

/** fadd.s / fsub.s into fd. */
export function addS(s: CpuState, rd: number, rs1: number, rs2: number, rm: number, subtract: boolean): void {
  if (rm === Rm.RNE) {
    const a = readS(s, rs1);
    const b = subtract ? -readS(s, rs2) : readS(s, rs2);
    const d = a + b;
    const r = Math.fround(d);
    if (storeS(s, rd, r, r !== d || sumError(a, b, d) !== 0)) return;
  }
  writeRounded(s, rd, Fmt.S, addExact(unpackReg(s, rs1, Fmt.S), unpackReg(s, rs2, Fmt.S), subtract, Fmt.S, rm));
}

/** fmul.s into fd. */
export function mulS(s: CpuState, rd: number, rs1: number, rs2: number, rm: number): void {
  if (rm === Rm.RNE) {
    const d = readS(s, rs1) * readS(s, rs2); // exact in binary64
    const r = Math.fround(d);
    if (storeS(s, rd, r, r !== d)) return;
  }
  writeRounded(s, rd, Fmt.S, mulExact(unpackReg(s, rs1, Fmt.S), unpackReg(s, rs2, Fmt.S), Fmt.S, rm));
}

/** fdiv.s into fd. */
export function divS(s: CpuState, rd: number, rs1: number, rs2: number, rm: number): void {
  if (rm === Rm.RNE) {
    const a = readS(s, rs1);
    const b = readS(s, rs2);
    const r = Math.fround(a / b);
    // r*b is exact in binary64, so it equals a iff the quotient was exact.
    if (b - b === 0 && storeS(s, rd, r, r * b !== a)) return;
  }
  writeRounded(s, rd, Fmt.S, divExact(unpackReg(s, rs1, Fmt.S), unpackReg(s, rs2, Fmt.S), Fmt.S, rm));
}

/** fsqrt.s into fd. */
export function sqrtS(s: CpuState, rd: number, rs1: number, rm: number): void {
  const a = readS(s, rs1);
  if (a === 0) {
    writeS(s, rd, a);
    return;
  }
  if (rm === Rm.RNE && a > 0 && a < Infinity) {
    const r = Math.fround(Math.sqrt(a));
    if (r * r !== a) s.fflags |= Flag.NX; // square roots of singles are never tiny
    writeS(s, rd, r);
    return;
  }
  writeRounded(s, rd, Fmt.S, sqrtExact(unpackReg(s, rs1, Fmt.S), Fmt.S, rm));
}

/** fmadd.s / fmsub.s / fnmsub.s / fnmadd.s into fd. */
export function fmaS(s: CpuState, rd: number, rs1: number, rs2: number, rs3: number, negProd: boolean, negAddend: boolean, rm: number): void {
  if (rm === Rm.RNE) {
    const p = (negProd ? -readS(s, rs1) : readS(s, rs1)) * readS(s, rs2); // exact in binary64
    const c = negAddend ? -readS(s, rs3) : readS(s, rs3);
    if (p - p === 0 && c - c === 0) {
      let d = p + c;
      const e = sumError(p, c, d);
      if (e !== 0) d = roundToOdd(d, e); // 53-bit round-to-odd then rounding to 24 bits is a correct rounding
      const r = Math.fround(d);
      if (storeS(s, rd, r, e !== 0 || r !== d)) return;
    }
  }
  writeRounded(s, rd, Fmt.S, fmaExact(unpackReg(s, rs1, Fmt.S), unpackReg(s, rs2, Fmt.S), unpackReg(s, rs3, Fmt.S),
    negProd, negAddend, Fmt.S, rm));
}
