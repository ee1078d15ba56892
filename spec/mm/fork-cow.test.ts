// Copy-on-write fork: no page copied until written, shared memory stays shared, generations, teardown.
import test from 'ava';
import { PROT_READ } from '../../lib/emukernel/mm/vma';
import { protectRegion } from '../../lib/emukernel/mm/ops';
import { P, freshMm, mapAnon, mapShared } from './helpers';

function poke32(mm: ReturnType<typeof freshMm>, addr: number, v: number): void {
  if (!mm.writeU32(addr, v)) throw new Error('write faulted');
}

test('fork copies no page; writes on either side stay on that side', (t) => {
  const parent = freshMm();
  const a = mapAnon(parent, 64 * P);
  for (let i = 0; i < 8; i++) poke32(parent, a + i * P, 100 + i);
  const copiesBefore = parent.pool.stats.copies;
  const child = parent.fork();
  t.is(parent.pool.stats.copies, copiesBefore, 'fork itself copies nothing');
  t.is(parent.pool.stats.live, 8, 'pages are shared, not duplicated');

  poke32(child, a, 1);
  poke32(parent, a + P, 2);
  t.is(parent.readU32(a), 100, 'child write invisible to parent');
  t.is(child.readU32(a), 1);
  t.is(child.readU32(a + P), 101, 'parent write invisible to child');
  t.is(parent.readU32(a + P), 2);
  t.is(parent.pool.stats.copies - copiesBefore, 2, 'exactly the two written pages were copied');
  t.is(child.cowCopies, 1);
  t.is(parent.cowCopies, 1);

  // Reading the other 6 pages, and touching never-touched ones, copies nothing.
  for (let i = 2; i < 8; i++) {
    t.is(child.readU32(a + i * P), 100 + i);
    t.is(parent.readU32(a + i * P), 100 + i);
  }
  poke32(child, a + 40 * P, 9); // absent before fork: a fresh page, not a copy
  t.is(parent.pool.stats.copies - copiesBefore, 2);
  t.is(parent.readU32(a + 40 * P), 0);
});

test('the last holder of a COW page writes in place without copying', (t) => {
  const parent = freshMm();
  const a = mapAnon(parent, P);
  poke32(parent, a, 5);
  const child = parent.fork();
  const copies = parent.pool.stats.copies;
  child.release();
  poke32(parent, a, 6);
  t.is(parent.pool.stats.copies, copies);
  t.is(parent.readU32(a), 6);
});

test('fork bumps the parent generation; a COW break bumps the writer generation', (t) => {
  const parent = freshMm();
  const a = mapAnon(parent, P);
  const before = parent.writePage(a / P) as DataView;
  const g = parent.generation;
  const child = parent.fork();
  t.true(parent.generation > g);
  const gc = child.generation;
  const after = child.writePage(a / P) as DataView;
  t.not(after, before, 'the child got its own page');
  t.true(child.generation > gc);
  // Now the parent is the only holder again: no copy and no staleness.
  const gp = parent.generation;
  t.is(parent.writePage(a / P), before);
  t.is(parent.generation, gp);
});

test('MAP_SHARED memory stays shared across fork, including pages first touched after it', (t) => {
  const parent = freshMm();
  const s = mapShared(parent, 4 * P);
  poke32(parent, s, 11);
  const child = parent.fork();
  poke32(child, s, 12);
  t.is(parent.readU32(s), 12);
  poke32(child, s + 3 * P, 13); // untouched before fork
  t.is(parent.readU32(s + 3 * P), 13);
  poke32(parent, s + 2 * P, 14);
  t.is(child.readU32(s + 2 * P), 14);
  t.is(parent.cowCopies + child.cowCopies, 0);
  // Surviving the writer's exit.
  child.release();
  t.is(parent.readU32(s + 3 * P), 13);
});

test('private and shared mappings side by side in one fork', (t) => {
  const parent = freshMm();
  const priv = mapAnon(parent, P);
  const shared = mapShared(parent, P);
  poke32(parent, priv, 1);
  poke32(parent, shared, 1);
  const child = parent.fork();
  poke32(child, priv, 2);
  poke32(child, shared, 2);
  t.is(parent.readU32(priv), 1);
  t.is(parent.readU32(shared), 2);
});

test('fork keeps protections, and the VMA lists are independent afterwards', (t) => {
  const parent = freshMm();
  const a = mapAnon(parent, 2 * P);
  protectRegion(parent, a, P, PROT_READ);
  const child = parent.fork();
  t.is(child.writeU32(a, 1), false);
  t.is(child.writeU32(a + P, 1), true);
  protectRegion(child, a + P, P, PROT_READ);
  t.is(parent.writeU32(a + P, 2), true);
});

test('release of every holder returns every page to the pool', (t) => {
  const parent = freshMm();
  const a = mapAnon(parent, 16 * P);
  const s = mapShared(parent, 4 * P);
  for (let i = 0; i < 16; i++) poke32(parent, a + i * P, i);
  poke32(parent, s, 1);
  const child = parent.fork();
  poke32(child, a, 99);
  poke32(child, s + P, 2);
  t.true(parent.pool.stats.live > 0);
  parent.users++; // a second thread
  parent.release();
  t.true(parent.pool.stats.live > 0, 'a remaining user keeps the pages');
  parent.release();
  child.release();
  t.is(parent.pool.stats.live, 0);
});
