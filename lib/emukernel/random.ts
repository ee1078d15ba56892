// A seeded generator for getrandom(2) and AT_RANDOM: deterministic runs need deterministic "randomness".

const MASK64 = (1n << 64n) - 1n;

/** SplitMix64 (Steele, Lea, Flood 2014): tiny, fast enough, and its whole state is one u64 to checkpoint. */
export class SplitMix64 {
  constructor(public state: bigint) {
    this.state &= MASK64;
  }

  next(): bigint {
    this.state = (this.state + 0x9e3779b97f4a7c15n) & MASK64;
    let z = this.state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    return z ^ (z >> 31n);
  }

  /** `n` pseudo-random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 8) {
      let v = this.next();
      for (let j = i; j < Math.min(n, i + 8); j++) {
        out[j] = Number(v & 0xffn);
        v >>= 8n;
      }
    }
    return out;
  }
}
