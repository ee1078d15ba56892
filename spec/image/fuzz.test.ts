// Mutated images (bit flips, truncations, overwrites, splices from another image) only ever fail with ImageError.
import test from 'ava';
import fc from 'fast-check';
import { ImageError, ImageReader } from '../../lib/crfs/image/codec';
import type { ImageItem } from '../../lib/crfs/image/schema';
import { recordOffsets, resealTail } from './image-bytes';
import { buildSampleImage } from './sample-image';

/** Time budget per property; `make fuzz` raises it with CRFS_FUZZ_MS. */
const BUDGET_MS = Number(process.env.CRFS_FUZZ_MS ?? 5000);

const a = buildSampleImage({ pages: 3 });
const b = buildSampleImage({ seed: 1, pages: 1 });
const aRecs = recordOffsets(a);
const bRecs = recordOffsets(b);

type Mutation =
  | { kind: 'flip'; flips: [number, number][]; reseal: boolean }
  | { kind: 'cut'; at: number }
  | { kind: 'word'; at: number; value: number; reseal: boolean }
  | { kind: 'splice'; from: number; count: number; into: number; replace: boolean; reseal: boolean };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), flips: fc.array(fc.tuple(fc.nat({ max: a.length - 1 }), fc.nat({ max: 7 })), { minLength: 1, maxLength: 8 }), reseal: fc.boolean() }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat({ max: a.length - 1 }) }),
  fc.record({
    kind: fc.constant('word' as const), at: fc.nat({ max: (a.length >> 2) - 1 }).map((n) => n * 4),
    value: fc.constantFrom(0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 8, 4096, 9001, 6, 402), reseal: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('splice' as const), from: fc.nat({ max: bRecs.length - 1 }), count: fc.integer({ min: 1, max: 6 }),
    into: fc.nat({ max: aRecs.length - 1 }), replace: fc.boolean(), reseal: fc.boolean(),
  }),
);

function apply(m: Mutation): Buffer {
  switch (m.kind) {
    case 'flip': {
      const out = Buffer.from(a);
      for (const [at, bit] of m.flips) out[at] ^= 1 << bit;
      return m.reseal ? resealTail(out) : out;
    }
    case 'cut': return a.subarray(0, m.at);
    case 'word': {
      const out = Buffer.from(a);
      out.writeUInt32LE(m.value >>> 0, m.at);
      return m.reseal ? resealTail(out) : out;
    }
    case 'splice': {
      const end = m.from + m.count < bRecs.length ? bRecs[m.from + m.count] : b.length;
      const piece = b.subarray(bRecs[m.from], end);
      const at = aRecs[m.into];
      const rest = m.replace && m.into + 1 < aRecs.length ? aRecs[m.into + 1] : at;
      const out = Buffer.concat([a.subarray(0, at), piece, a.subarray(rest)]);
      return m.reseal && out.length >= 24 ? resealTail(out) : out;
    }
  }
}

/** Bytes the reader materialized for an item: must stay within what the image holds. */
function itemBytes(i: ImageItem): number {
  if (i.kind === 'buffer') return i.data.length;
  if (i.kind === 'pages') return i.pages.reduce((n, p) => n + p.length, 0);
  if (i.kind === 'addresses') return i.addrs.length * 8;
  return i.len;
}

test('mutated images are rejected with ImageError or accepted, never anything else', (t) => {
  let runs = 0, rejected = 0, slowest = 0;
  fc.assert(fc.property(mutation, (m) => {
    const img = apply(m);
    const start = performance.now();
    let bytes = 0;
    try {
      for (const item of ImageReader.fromBuffer(img)) bytes += itemBytes(item);
    } catch (e) {
      if (!(e instanceof ImageError)) throw e;
      if (e.message.includes('\n') || !/^image: record '[^']+' at offset \d+: /.test(e.message)) throw new Error(`bad message: ${e.message}`);
      rejected++;
    }
    slowest = Math.max(slowest, performance.now() - start);
    runs++;
    if (bytes > 2 * img.length) throw new Error(`materialized ${bytes} bytes from a ${img.length}-byte image`);
  }), { numRuns: 10_000_000, interruptAfterTimeLimit: BUDGET_MS, seed: Number(process.env.CRFS_FUZZ_SEED ?? Date.now() % 2 ** 31) });
  t.log(`${runs} mutated images, ${rejected} rejected, slowest ${slowest.toFixed(1)} ms`);
  t.true(runs > 100);
  t.true(rejected > runs / 2);
  // Generous: a hang never ends, while a loaded CI machine can pause one case for a while.
  t.true(slowest < 3000);
});

test('mutated images read through the chunk reader fail only with ImageError', async (t) => {
  let runs = 0;
  await fc.assert(fc.asyncProperty(mutation, fc.integer({ min: 1, max: 5000 }), async (m, chunk) => {
    const img = apply(m);
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < img.length; i += chunk) yield img.subarray(i, i + chunk);
    }
    try {
      for await (const item of ImageReader.fromChunks(chunks())) void item;
    } catch (e) {
      if (!(e instanceof ImageError)) throw e;
    }
    runs++;
  }), { numRuns: 10_000_000, interruptAfterTimeLimit: Math.min(BUDGET_MS, 1500) });
  t.true(runs > 20);
});
