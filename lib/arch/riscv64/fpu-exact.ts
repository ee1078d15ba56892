// Exact IEEE 754 binary32/binary64 arithmetic on BigInt significands: the reference path for every rounding mode and flag.
//
// The interpreter's fast paths (fpu-arith.ts) cover round-to-nearest in the comfortable exponent range; every other case
// (directed rounding, subnormal or overflowing results, specials) comes here. Nothing here is on the hot path.

/** fflags bits (RISC-V fcsr layout). */
export const enum Flag { NX = 1, UF = 2, OF = 4, DZ = 8, NV = 16 }

/** Rounding modes as encoded in the rm field and frm. */
export const enum Rm { RNE = 0, RTZ = 1, RDN = 2, RUP = 3, RMM = 4 }

/** Operand classes after unpacking. */
export const enum Cls { Zero = 0, Finite = 1, Inf = 2, QNaN = 3, SNaN = 4 }

/** Format selector: the fmt field of the instruction (0 = single, 1 = double). */
export const enum Fmt { S = 0, D = 1 }

/** An unpacked operand; for Finite its value is (-1)^neg * mag * 2^exp with mag > 0. */
export interface Num {
  cls: Cls;
  neg: boolean;
  mag: bigint;
  exp: number;
}

/** A rounded result: the destination's raw bits (32 or 64 of them) and the flags raised. */
export interface Rounded {
  bits: bigint;
  flags: number;
}

export const CANONICAL_NAN_S = 0x7fc00000n;
export const CANONICAL_NAN_D = 0x7ff8000000000000n;

const TWO32 = 4294967296;

/** Unpack a binary64 from its two 32-bit halves. Never fails. */
export function unpackD(lo: number, hi: number): Num {
  const neg = hi < 0;
  const be = (hi >>> 20) & 0x7ff;
  const frac = (hi & 0xfffff) * TWO32 + (lo >>> 0);
  if (be === 0x7ff) {
    if (frac === 0) return { cls: Cls.Inf, neg, mag: 0n, exp: 0 };
    return { cls: (hi & 0x80000) !== 0 ? Cls.QNaN : Cls.SNaN, neg, mag: 0n, exp: 0 };
  }
  if (be === 0) {
    if (frac === 0) return { cls: Cls.Zero, neg, mag: 0n, exp: 0 };
    return { cls: Cls.Finite, neg, mag: BigInt(frac), exp: -1074 };
  }
  return { cls: Cls.Finite, neg, mag: BigInt(frac + 4503599627370496), exp: be - 1075 };
}

/** Unpack a binary32 from its bits; `boxed` false means the register was not NaN-boxed (reads as the canonical NaN). */
export function unpackS(w: number, boxed: boolean): Num {
  if (!boxed) return { cls: Cls.QNaN, neg: false, mag: 0n, exp: 0 };
  const neg = w < 0;
  const be = (w >>> 23) & 0xff;
  const frac = w & 0x7fffff;
  if (be === 0xff) {
    if (frac === 0) return { cls: Cls.Inf, neg, mag: 0n, exp: 0 };
    return { cls: (w & 0x400000) !== 0 ? Cls.QNaN : Cls.SNaN, neg, mag: 0n, exp: 0 };
  }
  if (be === 0) {
    if (frac === 0) return { cls: Cls.Zero, neg, mag: 0n, exp: 0 };
    return { cls: Cls.Finite, neg, mag: BigInt(frac), exp: -149 };
  }
  return { cls: Cls.Finite, neg, mag: BigInt(frac | 0x800000), exp: be - 150 };
}

/** Number of significant bits of a positive BigInt. */
export function bitLength(n: bigint): number {
  const h = n.toString(16);
  return (h.length - 1) * 4 + (32 - Math.clz32(parseInt(h[0], 16)));
}

function precisionOf(fmt: Fmt): number {
  return fmt === Fmt.D ? 53 : 24;
}
function eminOf(fmt: Fmt): number {
  return fmt === Fmt.D ? -1022 : -126;
}
function emaxOf(fmt: Fmt): number {
  return fmt === Fmt.D ? 1023 : 127;
}

/** Bits of ±0, ±inf or the canonical NaN in a format. */
export function zeroBits(fmt: Fmt, neg: boolean): bigint {
  return neg ? (fmt === Fmt.D ? 1n << 63n : 1n << 31n) : 0n;
}
export function infBits(fmt: Fmt, neg: boolean): bigint {
  return zeroBits(fmt, neg) | (fmt === Fmt.D ? 0x7ff0000000000000n : 0x7f800000n);
}
export function nanBits(fmt: Fmt): bigint {
  return fmt === Fmt.D ? CANONICAL_NAN_D : CANONICAL_NAN_S;
}

// Whether to add one unit in the last place, given the discarded part: `rem` against `half` (both in units of the
// discarded field), `sticky` for anything nonzero below it, and the parity of the kept part.
function roundsUp(rm: Rm, neg: boolean, rem: bigint, half: bigint, sticky: boolean, odd: boolean): boolean {
  switch (rm) {
    case Rm.RNE: return rem > half || (rem === half && (sticky || odd));
    case Rm.RTZ: return false;
    case Rm.RDN: return neg && (rem !== 0n || sticky);
    case Rm.RUP: return !neg && (rem !== 0n || sticky);
    default: return rem >= half;
  }
}

/**
 * Round (-1)^neg * (mag + s) * 2^exp to `fmt` under `rm`, where s is 0 when !sticky and lies strictly in (0, 1)
 * otherwise. mag must be > 0; when sticky, mag must have at least precision+2 bits. Tininess is detected after
 * rounding (as RISC-V and SoftFloat do); UF is raised only when the result is also inexact.
 */
export function roundToFormat(neg: boolean, mag: bigint, exp: number, sticky: boolean, fmt: Fmt, rm: Rm): Rounded {
  const p = precisionOf(fmt);
  const emin = eminOf(fmt);
  const bl = bitLength(mag);
  if (sticky && bl < p + 2) throw new Error('roundToFormat: sticky result with too few bits');
  const e = exp + bl - 1;
  let lsb = Math.max(e - (p - 1), emin - (p - 1));
  const sh = lsb - exp;
  let mant: bigint;
  let inexact = sticky;
  if (sh <= 0) {
    mant = mag << BigInt(-sh);
  } else {
    const bsh = BigInt(sh);
    mant = mag >> bsh;
    const rem = mag & ((1n << bsh) - 1n);
    if (rem !== 0n) inexact = true;
    if (roundsUp(rm, neg, rem, 1n << (bsh - 1n), sticky, (mant & 1n) === 1n)) mant += 1n;
  }
  let flags = inexact ? Flag.NX : 0;
  if (inexact && isTinyAfterRounding(neg, mag, e, sticky, p, emin, rm)) flags |= Flag.UF;
  if (mant === 0n) return { bits: zeroBits(fmt, neg), flags };
  if (mant >> BigInt(p) !== 0n) {
    mant >>= 1n;
    lsb += 1;
  }
  const fracBits = BigInt(p - 1);
  const signBit = zeroBits(fmt, neg);
  if (mant >> fracBits === 0n) return { bits: signBit | mant, flags }; // subnormal: lsb is the minimum
  const top = lsb + p - 1;
  if (top > emaxOf(fmt)) return overflowResult(fmt, neg, rm, flags);
  const biased = BigInt(top + emaxOf(fmt));
  return { bits: signBit | (biased << fracBits) | (mant & ((1n << fracBits) - 1n)), flags };
}

// Tiny after rounding: the value rounded to p bits with an unbounded exponent is below 2^emin in magnitude.
function isTinyAfterRounding(neg: boolean, mag: bigint, e: number, sticky: boolean, p: number, emin: number, rm: Rm): boolean {
  if (e >= emin) return false;
  if (e < emin - 1) return true;
  const bl = bitLength(mag);
  if (bl <= p) return true; // exact at p bits and below 2^emin
  const bsh = BigInt(bl - p);
  const kept = mag >> bsh;
  const rem = mag & ((1n << bsh) - 1n);
  const up = roundsUp(rm, neg, rem, 1n << (bsh - 1n), sticky, (kept & 1n) === 1n);
  return !(up && kept + 1n === 1n << BigInt(p));
}

function overflowResult(fmt: Fmt, neg: boolean, rm: Rm, flags: number): Rounded {
  const toInf = rm === Rm.RNE || rm === Rm.RMM || (rm === Rm.RDN && neg) || (rm === Rm.RUP && !neg);
  const f = flags | Flag.OF | Flag.NX;
  if (toInf) return { bits: infBits(fmt, neg), flags: f };
  return { bits: infBits(fmt, neg) - 1n, flags: f }; // largest finite magnitude
}

/** The canonical NaN, raising NV when asked. */
export function nanResult(fmt: Fmt, invalid: boolean): Rounded {
  return { bits: nanBits(fmt), flags: invalid ? Flag.NV : 0 };
}

export function isNaNCls(c: Cls): boolean {
  return c === Cls.QNaN || c === Cls.SNaN;
}
