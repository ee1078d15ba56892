// The copy-on-write page table: snapshots and forks keep exactly what they saw, and every page comes back.
import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import { Mm } from '../../lib/emukernel/mm/mm';
import { adviseRegion, remapRegion, unmapRegion } from '../../lib/emukernel/mm/ops';
import type { PageTableSnapshot } from '../../lib/emukernel/mm/page-table';
import { LEAF_PAGES } from '../../lib/emukernel/mm/page-table';
import { PagePool } from '../../lib/emukernel/mm/page';
import { P, mapAnon } from './helpers';

const MADV_DONTNEED = 4;
const MREMAP_MAYMOVE = 1;
/** Three leaves and a bit: operations land in whole leaves, partial ones and across leaf edges. */
const PAGES = 3 * LEAF_PAGES + 17;

/** What a table should hold: page index -> the byte at offset 0 of that page (absent: undefined). */
type Model = Map<number, number>;

type Op =
  | { op: 'write'; who: number; page: number; value: number }
  | { op: 'drop'; who: number; page: number; count: number }
  | { op: 'fork'; who: number }
  | { op: 'snapshot'; who: number }
  | { op: 'release'; which: number }
  | { op: 'exit'; who: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ op: fc.constant('write' as const), who: fc.nat(3), page: fc.nat(PAGES - 1), value: fc.integer({ min: 1, max: 255 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('drop' as const), who: fc.nat(3), page: fc.nat(PAGES - 1), count: fc.integer({ min: 1, max: LEAF_PAGES + 3 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('fork' as const), who: fc.nat(3) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('snapshot' as const), who: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('release' as const), which: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('exit' as const), who: fc.nat(3) }) },
);

/** A model as [page, byte] pairs in page order (Map equality in ava also compares insertion order). */
const sorted = (m: Model): [number, number][] => [...m].sort((a, b) => a[0] - b[0]);

/** The present pages of `s` over the mapping at `base`, as a model. */
function modelOf(s: { collect: PageTableSnapshot['collect'] }, base: number): Model {
  const { addrs, views } = s.collect(base / P, base / P + PAGES, P);
  const m: Model = new Map();
  addrs.forEach((a, i) => m.set((a - base) / P, views[i][0]));
  return m;
}

/** A write or a drop, done to `m.mm` and to its model. */
function applyChange(t: ExecutionContext, o: Extract<Op, { op: 'write' | 'drop' }>, m: { mm: Mm; model: Model }, base: number): void {
  if (o.op === 'write') {
    t.true(m.mm.write(base + o.page * P, Uint8Array.of(o.value)));
    m.model.set(o.page, o.value);
  } else {
    const count = Math.min(o.count, PAGES - o.page);
    t.is(adviseRegion(m.mm, base + o.page * P, count * P, MADV_DONTNEED), 0);
    for (let i = o.page; i < o.page + count; i++) m.model.delete(i);
  }
}

test('random writes, drops, forks and snapshots: every table and snapshot shows what it should, and no page leaks', (t) => {
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 1, maxLength: 60 }), (ops) => {
      const pool = new PagePool();
      const first = new Mm(pool);
      const base = mapAnon(first, PAGES * P);
      const mms: { mm: Mm; model: Model }[] = [{ mm: first, model: new Map() }];
      const snaps: { snap: PageTableSnapshot; model: Model }[] = [];
      for (const o of ops) {
        const live = mms.filter((x) => x.mm.users > 0);
        if (o.op === 'release') {
          const s = snaps.splice(o.which % Math.max(1, snaps.length), 1)[0];
          s?.snap.release();
          continue;
        }
        if (live.length === 0) break;
        const m = live[o.who % live.length];
        if (o.op === 'write' || o.op === 'drop') {
          applyChange(t, o, m, base);
        } else if (o.op === 'fork') {
          mms.push({ mm: m.mm.fork(), model: new Map(m.model) });
        } else if (o.op === 'snapshot') {
          snaps.push({ snap: m.mm.snapshotPages(), model: new Map(m.model) });
        } else {
          m.mm.release();
        }
        for (const x of mms) if (x.mm.users > 0) t.deepEqual(sorted(modelOf(x.mm.pageLookup, base)), sorted(x.model));
        for (const s of snaps) {
          t.deepEqual(sorted(modelOf(s.snap, base)), sorted(s.model));
          t.is(s.snap.countIn(base / P, base / P + PAGES), s.model.size);
        }
      }
      for (const x of mms) {
        if (x.mm.users > 0) t.is(x.mm.pageLookup.countIn(base / P, base / P + PAGES), x.model.size);
      }
      for (const x of mms) if (x.mm.users > 0) x.mm.release();
      for (const s of snaps) s.snap.release();
      t.is(pool.stats.live, 0, 'every page went back to the pool');
    }),
    { numRuns: 150 },
  );
});

test('a snapshot costs no page copy; the first write after it copies one page and leaves the snapshot as it was', (t) => {
  const pool = new PagePool();
  const mm = new Mm(pool);
  const base = mapAnon(mm, PAGES * P);
  for (let i = 0; i < PAGES; i++) mm.write(base + i * P, Uint8Array.of(i & 0xff));
  const snap = mm.snapshotPages();
  t.is(pool.stats.copies, 0);
  t.is(pool.stats.live, PAGES);
  mm.write(base + 5 * P, Uint8Array.of(0xee));
  t.is(pool.stats.copies, 1, 'one copy-on-write copy');
  t.is(mm.peek(base + 5 * P, 1)?.[0], 0xee);
  t.is(snap.get(base / P + 5)?.bytes[0], 5, 'the snapshot keeps the old byte');
  t.is(snap.get(base / P + 6), mm.pageLookup.get(base / P + 6), 'an unwritten page is the same page on both sides');
  snap.release();
  mm.write(base + 6 * P, Uint8Array.of(0xdd));
  t.is(pool.stats.copies, 1, 'once the snapshot is gone its leaf was copied, its pages are ours alone: no copy');
  mm.release();
  t.is(pool.stats.live, 0);
});

test('mremap and munmap of a range that a snapshot shares leave the snapshot whole', (t) => {
  const pool = new PagePool();
  const mm = new Mm(pool);
  const base = mapAnon(mm, PAGES * P);
  for (let i = 0; i < PAGES; i++) mm.write(base + i * P, Uint8Array.of((i * 7) & 0xff || 1));
  const before = modelOf(mm.pageLookup, base);
  const snap = mm.snapshotPages();
  t.is(unmapRegion(mm, base + LEAF_PAGES * P, LEAF_PAGES * P), 0);
  const moved = remapRegion(mm, base, 8 * P, 8 * P, MREMAP_MAYMOVE, 0);
  t.true(moved > 0);
  t.deepEqual(sorted(modelOf(snap, base)), sorted(before));
  mm.release();
  t.is(modelOf(snap, base).size, PAGES, 'the snapshot holds its pages after the mm is gone');
  snap.release();
  t.is(pool.stats.live, 0);
});

test('write marks: after a snapshot, a page the table calls unwritten still holds what the snapshot saw, whatever was released', (t) => {
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 1, maxLength: 60 }), (ops) => {
      const pool = new PagePool();
      const first = new Mm(pool);
      const base = mapAnon(first, PAGES * P);
      // Each mm's latest snapshot: its epoch and the model it saw (the snapshot itself is let go at once).
      const mms: { mm: Mm; model: Model; last: { epoch: number; model: Model } | null }[] = [{ mm: first, model: new Map(), last: null }];
      for (const o of ops) {
        const live = mms.filter((x) => x.mm.users > 0);
        if (live.length === 0) break;
        const m = live[('who' in o ? o.who : o.which) % live.length];
        if (o.op === 'write' || o.op === 'drop') {
          applyChange(t, o, m, base);
        } else if (o.op === 'fork') {
          mms.push({ mm: m.mm.fork(), model: new Map(m.model), last: null });
        } else if (o.op === 'snapshot' || o.op === 'release') {
          const snap = m.mm.snapshotPages();
          m.last = { epoch: snap.epoch, model: new Map(m.model) };
          snap.release();
        } else {
          m.mm.release();
        }
        for (const x of mms) {
          if (x.mm.users === 0) continue;
          const runs = x.last === null ? null : x.mm.pageLookup.writtenRuns(x.last.epoch, base / P, base / P + PAGES);
          if (x.last === null || runs === null) {
            t.is(runs, null, 'no marks without a snapshot of this very table');
            continue;
          }
          let n = 0;
          for (const r of runs) {
            n += r.count;
            if (!r.same) continue;
            const { addrs, views } = x.mm.pageLookup.collect(r.from, r.to, P);
            addrs.forEach((a, i) => t.is(x.last?.model.get((a - base) / P), views[i][0], 'an unwritten page is as the snapshot saw it'));
          }
          t.is(n, x.model.size, 'the runs cover every present page');
        }
      }
      for (const x of mms) if (x.mm.users > 0) x.mm.release();
      t.is(pool.stats.live, 0, 'every page went back to the pool');
    }),
    { numRuns: 150 },
  );
});
