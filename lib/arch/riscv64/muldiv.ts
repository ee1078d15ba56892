// M-extension arithmetic on lo/hi register pairs: 64-bit high products and divisions, without BigInt.

const TWO32 = 4294967296;

/** High 32 bits of the unsigned product of two 32-bit values (16-bit limbs keep every partial product exact). */
export function mulhu32(a: number, b: number): number {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const p01 = a0 * b1, p10 = a1 * b0;
  const mid = ((a0 * b0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return (a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) | 0;
}

/** x[rd] = low 64 bits of x[rs1] * x[rs2] (rd, rs1, rs2 are pair indexes). */
export function mul64(x: Int32Array, rd: number, rs1: number, rs2: number): void {
  const al = x[rs1], ah = x[rs1 + 1], bl = x[rs2], bh = x[rs2 + 1];
  x[rd] = Math.imul(al, bl);
  x[rd + 1] = (mulhu32(al, bl) + Math.imul(al, bh) + Math.imul(ah, bl)) | 0;
}

/** Unsigned high 64 bits of the product; `neg` selects the signed corrections of mulh (3) or mulhsu (1). */
function mulHigh(x: Int32Array, rd: number, rs1: number, rs2: number, neg: number): void {
  const al = x[rs1], ah = x[rs1 + 1], bl = x[rs2], bh = x[rs2 + 1];
  const mid = (mulhu32(al, bl) >>> 0) + (Math.imul(al, bh) >>> 0) + (Math.imul(ah, bl) >>> 0);
  const carry = Math.floor(mid / TWO32);
  const t = (Math.imul(ah, bh) >>> 0) + (mulhu32(al, bh) >>> 0) + (mulhu32(ah, bl) >>> 0) + carry;
  let lo = t >>> 0;
  let hi = (mulhu32(ah, bh) + Math.floor(t / TWO32)) | 0;
  // signed(a) = unsigned(a) - 2^64 when negative, so the high word loses b (and a for a negative b).
  if ((neg & 1) !== 0 && ah < 0) {
    const d = lo - (bl >>> 0);
    hi = (hi - bh - (d < 0 ? 1 : 0)) | 0;
    lo = d >>> 0;
  }
  if ((neg & 2) !== 0 && bh < 0) {
    const d = lo - (al >>> 0);
    hi = (hi - ah - (d < 0 ? 1 : 0)) | 0;
    lo = d >>> 0;
  }
  x[rd] = lo | 0;
  x[rd + 1] = hi;
}

/** mulhu: high 64 bits of unsigned x unsigned. */
export function mulhu(x: Int32Array, rd: number, rs1: number, rs2: number): void {
  mulHigh(x, rd, rs1, rs2, 0);
}

/** mulh: high 64 bits of signed x signed. */
export function mulh(x: Int32Array, rd: number, rs1: number, rs2: number): void {
  mulHigh(x, rd, rs1, rs2, 3);
}

/** mulhsu: high 64 bits of signed rs1 x unsigned rs2. */
export function mulhsu(x: Int32Array, rd: number, rs1: number, rs2: number): void {
  mulHigh(x, rd, rs1, rs2, 1);
}

function setPair(x: Int32Array, rd: number, v: number): void {
  x[rd] = v | 0;
  x[rd + 1] = Math.floor(v / TWO32) | 0;
}

/** Results of udiv64, as unsigned 32-bit halves. */
let qLo = 0, qHi = 0, rLo = 0, rHi = 0;

/**
 * Unsigned 64-bit division of ah:al by bh:bl (all uint32 values, divisor nonzero) into qLo/qHi/rLo/rHi,
 * exactly, with doubles only ever holding integers below 2^53.
 */
function udiv64(ah: number, al: number, bh: number, bl: number): void {
  if (bh === 0) {
    // Schoolbook division by a 32-bit divisor, 32 then 16 then 16 bits of dividend at a time.
    const q2 = Math.floor(ah / bl);
    let r = ah - q2 * bl;
    let num = r * 65536 + (al >>> 16);
    const q1 = Math.floor(num / bl);
    r = num - q1 * bl;
    num = r * 65536 + (al & 0xffff);
    const q0 = Math.floor(num / bl);
    qHi = q2;
    qLo = q1 * 65536 + q0;
    rHi = 0;
    rLo = num - q0 * bl;
    return;
  }
  // The quotient is below 2^32, and the double estimate is within 1 of it; starting one lower keeps
  // q*b <= a, so the remainder needs at most two corrections upward.
  let q = Math.floor((ah * TWO32 + al) / (bh * TWO32 + bl)) - 1;
  if (q < 0) q = 0;
  const pl = Math.imul(q, bl) >>> 0;
  const ph = (mulhu32(q, bl) + Math.imul(q, bh)) >>> 0;
  let l = al - pl;
  let h = ah - ph - (l < 0 ? 1 : 0);
  l >>>= 0;
  while (h > bh || (h === bh && l >= bl)) {
    const nl = l - bl;
    h = h - bh - (nl < 0 ? 1 : 0);
    l = nl >>> 0;
    q++;
  }
  qHi = 0;
  qLo = q;
  rHi = h;
  rLo = l;
}

/** Writes the unsigned halves hi:lo, negated (two's complement) when `neg`, to x[rd]. */
function setNegated(x: Int32Array, rd: number, hi: number, lo: number, neg: boolean): void {
  if (neg) {
    x[rd] = -lo | 0;
    x[rd + 1] = (~hi + (lo === 0 ? 1 : 0)) | 0;
  } else {
    x[rd] = lo | 0;
    x[rd + 1] = hi | 0;
  }
}

/** The pair is a signed value of magnitude below 2^53, so doubles divide it exactly. */
const fitsSigned = (hi: number): boolean => hi >= -0x200000 && hi < 0x200000;

/**
 * div/rem (signed, `rem` selects the remainder): RISC-V results for division by zero (quotient -1,
 * remainder = dividend) and overflow (-2^63 / -1 = -2^63, remainder 0) instead of a trap.
 */
export function divSigned(x: Int32Array, rd: number, rs1: number, rs2: number, rem: boolean): void {
  const al = x[rs1], ah = x[rs1 + 1], bh = x[rs2 + 1], bl = x[rs2];
  if (bl === 0 && bh === 0) {
    if (rem) { x[rd] = al; x[rd + 1] = ah; } else { x[rd] = -1; x[rd + 1] = -1; }
    return;
  }
  if (fitsSigned(ah) && fitsSigned(bh)) {
    const a = ah * TWO32 + (al >>> 0), b = bh * TWO32 + (bl >>> 0);
    setPair(x, rd, rem ? a % b : Math.trunc(a / b));
    return;
  }
  // Magnitudes as unsigned halves (-2^63 stays 2^63), then signs: quotient by both, remainder by the dividend.
  const na = ah < 0, nb = bh < 0;
  const mal = na ? -al >>> 0 : al >>> 0, mah = na ? (~ah + (al === 0 ? 1 : 0)) >>> 0 : ah >>> 0;
  const mbl = nb ? -bl >>> 0 : bl >>> 0, mbh = nb ? (~bh + (bl === 0 ? 1 : 0)) >>> 0 : bh >>> 0;
  udiv64(mah, mal, mbh, mbl);
  if (rem) setNegated(x, rd, rHi, rLo, na);
  else setNegated(x, rd, qHi, qLo, na !== nb);
}

/** divu/remu: division by zero gives all ones (quotient) or the dividend (remainder). */
export function divUnsigned(x: Int32Array, rd: number, rs1: number, rs2: number, rem: boolean): void {
  const ah = x[rs1 + 1], bh = x[rs2 + 1], bl = x[rs2];
  if (bl === 0 && bh === 0) {
    if (rem) { x[rd] = x[rs1]; x[rd + 1] = ah; } else { x[rd] = -1; x[rd + 1] = -1; }
    return;
  }
  if (ah >>> 0 < 0x200000 && bh >>> 0 < 0x200000) {
    const a = (ah >>> 0) * TWO32 + (x[rs1] >>> 0), b = (bh >>> 0) * TWO32 + (bl >>> 0);
    setPair(x, rd, rem ? a % b : Math.floor(a / b));
    return;
  }
  udiv64(ah >>> 0, x[rs1] >>> 0, bh >>> 0, bl >>> 0);
  x[rd] = rem ? rLo | 0 : qLo | 0;
  x[rd + 1] = rem ? rHi | 0 : qHi | 0;
}

/** divw/remw: 32-bit signed, result sign-extended. */
export function divw(x: Int32Array, rd: number, rs1: number, rs2: number, rem: boolean): void {
  const a = x[rs1], b = x[rs2];
  let v: number;
  if (b === 0) v = rem ? a : -1;
  else v = rem ? (a % b) | 0 : (a / b) | 0;
  x[rd] = v;
  x[rd + 1] = v >> 31;
}

/** divuw/remuw: 32-bit unsigned, result sign-extended. */
export function divuw(x: Int32Array, rd: number, rs1: number, rs2: number, rem: boolean): void {
  const a = x[rs1] >>> 0, b = x[rs2] >>> 0;
  let v: number;
  if (b === 0) v = rem ? a | 0 : -1;
  else v = rem ? (a % b) | 0 : (a / b) | 0;
  x[rd] = v;
  x[rd + 1] = v >> 31;
}
