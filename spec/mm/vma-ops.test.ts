// mmap, munmap, mprotect, mremap, madvise, msync and mincore on the VMA list (Linux semantics and errnos).
import test from 'ava';
import { MMAP_BASE, MMAP_MIN_ADDR, TASK_SIZE } from '../../lib/emukernel/mm/layout';
import {
  MADV_DONTNEED, MADV_FREE, MAP_ANONYMOUS, MAP_PRIVATE, MAP_SHARED_VALIDATE, MREMAP_FIXED, MREMAP_MAYMOVE,
  adviseRegion, mapRegion, protectRegion, remapRegion, residency, syncRegion, unmapRegion,
} from '../../lib/emukernel/mm/ops';
import { PROT_EXEC, PROT_NONE, PROT_READ } from '../../lib/emukernel/mm/vma';
import { P, RW, freshMm, mapAnon, mapShared, vmaShape } from './helpers';

const EINVAL = -22, ENOMEM = -12, EFAULT = -14, EPERM = -1, EOPNOTSUPP = -95;

test('mmap without a hint is top-down from the mmap base, deterministically', (t) => {
  const mm = freshMm();
  const a = mapAnon(mm, 3 * P);
  const b = mapAnon(mm, 5000);
  t.is(a, MMAP_BASE - 3 * P);
  t.is(b, a - 2 * P, 'length rounds up to pages, next mapping sits just below');
  const again = freshMm();
  t.is(mapAnon(again, 3 * P), a);
  // Adjacent anonymous mappings with equal attributes merge into one VMA.
  t.deepEqual(vmaShape(mm), [[b, a + 3 * P, RW]]);
});

test('mmap argument errors follow Linux', (t) => {
  const mm = freshMm();
  t.is(mapAnon(mm, 0), EINVAL);
  t.is(mapRegion(mm, { addr: 0, len: P, prot: RW, flags: MAP_ANONYMOUS, file: null, offset: 0 }), EINVAL, 'neither shared nor private');
  t.is(mapRegion(mm, { addr: 0, len: P, prot: RW, flags: MAP_PRIVATE | MAP_ANONYMOUS, file: null, offset: 100 }), EINVAL);
  t.is(mapAnon(mm, P, RW, 0x10001), EINVAL, 'MAP_FIXED needs alignment');
  t.is(mapAnon(mm, P, RW, 0x1000), EPERM, 'below mmap_min_addr');
  t.is(mapAnon(mm, 2 * P, RW, TASK_SIZE - P), ENOMEM);
  t.is(mapAnon(mm, TASK_SIZE + P), ENOMEM);
  t.is(mapRegion(mm, { addr: 0, len: P, prot: RW, flags: MAP_SHARED_VALIDATE | MAP_ANONYMOUS | 0x40000000, file: null, offset: 0 }), EOPNOTSUPP);
});

test('a free hint is honoured (page-rounded), a taken one is not', (t) => {
  const mm = freshMm();
  const h = mapRegion(mm, { addr: 0x500123, len: P, prot: RW, flags: MAP_PRIVATE | MAP_ANONYMOUS, file: null, offset: 0 });
  t.is(h, 0x501000);
  const again = mapRegion(mm, { addr: 0x501000, len: P, prot: RW, flags: MAP_PRIVATE | MAP_ANONYMOUS, file: null, offset: 0 });
  t.not(again, 0x501000);
  t.true(again >= MMAP_MIN_ADDR);
});

test('MAP_FIXED replaces what was there, dropping its pages', (t) => {
  const mm = freshMm();
  const a = mapAnon(mm, 4 * P);
  mm.writeU32(a + P, 42);
  t.is(mapAnon(mm, P, PROT_READ, a + P), a + P);
  t.is(mm.readU32(a + P), 0);
  t.deepEqual(vmaShape(mm), [[a, a + P, RW], [a + P, a + 2 * P, PROT_READ], [a + 2 * P, a + 4 * P, RW]]);
});

test('munmap in the middle splits a VMA and keeps the contents around it', (t) => {
  const mm = freshMm();
  const a = mapAnon(mm, 5 * P);
  for (let i = 0; i < 5; i++) mm.writeU32(a + i * P, i + 1);
  t.is(unmapRegion(mm, a + P, 2 * P), 0);
  t.deepEqual(vmaShape(mm), [[a, a + P, RW], [a + 3 * P, a + 5 * P, RW]]);
  t.is(mm.readU32(a), 1);
  t.is(mm.readU32(a + P), null);
  t.is(mm.readU32(a + 3 * P), 4);
  t.is(unmapRegion(mm, a + 1, P), EINVAL);
  t.is(unmapRegion(mm, a, 0), EINVAL);
  t.is(unmapRegion(mm, 0x700000, P), 0, 'unmapping a hole is fine');
  t.is(mm.presentCount, 3);
});

test('mprotect splits, merges back, and refuses holes without changing anything', (t) => {
  const mm = freshMm();
  const a = mapAnon(mm, 4 * P);
  t.is(protectRegion(mm, a + P, P, PROT_READ), 0);
  t.deepEqual(vmaShape(mm), [[a, a + P, RW], [a + P, a + 2 * P, PROT_READ], [a + 2 * P, a + 4 * P, RW]]);
  t.is(protectRegion(mm, a + P, P, RW), 0);
  t.deepEqual(vmaShape(mm), [[a, a + 4 * P, RW]], 'merged again');
  t.is(protectRegion(mm, a + 3 * P, 2 * P, PROT_NONE), ENOMEM, 'runs past the end');
  t.deepEqual(vmaShape(mm), [[a, a + 4 * P, RW]]);
  t.is(protectRegion(mm, a + 5, P, PROT_READ), EINVAL);
  t.is(protectRegion(mm, a, P, 0x100), EINVAL, 'unknown bit');
  t.is(protectRegion(mm, a, 0, PROT_READ), 0);
  t.is(protectRegion(mm, a, 4 * P, PROT_READ | PROT_EXEC), 0);
  t.not(mm.execPage(a / P), null);
});

test('mremap shrinks, grows in place, and moves without copying pages', (t) => {
  const mm = freshMm();
  const a = mapAnon(mm, 4 * P);
  for (let i = 0; i < 4; i++) mm.writeU32(a + i * P, 10 + i);
  t.is(remapRegion(mm, a, 4 * P, 2 * P, 0, 0), a);
  t.is(mm.readU32(a + 2 * P), null);
  // Room above (the pages just unmapped): grows in place.
  t.is(remapRegion(mm, a, 2 * P, 3 * P, 0, 0), a);
  t.is(mm.readU32(a + 2 * P), 0, 'grown part is fresh zero memory');
  // Block growth with a mapping right above; without MAYMOVE it fails.
  mapAnon(mm, P, PROT_READ, a + 3 * P);
  t.is(remapRegion(mm, a, 3 * P, 8 * P, 0, 0), ENOMEM);
  const copies = mm.pool.stats.copies;
  const live = mm.pool.stats.live;
  const b = remapRegion(mm, a, 3 * P, 8 * P, MREMAP_MAYMOVE, 0);
  t.true(b > 0 && b !== a);
  t.is(mm.readU32(b), 10);
  t.is(mm.readU32(b + P), 11);
  t.is(mm.readU32(a), null, 'old range is gone');
  t.is(mm.pool.stats.copies, copies);
  t.is(mm.pool.stats.live, live, 'pages moved, none allocated');
  t.is(mm.readU32(b + 7 * P), 0);
});

test('mremap errors and MREMAP_FIXED', (t) => {
  const mm = freshMm();
  const a = mapAnon(mm, 2 * P);
  mm.writeU32(a, 7);
  t.is(remapRegion(mm, a, P, 2 * P, MREMAP_FIXED, 0x800000), EINVAL, 'FIXED needs MAYMOVE');
  t.is(remapRegion(mm, a + 1, P, P, 0, 0), EINVAL);
  t.is(remapRegion(mm, a, P, 0, 0, 0), EINVAL);
  t.is(remapRegion(mm, 0x900000, P, 2 * P, MREMAP_MAYMOVE, 0), EFAULT, 'not mapped');
  t.is(remapRegion(mm, a, 3 * P, 4 * P, MREMAP_MAYMOVE, 0), EFAULT, 'spans past the VMA');
  t.is(remapRegion(mm, a, P, P, 0x10, 0), EINVAL);
  t.is(remapRegion(mm, a, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, a + P), EINVAL, 'overlap');
  t.is(remapRegion(mm, a, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, 0x800000), 0x800000);
  t.is(mm.readU32(0x800000), 7);
  t.is(mm.readU32(a), null);
});

test('mremap of shared memory keeps sharing with a forked child', (t) => {
  const mm = freshMm();
  const s = mapShared(mm, P);
  const child = mm.fork();
  const moved = remapRegion(mm, s, P, 4 * P, MREMAP_MAYMOVE, 0);
  t.true(moved > 0);
  mm.writeU32(moved, 5);
  t.is(child.readU32(s), 5);
});

test('MADV_DONTNEED zero-fills private anonymous memory but keeps shared memory', (t) => {
  const mm = freshMm();
  const a = mapAnon(mm, 2 * P);
  const s = mapShared(mm, P);
  mm.writeU32(a, 1);
  mm.writeU32(a + P, 2);
  mm.writeU32(s, 3);
  const g = mm.generation;
  t.is(adviseRegion(mm, a, P, MADV_DONTNEED), 0);
  t.true(mm.generation > g);
  t.is(mm.readU32(a), 0);
  t.is(mm.readU32(a + P), 2);
  t.is(adviseRegion(mm, s, P, MADV_DONTNEED), 0);
  t.is(mm.readU32(s), 3);
  t.is(adviseRegion(mm, s, P, MADV_FREE), EINVAL, 'MADV_FREE is for private anonymous memory');
  t.is(adviseRegion(mm, a, P, 77), EINVAL);
  t.is(adviseRegion(mm, a + 1, P, MADV_DONTNEED), EINVAL);
  t.is(adviseRegion(mm, a, 8 * P, 0), ENOMEM, 'range runs into a hole');
});

test('mincore reports touched pages; msync checks its range', (t) => {
  const mm = freshMm();
  const a = mapAnon(mm, 4 * P);
  mm.writeU32(a + 2 * P, 1);
  t.deepEqual(residency(mm, a, 4 * P), Uint8Array.from([0, 0, 1, 0]));
  t.is(residency(mm, a + 1, P), EINVAL);
  t.is(residency(mm, a, 5 * P), ENOMEM);
  t.is(syncRegion(mm, a, 4 * P, 4), 0);
  t.is(syncRegion(mm, a, 4 * P, 1 | 4), EINVAL);
  t.is(syncRegion(mm, a, 8 * P, 4), ENOMEM);
});

test('presentPages walks each VMA in address order', (t) => {
  const mm = freshMm();
  const a = mapAnon(mm, 1024 * P);
  for (const i of [900, 3, 500, 4]) mm.writeU32(a + i * P, i);
  const v = mm.vmas.find(a);
  if (v === null) return t.fail();
  t.deepEqual([...mm.presentPages(v)].map(([vpn]) => vpn - a / P), [3, 4, 500, 900]);
});
