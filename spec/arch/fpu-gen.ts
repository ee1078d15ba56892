// Operand generators for the FPU differential tests: edge values, structured random floats, ties, integer limits.
import { EDGE_D, EDGE_S, Rng, bitsD, bitsS, boxS } from './fpu-cases';

// A significand field of `bits` bits, drawn from shapes that exercise rounding: random, sparse (few leading bits,
// which makes exact and halfway products/quotients/sums likely), trailing bits only, all ones, zero.
function genFraction(r: Rng, bits: number): bigint {
  const full = (1n << BigInt(bits)) - 1n;
  const rnd = r.big64() & full;
  switch (r.below(6)) {
    case 0: return rnd;
    case 1: {
      const keep = r.below(bits + 1);
      return (rnd >> BigInt(bits - keep)) << BigInt(bits - keep);
    }
    case 2: return rnd & ((1n << BigInt(r.below(8) + 1)) - 1n);
    case 3: return full ^ (rnd & ((1n << BigInt(r.below(6))) - 1n));
    case 4: return 0n;
    default: {
      const s = BigInt(bits - r.below(12));
      return ((rnd >> s) << s) | 1n;
    }
  }
}

function genExponentD(r: Rng): number {
  switch (r.below(6)) {
    case 0: return r.below(2048);
    case 1: return 1023 + r.below(129) - 64;
    case 2: return r.below(70); // subnormals and the bottom of the normal range
    case 3: return 2047 - r.below(70);
    case 4: return 1023 + r.pick([23, 24, 31, 32, 52, 53, 62, 63, 64]) + r.below(3) - 1;
    default: return 1023 + r.below(21) - 10;
  }
}

function genExponentS(r: Rng): number {
  switch (r.below(5)) {
    case 0: return r.below(256);
    case 1: return 127 + r.below(61) - 30;
    case 2: return r.below(30);
    case 3: return 255 - r.below(30);
    default: return 127 + r.pick([23, 24, 31, 32, 62, 63, 64]) + r.below(3) - 1;
  }
}

/** A binary64 bit pattern. */
export function genD(r: Rng): bigint {
  const k = r.below(10);
  if (k === 0) return r.pick(EDGE_D);
  if (k === 1) return r.big64();
  const sign = BigInt(r.below(2)) << 63n;
  return sign | (BigInt(genExponentD(r)) << 52n) | genFraction(r, 52);
}

/** A second binary64 operand near the first in exponent (cancellation, alignment and tie cases), or independent. */
export function genRelatedD(r: Rng, a: bigint): bigint {
  if (r.below(3) !== 0) return genD(r);
  const ea = Number((a >> 52n) & 0x7ffn);
  const e = Math.min(2046, Math.max(0, ea + r.below(121) - 60));
  const sign = BigInt(r.below(2)) << 63n;
  return sign | (BigInt(e) << 52n) | genFraction(r, 52);
}

/** A binary32 bit pattern (unboxed). */
export function genSBits(r: Rng): number {
  const k = r.below(10);
  if (k === 0) return r.pick(EDGE_S);
  if (k === 1) return r.next();
  return ((r.below(2) << 31) | (genExponentS(r) << 23) | Number(genFraction(r, 23))) >>> 0;
}

/** An f-register value for a single-precision operand: usually NaN-boxed, sometimes not. */
export function genS(r: Rng): bigint {
  const w = genSBits(r);
  if (r.below(25) === 0) return r.below(2) === 0 ? BigInt(w) : (r.big64() & 0xfffffffe00000000n) | BigInt(w);
  return boxS(w);
}

/** A single near the first operand in exponent, NaN-boxed. */
export function genRelatedS(r: Rng, a: bigint): bigint {
  if (r.below(3) !== 0) return genS(r);
  const ea = Number((a >> 23n) & 0xffn);
  const e = Math.min(254, Math.max(0, ea + r.below(61) - 30));
  return boxS(((r.below(2) << 31) | (e << 23) | Number(genFraction(r, 23))) >>> 0);
}

const INT_LIMITS = [0, 1, 2 ** 24, 2 ** 31, 2 ** 32, 2 ** 52, 2 ** 53, 2 ** 63, 2 ** 64];

/** A value near an integer or an integer-conversion limit, for fcvt to integer; as a double (exact). */
function genNearInteger(r: Rng): number {
  let base = r.below(3) === 0 ? r.below(20) : r.pick(INT_LIMITS) + r.below(5) - 2;
  if (r.below(2) === 0) base = -base;
  const frac = r.pick([0, 0.5, -0.5, 0.25, 0.75, -0.25, 1e-9, -1e-9, (r.next() / 2 ** 32) - 0.5]);
  return base + frac;
}

/** A double operand for fcvt.{w,wu,l,lu}.d. */
export function genConvertSourceD(r: Rng): bigint {
  if (r.below(3) === 0) return genD(r);
  const v = genNearInteger(r);
  if (r.below(4) === 0) {
    const b = bitsD(v); // a neighbour by one ulp, either side
    return r.below(2) === 0 ? b + 1n : b - 1n;
  }
  return bitsD(v);
}

/** A single operand for fcvt.{w,wu,l,lu}.s (boxed). */
export function genConvertSourceS(r: Rng): bigint {
  if (r.below(3) === 0) return genS(r);
  const b = bitsS(genNearInteger(r));
  if (r.below(4) === 0) return r.below(2) === 0 ? b + 1n : b - 1n;
  return b;
}

/** A 64-bit integer register value for fcvt.{s,d}.{w,wu,l,lu}: varied bit lengths, ties near 2^24 / 2^53 / 2^64. */
export function genIntSource(r: Rng): bigint {
  switch (r.below(5)) {
    case 0: return r.big64();
    case 1: {
      const len = BigInt(r.below(65));
      const v = r.big64() & ((1n << len) - 1n);
      return r.below(2) === 0 ? v : -v;
    }
    case 2: {
      const base = 1n << BigInt(r.pick([24, 25, 31, 32, 53, 54, 62, 63]));
      const v = base + BigInt(r.below(9)) - 4n;
      return r.below(2) === 0 ? v : -v;
    }
    case 3: {
      // k significant bits then a tie or near-tie pattern below bit 24 or 53
      const lsb = BigInt(r.pick([0, 1, 5, 8, 10, 11, 20, 29, 32, 39, 40]));
      const top = (r.big64() >> 10n) | (1n << 53n);
      const v = (top << lsb) | (BigInt(r.below(4)) << (lsb > 1n ? lsb - 2n : 0n));
      return r.below(2) === 0 ? v : -v;
    }
    default: return BigInt(r.below(2000)) - 1000n;
  }
}

const scratchF64 = new Float64Array(1);
const scratchU64 = new BigUint64Array(scratchF64.buffer);
const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

function valueOf(bits: bigint, fmt: number): number {
  if (fmt === 1) {
    scratchU64[0] = bits;
    return scratchF64[0];
  }
  scratchU32[0] = Number(bits & 0xffffffffn);
  return scratchF32[0];
}

// Bits of v in a format, moved by `ulps` units in the last place (v finite and nonzero).
function bitsNear(v: number, fmt: number, ulps: number): bigint {
  if (fmt === 1) {
    scratchF64[0] = v;
    return scratchU64[0] + BigInt(ulps);
  }
  scratchF32[0] = v;
  return boxS((scratchU32[0] + ulps) >>> 0);
}

/**
 * Operands a, b (and c) for fmul/fdiv/fma whose result lands next to a range boundary: the smallest normal (where
 * tininess before and after rounding differ), the largest finite value (overflow under each rounding mode), or a few
 * subnormal units. `op` is 'mul', 'div' or 'fma'; fmt 0 = S, 1 = D.
 */
export function genBoundaryOperands(r: Rng, op: 'mul' | 'div' | 'fma', fmt: number): bigint[] {
  const minNormal = fmt === 1 ? 2 ** -1022 : 2 ** -126;
  const maxFinite = fmt === 1 ? 1.7976931348623157e308 : 3.4028234663852886e38;
  const target = r.pick([minNormal, minNormal, maxFinite, minNormal * 2 ** -(r.below(fmt === 1 ? 52 : 23))]);
  const gen = fmt === 1 ? genD : genS;
  let a = gen(r);
  let av = Math.abs(valueOf(a, fmt));
  if (!(av > 2 ** -60 && av < 2 ** 60)) {
    a = bitsNear(1 + r.next() / 2 ** 32, fmt, 0);
    av = valueOf(a, fmt);
  }
  const sign = r.below(2) === 0 ? 1 : -1;
  const ulps = r.below(7) - 3;
  if (op === 'div') {
    const b = a;
    return [bitsNear(sign * target * av, fmt, ulps), b, 0n];
  }
  const b = bitsNear(sign * (target / av), fmt, ulps);
  const c = op === 'fma' ? bitsNear(sign * target * (r.next() / 2 ** 36), fmt, 0) : 0n;
  return [a, b, c];
}

/** A double just around the smallest normal or largest finite single, for fcvt.s.d. */
export function genBoundaryDouble(r: Rng): bigint {
  const target = r.pick([2 ** -126, 2 ** -126, 3.4028234663852886e38, 2 ** -149, 2 ** -126 - 2 ** -150]);
  scratchF64[0] = (r.below(2) === 0 ? 1 : -1) * target;
  const ulpsOfSingle = BigInt(r.below(9) - 4) << 29n; // a single's ulp is 2^29 double ulps here
  return scratchU64[0] + ulpsOfSingle + BigInt(r.below(5) - 2) * BigInt(r.below(2) === 0 ? 1 : 1 << 28);
}
