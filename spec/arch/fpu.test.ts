// Hand-checked IEEE 754 / RISC-V F and D vectors run through execFp directly.
import test from 'ava';
import { bitsD, boxS, encodeFma, encodeOpFp, getF, getX, runFp } from './fpu-cases';

const NX = 1, UF = 2, OF = 4, DZ = 8, NV = 16;
const CNAN_D = 0x7ff8000000000000n;
const CNAN_S = 0xffffffff7fc00000n;
const RNE = 0, RTZ = 1, RDN = 2, RUP = 3, RMM = 4, DYN = 7;

// Named instruction words with rd = f1/x1, rs1 = f2/x2, rs2 = f3.
const fadd = (fmt: number, rm = RNE) => encodeOpFp(0x00 | fmt, 3, 2, rm, 1);
const fsub = (fmt: number, rm = RNE) => encodeOpFp(0x04 | fmt, 3, 2, rm, 1);
const fmul = (fmt: number, rm = RNE) => encodeOpFp(0x08 | fmt, 3, 2, rm, 1);
const fdiv = (fmt: number, rm = RNE) => encodeOpFp(0x0c | fmt, 3, 2, rm, 1);
const fsqrt = (fmt: number, rm = RNE) => encodeOpFp(0x2c | fmt, 0, 2, rm, 1);
const fcvtToInt = (fmt: number, kind: number, rm: number) => encodeOpFp(0x60 | fmt, kind, 2, rm, 1);
const fcvtFromInt = (fmt: number, kind: number, rm: number) => encodeOpFp(0x68 | fmt, kind, 2, rm, 1);
const S = 0, D = 1;

function result(insn: number, f: Record<number, bigint>, fcsr = 0, x: Record<number, bigint> = {}): [bigint, number] {
  const { ok, s } = runFp(insn, f, fcsr, x);
  if (!ok) throw new Error('unexpectedly illegal');
  return [getF(s, 1), s.fflags];
}

function intResult(insn: number, f: Record<number, bigint>, fcsr = 0): [bigint, number] {
  const { ok, s } = runFp(insn, f, fcsr);
  if (!ok) throw new Error('unexpectedly illegal');
  return [getX(s, 1), s.fflags];
}

test('fadd.d: exact and inexact sums', (t) => {
  t.deepEqual(result(fadd(D), { 2: bitsD(1), 3: bitsD(2) }), [bitsD(3), 0]);
  t.deepEqual(result(fadd(D), { 2: bitsD(0.1), 3: bitsD(0.2) }), [0x3fd3333333333334n, NX]);
  // x + (-x) is +0 in round-to-nearest and -0 in round-down.
  t.deepEqual(result(fadd(D), { 2: bitsD(5), 3: bitsD(-5) }), [0n, 0]);
  t.deepEqual(result(fadd(D, RDN), { 2: bitsD(5), 3: bitsD(-5) }), [0x8000000000000000n, 0]);
  t.deepEqual(result(fadd(D), { 2: 0x7ff0000000000000n, 3: 0xfff0000000000000n }), [CNAN_D, NV]);
});

test('fadd.d directed rounding of 1 + 2^-60', (t) => {
  const f = { 2: bitsD(1), 3: bitsD(2 ** -60) };
  t.deepEqual(result(fadd(D, RNE), f), [bitsD(1), NX]);
  t.deepEqual(result(fadd(D, RTZ), f), [bitsD(1), NX]);
  t.deepEqual(result(fadd(D, RDN), f), [bitsD(1), NX]);
  t.deepEqual(result(fadd(D, RUP), f), [bitsD(1 + 2 ** -52), NX]);
  t.deepEqual(result(fadd(D, RMM), f), [bitsD(1), NX]);
  // dynamic rounding reads frm (fcsr bits 7:5)
  t.deepEqual(result(fadd(D, DYN), f, RUP << 5), [bitsD(1 + 2 ** -52), NX]);
  // An exact tie: 1 + 2^-53 goes to even (1) under RNE and away (1 + 2^-52) under RMM.
  const tie = { 2: bitsD(1), 3: bitsD(2 ** -53) };
  t.deepEqual(result(fadd(D, RNE), tie), [bitsD(1), NX]);
  t.deepEqual(result(fadd(D, RMM), tie), [bitsD(1 + 2 ** -52), NX]);
});

test('fsub.s and NaN-boxing of single operands and results', (t) => {
  t.deepEqual(result(fsub(S), { 2: boxS(0x40400000), 3: boxS(0x3f800000) }), [boxS(0x40000000), 0]); // 3 - 1 = 2
  // An operand whose upper half is not all ones reads as the canonical (quiet) NaN: no NV.
  t.deepEqual(result(fadd(S), { 2: 0x000000003f800000n, 3: boxS(0x3f800000) }), [CNAN_S, 0]);
  // A boxed signaling NaN raises NV and yields the canonical NaN, never the payload.
  t.deepEqual(result(fadd(S), { 2: boxS(0x7f800001), 3: boxS(0x3f800000) }), [CNAN_S, NV]);
  t.deepEqual(result(fadd(S), { 2: boxS(0x7fc00123), 3: boxS(0x3f800000) }), [CNAN_S, 0]);
});

test('fmul: overflow, underflow after rounding, subnormals', (t) => {
  t.deepEqual(result(fmul(D), { 2: bitsD(2 ** -1022), 3: bitsD(0.5) }), [0x0008000000000000n, 0]); // exact subnormal
  t.deepEqual(result(fmul(D), { 2: 0x0000000000000001n, 3: bitsD(0.5) }), [0n, UF | NX]); // tie to even: 0
  t.deepEqual(result(fmul(D, RUP), { 2: 0x0000000000000001n, 3: bitsD(0.5) }), [1n, UF | NX]);
  // Largest subnormal * (1 + 2^-52) = 2^-1022 - 2^-1126 rounds to the smallest normal: tiny only before rounding.
  t.deepEqual(result(fmul(D), { 2: 0x000fffffffffffffn, 3: 0x3ff0000000000001n }), [0x0010000000000000n, NX]);
  t.deepEqual(result(fmul(D), { 2: bitsD(1e300), 3: bitsD(1e300) }), [0x7ff0000000000000n, OF | NX]);
  t.deepEqual(result(fmul(D, RTZ), { 2: bitsD(1e300), 3: bitsD(-1e300) }), [0xffefffffffffffffn, OF | NX]);
  t.deepEqual(result(fmul(D, RUP), { 2: bitsD(1e300), 3: bitsD(-1e300) }), [0xffefffffffffffffn, OF | NX]);
  t.deepEqual(result(fmul(D, RDN), { 2: bitsD(1e300), 3: bitsD(-1e300) }), [0xfff0000000000000n, OF | NX]);
  t.deepEqual(result(fmul(D), { 2: 0n, 3: 0xfff0000000000000n }), [CNAN_D, NV]);
  t.deepEqual(result(fmul(S), { 2: boxS(0x7f7fffff), 3: boxS(0x40000000) }), [boxS(0x7f800000), OF | NX]);
  t.deepEqual(result(fmul(S), { 2: boxS(0x00800000), 3: boxS(0x3f000000) }), [boxS(0x00400000), 0]);
  t.deepEqual(result(fmul(S), { 2: boxS(0x00000003), 3: boxS(0x3f000000) }), [boxS(0x00000002), UF | NX]); // 1.5 -> 2
});

test('fdiv: division by zero and invalid', (t) => {
  t.deepEqual(result(fdiv(D), { 2: bitsD(1), 3: 0n }), [0x7ff0000000000000n, DZ]);
  t.deepEqual(result(fdiv(D), { 2: bitsD(-1), 3: 0n }), [0xfff0000000000000n, DZ]);
  t.deepEqual(result(fdiv(D), { 2: 0n, 3: 0n }), [CNAN_D, NV]);
  t.deepEqual(result(fdiv(D), { 2: 0x7ff0000000000000n, 3: 0n }), [0x7ff0000000000000n, 0]); // inf / 0: no DZ
  t.deepEqual(result(fdiv(D), { 2: bitsD(1), 3: bitsD(3) }), [0x3fd5555555555555n, NX]);
  t.deepEqual(result(fdiv(D, RUP), { 2: bitsD(1), 3: bitsD(3) }), [0x3fd5555555555556n, NX]);
  // (2^-960 - 2^-1013) / 2^62 = 2^-1022 - 2^-1075: a tie that rounds up to the smallest normal, but is exact (so tiny)
  // at 53 bits with an unbounded exponent: UF after rounding.
  t.deepEqual(result(fdiv(D), { 2: 0x83efffffffffffffn, 3: 0xc3d0000000000000n }), [0x0010000000000000n, UF | NX]);
  t.deepEqual(result(fdiv(S), { 2: boxS(0x3f800000), 3: boxS(0) }), [boxS(0x7f800000), DZ]);
  t.deepEqual(result(fdiv(S), { 2: boxS(0x3f800000), 3: boxS(0x40400000) }), [boxS(0x3eaaaaab), NX]);
  t.deepEqual(result(fdiv(S, RTZ), { 2: boxS(0x3f800000), 3: boxS(0x40400000) }), [boxS(0x3eaaaaaa), NX]);
});

test('fsqrt: signed zero, negative, exact and inexact', (t) => {
  t.deepEqual(result(fsqrt(D), { 2: 0x8000000000000000n }), [0x8000000000000000n, 0]);
  t.deepEqual(result(fsqrt(D), { 2: bitsD(-1) }), [CNAN_D, NV]);
  t.deepEqual(result(fsqrt(D), { 2: bitsD(4) }), [bitsD(2), 0]);
  t.deepEqual(result(fsqrt(D), { 2: bitsD(2) }), [0x3ff6a09e667f3bcdn, NX]);
  t.deepEqual(result(fsqrt(D, RUP), { 2: bitsD(2) }), [0x3ff6a09e667f3bcdn, NX]); // sqrt 2 = 1.6a09e667f3bcc9..
  t.deepEqual(result(fsqrt(D, RDN), { 2: bitsD(2) }), [0x3ff6a09e667f3bccn, NX]);
  t.deepEqual(result(fsqrt(S), { 2: boxS(0x40000000) }), [boxS(0x3fb504f3), NX]);
  t.deepEqual(result(fsqrt(S), { 2: boxS(0xff800000) }), [CNAN_S, NV]);
});

test('fused multiply-add rounds once', (t) => {
  // (1 + 2^-52)(1 - 2^-52) - 1 = -2^-104 exactly; an unfused multiply would give 0.
  const fmsubD = encodeFma(0x47, 1, 4, 3, 2, RNE, 1);
  t.deepEqual(result(fmsubD, { 2: bitsD(1 + 2 ** -52), 3: bitsD(1 - 2 ** -52), 4: bitsD(1) }), [bitsD(-(2 ** -104)), 0]);
  const fmsubS = encodeFma(0x47, 0, 4, 3, 2, RNE, 1);
  t.deepEqual(result(fmsubS, { 2: boxS(0x3f800001), 3: boxS(0x3f7ffffe), 4: boxS(0x3f800000) }), [boxS(0xa8800000), 0]);
  // fnmadd: -(a*b) - c; with a*b = +0 and c = +0 the exact sum is -0 + -0 = -0.
  const fnmaddD = encodeFma(0x4f, 1, 4, 3, 2, RNE, 1);
  t.deepEqual(result(fnmaddD, { 2: 0n, 3: bitsD(1), 4: 0n }), [0x8000000000000000n, 0]);
  t.deepEqual(result(fnmaddD, { 2: bitsD(2), 3: bitsD(3), 4: bitsD(1) }), [bitsD(-7), 0]);
  // inf * 0 + qNaN still raises NV.
  const fmaddD = encodeFma(0x43, 1, 4, 3, 2, RNE, 1);
  t.deepEqual(result(fmaddD, { 2: 0x7ff0000000000000n, 3: 0n, 4: CNAN_D }), [CNAN_D, NV]);
  t.deepEqual(result(fmaddD, { 2: 0x7ff0000000000000n, 3: bitsD(1), 4: 0xfff0000000000000n }), [CNAN_D, NV]);
  // 0.1 * 10 - 1 fused is 2^-54 (the representation error of 0.1 times 10).
  t.deepEqual(result(fmsubD, { 2: bitsD(0.1), 3: bitsD(10), 4: bitsD(1) }), [bitsD(2 ** -54), 0]);
});

test('fmin/fmax follow minimumNumber/maximumNumber', (t) => {
  const fmin = encodeOpFp(0x15, 3, 2, 0, 1);
  const fmax = encodeOpFp(0x15, 3, 2, 1, 1);
  t.deepEqual(result(fmin, { 2: 0x7ff8000000000123n, 3: bitsD(1) }), [bitsD(1), 0]);
  t.deepEqual(result(fmin, { 2: 0x7ff0000000000001n, 3: bitsD(1) }), [bitsD(1), NV]);
  t.deepEqual(result(fmin, { 2: 0n, 3: 0x8000000000000000n }), [0x8000000000000000n, 0]);
  t.deepEqual(result(fmax, { 2: 0x8000000000000000n, 3: 0n }), [0n, 0]);
  t.deepEqual(result(fmax, { 2: 0x7ff8000000000123n, 3: 0xfff8000000000000n }), [CNAN_D, 0]);
  t.deepEqual(result(fmax, { 2: bitsD(-3), 3: bitsD(2) }), [bitsD(2), 0]);
  const fminS = encodeOpFp(0x14, 3, 2, 0, 1);
  t.deepEqual(result(fminS, { 2: 0x3f800000n /* unboxed */, 3: boxS(0xc0000000) }), [boxS(0xc0000000), 0]);
});

test('compares: feq is quiet, flt/fle signal on any NaN', (t) => {
  const feq = encodeOpFp(0x51, 3, 2, 2, 1);
  const flt = encodeOpFp(0x51, 3, 2, 1, 1);
  const fle = encodeOpFp(0x51, 3, 2, 0, 1);
  t.deepEqual(intResult(feq, { 2: CNAN_D, 3: CNAN_D }), [0n, 0]);
  t.deepEqual(intResult(feq, { 2: 0x7ff0000000000001n, 3: bitsD(1) }), [0n, NV]);
  t.deepEqual(intResult(flt, { 2: CNAN_D, 3: bitsD(1) }), [0n, NV]);
  t.deepEqual(intResult(feq, { 2: 0n, 3: 0x8000000000000000n }), [1n, 0]);
  t.deepEqual(intResult(fle, { 2: 0x8000000000000000n, 3: 0n }), [1n, 0]);
  t.deepEqual(intResult(flt, { 2: 0x8000000000000000n, 3: 0n }), [0n, 0]);
  t.deepEqual(intResult(flt, { 2: bitsD(-1), 3: bitsD(1) }), [1n, 0]);
  const feqS = encodeOpFp(0x50, 3, 2, 2, 1);
  t.deepEqual(intResult(feqS, { 2: 0x3f800000n, 3: 0x3f800000n }), [0n, 0]); // both unboxed: canonical NaNs
});

test('fclass sets exactly one of ten bits', (t) => {
  const cls = encodeOpFp(0x71, 0, 2, 1, 1);
  const want: [bigint, bigint][] = [
    [0xfff0000000000000n, 1n << 0n], [bitsD(-1), 1n << 1n], [0x800fffffffffffffn, 1n << 2n],
    [0x8000000000000000n, 1n << 3n], [0n, 1n << 4n], [1n, 1n << 5n], [bitsD(1), 1n << 6n],
    [0x7ff0000000000000n, 1n << 7n], [0x7ff0000000000001n, 1n << 8n], [CNAN_D, 1n << 9n],
  ];
  for (const [v, m] of want) t.deepEqual(intResult(cls, { 2: v }), [m, 0], `fclass.d ${v.toString(16)}`);
  const clsS = encodeOpFp(0x70, 0, 2, 1, 1);
  t.deepEqual(intResult(clsS, { 2: boxS(0xff800000) }), [1n, 0]);
  t.deepEqual(intResult(clsS, { 2: boxS(0x7fa00000) }), [1n << 8n, 0]);
  t.deepEqual(intResult(clsS, { 2: 0x00000000ff800000n }), [1n << 9n, 0]); // unboxed -> qNaN
});

test('fcvt.w.d under every rounding mode', (t) => {
  const cases: [number, number[]][] = [
    [2.5, [2, 2, 2, 3, 3]], [-2.5, [-2, -2, -3, -2, -3]], [0.5, [0, 0, 0, 1, 1]], [-1.5, [-2, -1, -2, -1, -2]],
  ];
  for (const [v, byRm] of cases) {
    byRm.forEach((want, rm) => {
      t.deepEqual(intResult(fcvtToInt(D, 0, rm), { 2: bitsD(v) }), [BigInt.asUintN(64, BigInt(want)), NX], `${v} rm ${rm}`);
    });
  }
  t.deepEqual(intResult(fcvtToInt(D, 0, RTZ), { 2: bitsD(7) }), [7n, 0]);
});

test('fcvt to integers saturates and signals per the spec table', (t) => {
  const W = 0, WU = 1, L = 2, LU = 3;
  const sx = (v: bigint) => BigInt.asUintN(64, v);
  t.deepEqual(intResult(fcvtToInt(D, W, RTZ), { 2: CNAN_D }), [0x7fffffffn, NV]);
  t.deepEqual(intResult(fcvtToInt(D, W, RTZ), { 2: bitsD(3e9) }), [0x7fffffffn, NV]);
  t.deepEqual(intResult(fcvtToInt(D, W, RTZ), { 2: bitsD(-3e9) }), [sx(-(2n ** 31n)), NV]);
  t.deepEqual(intResult(fcvtToInt(D, W, RTZ), { 2: bitsD(-(2 ** 31) - 0.5) }), [sx(-(2n ** 31n)), NX]);
  t.deepEqual(intResult(fcvtToInt(D, W, RNE), { 2: bitsD(2 ** 31 - 0.5) }), [0x7fffffffn, NV]); // rounds to 2^31
  t.deepEqual(intResult(fcvtToInt(D, WU, RTZ), { 2: bitsD(-1) }), [0n, NV]);
  t.deepEqual(intResult(fcvtToInt(D, WU, RTZ), { 2: bitsD(-0.5) }), [0n, NX]);
  t.deepEqual(intResult(fcvtToInt(D, WU, RTZ), { 2: bitsD(4e9) }), [0xffffffffee6b2800n, 0]); // sign-extended
  t.deepEqual(intResult(fcvtToInt(D, WU, RTZ), { 2: CNAN_D }), [0xffffffffffffffffn, NV]);
  t.deepEqual(intResult(fcvtToInt(D, L, RTZ), { 2: bitsD(2 ** 63) }), [0x7fffffffffffffffn, NV]);
  t.deepEqual(intResult(fcvtToInt(D, L, RTZ), { 2: bitsD(-(2 ** 63)) }), [0x8000000000000000n, 0]);
  t.deepEqual(intResult(fcvtToInt(D, L, RTZ), { 2: 0xfff0000000000000n }), [0x8000000000000000n, NV]);
  t.deepEqual(intResult(fcvtToInt(D, LU, RTZ), { 2: bitsD(2 ** 64 - 2048) }), [0xfffffffffffff800n, 0]);
  t.deepEqual(intResult(fcvtToInt(D, LU, RTZ), { 2: 0x7ff0000000000000n }), [0xffffffffffffffffn, NV]);
  t.deepEqual(intResult(fcvtToInt(D, LU, RTZ), { 2: bitsD(-(2 ** 40)) }), [0n, NV]);
  t.deepEqual(intResult(fcvtToInt(S, L, RTZ), { 2: boxS(0xdf000000) }), [0x8000000000000000n, 0]); // -2^63
  t.deepEqual(intResult(fcvtToInt(S, W, RTZ), { 2: 0x3f800000n }), [0x7fffffffn, NV]); // unboxed: NaN
});

test('fcvt from 64-bit integers rounds large values', (t) => {
  const L = 2, LU = 3;
  const two53p1 = 2n ** 53n + 1n;
  t.deepEqual(result(fcvtFromInt(D, L, RNE), {}, 0, { 2: two53p1 }), [bitsD(2 ** 53), NX]);
  t.deepEqual(result(fcvtFromInt(D, L, RUP), {}, 0, { 2: two53p1 }), [bitsD(2 ** 53 + 2), NX]);
  t.deepEqual(result(fcvtFromInt(D, L, RDN), {}, 0, { 2: -two53p1 }), [bitsD(-(2 ** 53) - 2), NX]);
  t.deepEqual(result(fcvtFromInt(D, LU, RNE), {}, 0, { 2: 0xffffffffffffffffn }), [bitsD(2 ** 64), NX]);
  t.deepEqual(result(fcvtFromInt(D, LU, RTZ), {}, 0, { 2: 0xffffffffffffffffn }), [bitsD(2 ** 64 - 2048), NX]);
  t.deepEqual(result(fcvtFromInt(S, 0, RNE), {}, 0, { 2: 16777217n }), [boxS(0x4b800000), NX]); // 2^24 + 1
  t.deepEqual(result(fcvtFromInt(S, 0, RUP), {}, 0, { 2: 16777217n }), [boxS(0x4b800001), NX]);
  t.deepEqual(result(fcvtFromInt(S, 1, RNE), {}, 0, { 2: 0xffffffffn }), [boxS(0x4f800000), NX]);
  t.deepEqual(result(fcvtFromInt(D, 0, RNE), {}, 0, { 2: 0xffffffffffffffffn }), [bitsD(-1), 0]); // w reads low 32
  t.deepEqual(result(fcvtFromInt(S, L, RNE), {}, 0, { 2: 0n }), [boxS(0), 0]);
});

test('fcvt.s.d and fcvt.d.s', (t) => {
  const sd = (rm: number) => encodeOpFp(0x20, 1, 2, rm, 1);
  const ds = encodeOpFp(0x21, 0, 2, RNE, 1);
  t.deepEqual(result(sd(RNE), { 2: bitsD(1 + 2 ** -24) }), [boxS(0x3f800000), NX]);
  t.deepEqual(result(sd(RUP), { 2: bitsD(1 + 2 ** -24) }), [boxS(0x3f800001), NX]);
  t.deepEqual(result(sd(RMM), { 2: bitsD(1 + 2 ** -24) }), [boxS(0x3f800001), NX]);
  t.deepEqual(result(sd(RNE), { 2: bitsD(1e300) }), [boxS(0x7f800000), OF | NX]);
  t.deepEqual(result(sd(RTZ), { 2: bitsD(1e300) }), [boxS(0x7f7fffff), OF | NX]);
  t.deepEqual(result(sd(RNE), { 2: bitsD(1e-300) }), [boxS(0), UF | NX]);
  t.deepEqual(result(sd(RNE), { 2: 0x7ff8000000000123n }), [CNAN_S, 0]);
  t.deepEqual(result(sd(RNE), { 2: 0x7ff0000000000123n }), [CNAN_S, NV]);
  t.deepEqual(result(ds, { 2: boxS(0x00000001) }), [bitsD(2 ** -149), 0]);
  t.deepEqual(result(ds, { 2: boxS(0x7f800001) }), [CNAN_D, NV]);
  t.deepEqual(result(ds, { 2: 0x3f800000n }), [CNAN_D, 0]);
});

test('sign injection and moves operate on raw bits', (t) => {
  const fsgnjnD = encodeOpFp(0x11, 3, 2, 1, 1);
  t.deepEqual(result(fsgnjnD, { 2: 0x7ff0000000000001n, 3: 0n }), [0xfff0000000000001n, 0]);
  const fsgnjxD = encodeOpFp(0x11, 3, 2, 2, 1);
  t.deepEqual(result(fsgnjxD, { 2: bitsD(-2), 3: bitsD(-1) }), [bitsD(2), 0]);
  const fsgnjS = encodeOpFp(0x10, 3, 2, 0, 1);
  t.deepEqual(result(fsgnjS, { 2: 0x3f800000n /* unboxed */, 3: boxS(0x80000000) }), [boxS(0xffc00000), 0]);
  const fmvXW = encodeOpFp(0x70, 0, 2, 0, 1);
  t.deepEqual(intResult(fmvXW, { 2: 0x1234567880000000n }), [0xffffffff80000000n, 0]);
  const fmvWX = encodeOpFp(0x78, 0, 2, 0, 1);
  t.deepEqual(result(fmvWX, {}, 0, { 2: 0x123456789abcdef0n }), [0xffffffff9abcdef0n, 0]);
  const fmvDX = encodeOpFp(0x79, 0, 2, 0, 1);
  t.deepEqual(result(fmvDX, {}, 0, { 2: 0x7ff0000000000001n }), [0x7ff0000000000001n, 0]);
});

test('reserved encodings and rounding modes are illegal and change nothing', (t) => {
  const illegal = (insn: number, fcsr = 0) => {
    const { ok, s } = runFp(insn, { 2: bitsD(1), 3: bitsD(2) }, fcsr);
    return !ok && getF(s, 1) === 0n && s.fflags === (fcsr & 0x1f);
  };
  t.true(illegal(fadd(D, 5)));
  t.true(illegal(fadd(D, 6)));
  t.true(illegal(fadd(D, DYN), 5 << 5));
  t.true(illegal(fadd(D, DYN), 7 << 5));
  t.true(illegal(encodeFma(0x43, 2, 4, 3, 2, RNE, 1))); // fmt = H
  t.true(illegal(encodeOpFp(0x2d, 1, 2, RNE, 1))); // fsqrt.d with rs2 != 0
  t.true(illegal(encodeOpFp(0x11, 3, 2, 3, 1))); // fsgnj funct3 3
  t.true(illegal(encodeOpFp(0x61, 4, 2, RTZ, 1))); // fcvt.?.d rs2 = 4
  t.true(illegal(encodeOpFp(0x21, 0, 2, 5, 1))); // fcvt.d.s with reserved rm
  t.false(illegal(fadd(D, DYN), 4 << 5));
});
