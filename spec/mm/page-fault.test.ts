// The MemoryBus face of Mm: faults for unmapped or forbidden access, lazy zero pages, slab pages, generations.
import test from 'ava';
import { MAP_FIXED_NOREPLACE } from '../../lib/emukernel/mm/ops';
import { protectRegion, unmapRegion } from '../../lib/emukernel/mm/ops';
import { PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE } from '../../lib/emukernel/mm/vma';
import { P, freshMm, mapAnon } from './helpers';

const BASE = 0x100000;

test('unmapped pages fault for read, write and fetch', (t) => {
  const mm = freshMm();
  t.is(mm.readPage(BASE / P), null);
  t.is(mm.writePage(BASE / P), null);
  t.is(mm.execPage(BASE / P), null);
  t.is(mm.readPage(-1), null);
  t.is(mm.readPage(2 ** 40), null);
});

test('each access kind needs its permission; W implies R on riscv, X alone is not readable', (t) => {
  const mm = freshMm();
  mapAnon(mm, P, PROT_READ, BASE);
  mapAnon(mm, P, PROT_WRITE, BASE + P);
  mapAnon(mm, P, PROT_EXEC, BASE + 2 * P);
  mapAnon(mm, P, PROT_NONE, BASE + 3 * P);
  const v = BASE / P;
  t.not(mm.readPage(v), null);
  t.is(mm.writePage(v), null);
  t.is(mm.execPage(v), null);
  t.not(mm.readPage(v + 1), null);
  t.not(mm.writePage(v + 1), null);
  t.is(mm.execPage(v + 1), null);
  t.is(mm.readPage(v + 2), null);
  t.is(mm.writePage(v + 2), null);
  t.not(mm.execPage(v + 2), null);
  t.is(mm.readPage(v + 3), null);
  t.is(mm.writePage(v + 3), null);
  t.is(mm.execPage(v + 3), null);
});

test('pages are created zero-filled on first touch only, and untouched memory costs nothing', (t) => {
  const mm = freshMm();
  const a = mapAnon(mm, 1 << 30); // 1 GiB
  t.true(a > 0);
  t.is(mm.presentCount, 0);
  t.is(mm.pool.stats.live, 0);
  const view = mm.readPage(a / P + 1000) as DataView;
  t.is(view.byteLength, P);
  t.true(new Uint8Array(view.buffer, view.byteOffset, P).every((b) => b === 0));
  t.is(mm.presentCount, 1);
  // The same page comes back, so a write through one view is seen through the other.
  (mm.writePage(a / P + 1000) as DataView).setUint32(8, 0xdeadbeef, true);
  t.is(view.getUint32(8, true), 0xdeadbeef);
  t.is(mm.presentCount, 1);
});

test('pages come from shared slabs and can be handed out without a copy', (t) => {
  const mm = freshMm();
  const a = mapAnon(mm, 4 * P);
  const v0 = mm.writePage(a / P) as DataView;
  const v1 = mm.writePage(a / P + 1) as DataView;
  t.is(v0.buffer, v1.buffer, 'two pages of one slab share an ArrayBuffer');
  t.true(v0.buffer.byteLength >= 256 * P);
  const page = mm.presentPage(a / P);
  if (page === undefined) return t.fail();
  const served = Buffer.from(page.bytes.buffer, page.bytes.byteOffset, P);
  v0.setUint8(5, 77);
  t.is(served[5], 77, 'a Buffer over the page sees later writes: no copy was made');
});

test('munmap and mprotect bump the generation; new mappings need not', (t) => {
  const mm = freshMm();
  const a = mapAnon(mm, 4 * P);
  mm.writePage(a / P);
  let g = mm.generation;
  mapAnon(mm, P);
  t.is(mm.generation, g);
  t.is(protectRegion(mm, a, P, PROT_READ), 0);
  t.true(mm.generation > g, 'mprotect');
  g = mm.generation;
  t.is(unmapRegion(mm, a, P), 0);
  t.true(mm.generation > g, 'munmap');
  t.is(mm.readPage(a / P), null);
});

test('a write to a read-only page faults even though the page is present', (t) => {
  const mm = freshMm();
  const a = mapAnon(mm, P);
  mm.writePage(a / P);
  protectRegion(mm, a, P, PROT_READ);
  t.is(mm.writePage(a / P), null);
  t.not(mm.readPage(a / P), null);
  t.is(mapAnon(mm, P, PROT_READ, a, MAP_FIXED_NOREPLACE), -17, 'EEXIST');
});

test('memory recycled after munmap comes back zeroed and under a new view', (t) => {
  const mm = freshMm();
  const a = mapAnon(mm, P, undefined, BASE);
  const old = mm.writePage(a / P) as DataView;
  old.setUint32(0, 0x12345678, true);
  unmapRegion(mm, a, P);
  mapAnon(mm, P, undefined, BASE);
  const again = mm.readPage(a / P) as DataView;
  t.is(mm.pool.stats.carved, 1, 'the same memory was reused');
  t.is(again.buffer, old.buffer);
  t.is(again.byteOffset, old.byteOffset);
  t.not(again, old, 'a hart caching decoded code by view identity must see a different page');
  t.is(again.getUint32(0, true), 0);
});
