// Shared helpers for the FPU tests: instruction encoders, register access by bits, a seeded PRNG and operand pools.
import { CpuState } from '../../lib/arch/riscv64/state';
import { execFp } from '../../lib/arch/riscv64/fpu';

/** R-type OP-FP word (opcode 0x53). */
export function encodeOpFp(f7: number, rs2: number, rs1: number, f3: number, rd: number): number {
  return ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | 0x53) >>> 0;
}

/** R4-type fused multiply-add word; opcode is 0x43/0x47/0x4b/0x4f, fmt 0 (S) or 1 (D). */
export function encodeFma(opcode: number, fmt: number, rs3: number, rs2: number, rs1: number, rm: number, rd: number): number {
  return ((rs3 << 27) | (fmt << 25) | (rs2 << 20) | (rs1 << 15) | (rm << 12) | (rd << 7) | opcode) >>> 0;
}

export function setF(s: CpuState, r: number, bits: bigint): void {
  const v = BigInt.asUintN(64, bits);
  s.fi[2 * r] = Number(v & 0xffffffffn) | 0;
  s.fi[2 * r + 1] = Number(v >> 32n) | 0;
}

export function getF(s: CpuState, r: number): bigint {
  return (BigInt(s.fi[2 * r + 1] >>> 0) << 32n) | BigInt(s.fi[2 * r] >>> 0);
}

export function setX(s: CpuState, r: number, v: bigint): void {
  const u = BigInt.asUintN(64, v);
  s.x[2 * r] = Number(u & 0xffffffffn) | 0;
  s.x[2 * r + 1] = Number(u >> 32n) | 0;
}

export function getX(s: CpuState, r: number): bigint {
  return (BigInt(s.x[2 * r + 1] >>> 0) << 32n) | BigInt(s.x[2 * r] >>> 0);
}

/** A NaN-boxed single from its 32 bits. */
export function boxS(w: number): bigint {
  return 0xffffffff00000000n | BigInt(w >>> 0);
}

/** Bits of a double. */
export function bitsD(v: number): bigint {
  const b = new DataView(new ArrayBuffer(8));
  b.setFloat64(0, v, true);
  return b.getBigUint64(0, true);
}

/** Bits of a single (v rounded to binary32), NaN-boxed. */
export function bitsS(v: number): bigint {
  const b = new DataView(new ArrayBuffer(4));
  b.setFloat32(0, v, true);
  return boxS(b.getUint32(0, true));
}

/** The architectural state a test case starts from and the state after one instruction. */
export interface FpRun {
  ok: boolean;
  s: CpuState;
}

/** Run one instruction on a fresh state with the given f/x registers and fcsr. */
export function runFp(insn: number, f: Record<number, bigint>, fcsr = 0, x: Record<number, bigint> = {}): FpRun {
  const s = new CpuState();
  for (const [r, v] of Object.entries(f)) setF(s, Number(r), v);
  for (const [r, v] of Object.entries(x)) setX(s, Number(r), v);
  s.fflags = fcsr & 0x1f;
  s.frm = (fcsr >>> 5) & 7;
  const ok = execFp(s, insn);
  return { ok, s };
}

/** xorshift128+ seeded generator: deterministic per seed, 32-bit outputs. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number) {
    this.a = seed | 0 || 1;
    this.b = 0x9e3779b9;
    this.c = 0x243f6a88;
    this.d = 0xb7e15162;
    for (let i = 0; i < 16; i++) this.next();
  }
  next(): number {
    const t = this.a ^ (this.a << 11);
    this.a = this.b;
    this.b = this.c;
    this.c = this.d;
    this.d = (this.d ^ (this.d >>> 19) ^ t ^ (t >>> 8)) | 0;
    return this.d >>> 0;
  }
  below(n: number): number {
    return this.next() % n;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.below(xs.length)];
  }
  big64(): bigint {
    return (BigInt(this.next()) << 32n) | BigInt(this.next());
  }
}

/** Interesting binary64 bit patterns: zeros, infinities, NaNs, subnormals, extremes, near-integer limits. */
export const EDGE_D: readonly bigint[] = [
  0n, 0x8000000000000000n, 0x7ff0000000000000n, 0xfff0000000000000n,
  0x7ff8000000000000n, 0x7ff8000000000123n, 0xfff8000000000000n, 0x7ff0000000000001n, 0x7ff4000000000000n, 0xfff0000000000005n,
  0x0000000000000001n, 0x8000000000000001n, 0x000fffffffffffffn, 0x800fffffffffffffn, 0x0008000000000000n,
  0x0010000000000000n, 0x8010000000000000n, 0x7fefffffffffffffn, 0xffefffffffffffffn, 0x0010000000000001n,
  bitsD(1), bitsD(-1), bitsD(0.5), bitsD(-0.5), bitsD(1.5), bitsD(2.5), bitsD(-2.5), bitsD(3), bitsD(0.1),
  bitsD(2 ** 31), bitsD(2 ** 31 - 1), bitsD(2 ** 31 - 0.5), bitsD(-(2 ** 31)), bitsD(-(2 ** 31) - 0.5), bitsD(-(2 ** 31) - 1),
  bitsD(2 ** 32), bitsD(2 ** 32 - 0.5), bitsD(2 ** 32 - 1), bitsD(2 ** 63), bitsD(-(2 ** 63)), bitsD(2 ** 64),
  bitsD(2 ** 63 - 1024), bitsD(2 ** 64 - 2048), bitsD(2 ** 53), bitsD(2 ** 53 + 2), bitsD(2 ** 52 + 0.5), bitsD(-0.0001),
  bitsD(1 + 2 ** -52), bitsD(1 - 2 ** -53), bitsD(1 + 2 ** -24), bitsD(1 + 2 ** -23 + 2 ** -24), bitsD(3.4028235677973366e38),
  bitsD(3.4028234663852886e38), bitsD(1.1754943508222875e-38), bitsD(1.1754942807573643e-38), bitsD(1.401298464324817e-45),
  bitsD(7.006492321624085e-46), bitsD(2 ** -1000), bitsD(2 ** 1000), bitsD(Math.PI), bitsD(-Math.E),
];

/** Interesting binary32 bit patterns (not boxed). */
export const EDGE_S: readonly number[] = [
  0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7fc00123, 0xffc00000, 0x7f800001, 0x7fa00000, 0xff800005,
  0x00000001, 0x80000001, 0x007fffff, 0x807fffff, 0x00400000, 0x00800000, 0x80800000, 0x7f7fffff, 0xff7fffff, 0x00800001,
  0x3f800000, 0xbf800000, 0x3f000000, 0xbf000000, 0x3fc00000, 0x40200000, 0xc0200000, 0x40400000, 0x3dcccccd,
  0x4f000000, 0x4effffff, 0xcf000000, 0xcf000001, 0x4f800000, 0x4f7fffff, 0x5f000000, 0xdf000000, 0x5f800000,
  0x5effffff, 0x5f7fffff, 0x4b000000, 0x4b000001, 0x4b800001, 0x3f800001, 0x3f7fffff, 0x34000000, 0x33800000, 0xb3800000,
  0x40490fdb, 0xc02df854,
];
