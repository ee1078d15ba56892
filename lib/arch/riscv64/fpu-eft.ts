// Error-free transformations on binary64 (TwoSum, Dekker's product) and round-to-odd, for exact flags without BigInt.

const SPLIT = 134217729; // 2^27 + 1, Veltkamp's splitter for binary64

/** Exact error a*b - p of p = fl(a*b) (Dekker); valid when |a|, |b|, |p| < 2^995 and |p| >= 2^-969. */
export function productError(a: number, b: number, p: number): number {
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

/** Exact error a+b - sum of sum = fl(a+b) (Knuth's TwoSum); valid whenever no intermediate overflows (NaN if one did). */
export function sumError(a: number, b: number, sum: number): number {
  const bb = sum - a;
  return (a - (sum - bb)) + (b - bb);
}

const scratch64 = new Float64Array(1);
const scratch32 = new Int32Array(scratch64.buffer);

/**
 * Round-to-odd correction: given v = fl(x) and err = x - v != 0 (v finite, nonzero), returns x rounded to odd at
 * binary64 precision (v itself when v is odd, otherwise v's neighbour on err's side).
 */
export function roundToOdd(v: number, err: number): number {
  scratch64[0] = v;
  const lo = scratch32[0];
  if ((lo & 1) !== 0) return v;
  if ((err > 0) === (v > 0)) {
    scratch32[0] = lo + 1;
  } else if (lo === 0) {
    scratch32[0] = -1;
    scratch32[1] -= 1;
  } else {
    scratch32[0] = lo - 1;
  }
  return scratch64[0];
}
