// Seeded pseudo-random values for differential CPU tests; the seed comes from CRFS_SEED or the clock and is always logged.

export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0 || 1;
  }

  /** Uniform 32-bit unsigned (xorshift32). */
  next32(): number {
    let v = this.state;
    v ^= v << 13;
    v ^= v >>> 17;
    v ^= v << 5;
    this.state = v >>> 0;
    return this.state;
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return this.next32() % n;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)];
  }

  /** A 64-bit value biased toward the edges where carries, signs and widths go wrong. */
  value64(): bigint {
    const r = this.below(10);
    const u32 = (): bigint => BigInt(this.next32());
    const full = (u32() << 32n) | u32();
    switch (r) {
      case 0: return this.pick([0n, 1n, 2n, 0xffffffffffffffffn, 0x7fffffffffffffffn, 0x8000000000000000n]);
      case 1: return this.pick([0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0xffffffff80000000n, 0xffffffff7fffffffn]);
      case 2: return BigInt.asUintN(64, BigInt(this.below(64)) - 32n);
      case 3: return u32();
      case 4: return BigInt.asUintN(64, BigInt.asIntN(32, u32()));
      case 5: return 1n << BigInt(this.below(64));
      case 6: return BigInt.asUintN(64, -(1n << BigInt(this.below(64))));
      default: return full;
    }
  }
}

/** The seed for this run: CRFS_SEED if set, otherwise derived from the clock. */
export function chooseSeed(): number {
  const env = process.env.CRFS_SEED;
  return env !== undefined && env !== '' ? Number(env) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
}
