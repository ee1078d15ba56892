// Exact reference implementations of the F/D arithmetic and conversions, on unpacked operands, for every rounding mode.
import {
  Cls, Flag, Fmt, Num, Rm, Rounded, bitLength, infBits, isNaNCls, nanResult, roundToFormat, zeroBits,
} from './fpu-exact';

function anySNaN(a: Num, b: Num, c?: Num): boolean {
  return a.cls === Cls.SNaN || b.cls === Cls.SNaN || (c !== undefined && c.cls === Cls.SNaN);
}

// Sum of two signed exact terms m1*2^e1 and m2*2^e2 (m >= 0), rounded; exact cancellation gives +0, or -0 under RDN,
// unless both terms are zeros of the same sign.
function roundSum(n1: boolean, m1: bigint, e1: number, n2: boolean, m2: bigint, e2: number, fmt: Fmt, rm: Rm): Rounded {
  if (m1 === 0n && m2 === 0n) {
    return { bits: zeroBits(fmt, n1 === n2 ? n1 : rm === Rm.RDN), flags: 0 };
  }
  if (m1 === 0n) return roundToFormat(n2, m2, e2, false, fmt, rm);
  if (m2 === 0n) return roundToFormat(n1, m1, e1, false, fmt, rm);
  const e = Math.min(e1, e2);
  const v1 = m1 << BigInt(e1 - e);
  const v2 = m2 << BigInt(e2 - e);
  const sum = (n1 ? -v1 : v1) + (n2 ? -v2 : v2);
  if (sum === 0n) return { bits: zeroBits(fmt, rm === Rm.RDN), flags: 0 };
  return sum < 0n ? roundToFormat(true, -sum, e, false, fmt, rm) : roundToFormat(false, sum, e, false, fmt, rm);
}

/** a + b (or a - b when `subtract`), correctly rounded. */
export function addExact(a: Num, b: Num, subtract: boolean, fmt: Fmt, rm: Rm): Rounded {
  if (isNaNCls(a.cls) || isNaNCls(b.cls)) return nanResult(fmt, anySNaN(a, b));
  const bneg = b.neg !== subtract;
  if (a.cls === Cls.Inf || b.cls === Cls.Inf) {
    if (a.cls === Cls.Inf && b.cls === Cls.Inf && a.neg !== bneg) return nanResult(fmt, true);
    return { bits: infBits(fmt, a.cls === Cls.Inf ? a.neg : bneg), flags: 0 };
  }
  return roundSum(a.neg, a.mag, a.exp, bneg, b.mag, b.exp, fmt, rm);
}

/** a * b, correctly rounded. */
export function mulExact(a: Num, b: Num, fmt: Fmt, rm: Rm): Rounded {
  if (isNaNCls(a.cls) || isNaNCls(b.cls)) return nanResult(fmt, anySNaN(a, b));
  const neg = a.neg !== b.neg;
  if (a.cls === Cls.Inf || b.cls === Cls.Inf) {
    if (a.cls === Cls.Zero || b.cls === Cls.Zero) return nanResult(fmt, true);
    return { bits: infBits(fmt, neg), flags: 0 };
  }
  if (a.cls === Cls.Zero || b.cls === Cls.Zero) return { bits: zeroBits(fmt, neg), flags: 0 };
  return roundToFormat(neg, a.mag * b.mag, a.exp + b.exp, false, fmt, rm);
}

/** a / b, correctly rounded; DZ for finite nonzero / zero. */
export function divExact(a: Num, b: Num, fmt: Fmt, rm: Rm): Rounded {
  if (isNaNCls(a.cls) || isNaNCls(b.cls)) return nanResult(fmt, anySNaN(a, b));
  const neg = a.neg !== b.neg;
  if (a.cls === Cls.Inf) {
    if (b.cls === Cls.Inf) return nanResult(fmt, true);
    return { bits: infBits(fmt, neg), flags: 0 };
  }
  if (b.cls === Cls.Inf) return { bits: zeroBits(fmt, neg), flags: 0 };
  if (b.cls === Cls.Zero) {
    if (a.cls === Cls.Zero) return nanResult(fmt, true);
    return { bits: infBits(fmt, neg), flags: Flag.DZ };
  }
  if (a.cls === Cls.Zero) return { bits: zeroBits(fmt, neg), flags: 0 };
  // Enough quotient bits that the remainder only ever acts as a sticky bit.
  const k = (fmt === Fmt.D ? 53 : 24) + 3 + bitLength(b.mag);
  const num = a.mag << BigInt(k);
  const q = num / b.mag;
  return roundToFormat(neg, q, a.exp - b.exp - k, q * b.mag !== num, fmt, rm);
}

/** Integer square root (floor) of n >= 0. */
export function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt((bitLength(n) + 1) >> 1); // >= sqrt(n), so Newton's iteration decreases monotonically
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** sqrt(a), correctly rounded; NV for negative nonzero inputs. */
export function sqrtExact(a: Num, fmt: Fmt, rm: Rm): Rounded {
  if (isNaNCls(a.cls)) return nanResult(fmt, a.cls === Cls.SNaN);
  if (a.cls === Cls.Zero) return { bits: zeroBits(fmt, a.neg), flags: 0 };
  if (a.neg) return nanResult(fmt, true);
  if (a.cls === Cls.Inf) return { bits: infBits(fmt, false), flags: 0 };
  const p = fmt === Fmt.D ? 53 : 24;
  let s = Math.max(0, 2 * (p + 3) - bitLength(a.mag));
  if (((a.exp - s) & 1) !== 0) s += 1;
  const n = a.mag << BigInt(s);
  const r = isqrt(n);
  return roundToFormat(false, r, (a.exp - s) / 2, r * r !== n, fmt, rm);
}

/**
 * Fused (±a*b) ± c with one rounding. `negProd` negates the product and `negAddend` the addend, as FNMSUB/FMSUB/FNMADD
 * do; NV for inf*0 even when c is a quiet NaN.
 */
export function fmaExact(a: Num, b: Num, c: Num, negProd: boolean, negAddend: boolean, fmt: Fmt, rm: Rm): Rounded {
  const infTimesZero = (a.cls === Cls.Inf && b.cls === Cls.Zero) || (a.cls === Cls.Zero && b.cls === Cls.Inf);
  if (isNaNCls(a.cls) || isNaNCls(b.cls) || isNaNCls(c.cls) || infTimesZero) {
    return nanResult(fmt, infTimesZero || anySNaN(a, b, c));
  }
  const pneg = (a.neg !== b.neg) !== negProd;
  const cneg = c.neg !== negAddend;
  if (a.cls === Cls.Inf || b.cls === Cls.Inf) {
    if (c.cls === Cls.Inf && cneg !== pneg) return nanResult(fmt, true);
    return { bits: infBits(fmt, pneg), flags: 0 };
  }
  if (c.cls === Cls.Inf) return { bits: infBits(fmt, cneg), flags: 0 };
  return roundSum(pneg, a.mag * b.mag, a.exp + b.exp, cneg, c.mag, c.exp, fmt, rm);
}

/** Convert between single and double (`to` is the destination format); exact when widening. */
export function convertFloatExact(a: Num, to: Fmt, rm: Rm): Rounded {
  if (isNaNCls(a.cls)) return nanResult(to, a.cls === Cls.SNaN);
  if (a.cls === Cls.Inf) return { bits: infBits(to, a.neg), flags: 0 };
  if (a.cls === Cls.Zero) return { bits: zeroBits(to, a.neg), flags: 0 };
  return roundToFormat(a.neg, a.mag, a.exp, false, to, rm);
}

/** Convert an integer to a float, correctly rounded; zero converts to +0. */
export function convertIntExact(v: bigint, to: Fmt, rm: Rm): Rounded {
  if (v === 0n) return { bits: 0n, flags: 0 };
  return v < 0n ? roundToFormat(true, -v, 0, false, to, rm) : roundToFormat(false, v, 0, false, to, rm);
}
