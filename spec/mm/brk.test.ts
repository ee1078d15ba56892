// brk(2) semantics: probing, unaligned growth, shrinking, refusing to collide.
import test from 'ava';
import { setBrk } from '../../lib/emukernel/mm/ops';
import { P, freshMm, mapAnon } from './helpers';

const START = 0x80000;

function heap(): ReturnType<typeof freshMm> {
  const mm = freshMm();
  mm.startBrk = mm.brk = START;
  return mm;
}

test('brk(0) and brk below the start report the current break', (t) => {
  const mm = heap();
  t.is(setBrk(mm, 0), START);
  t.is(setBrk(mm, START - P), START);
  t.is(mm.vmas.length, 0);
});

test('brk grows by unaligned amounts and the heap is one [heap] VMA', (t) => {
  const mm = heap();
  t.is(setBrk(mm, START + 100), START + 100);
  t.true(mm.writeU32(START + P - 4, 1), 'the whole page is usable');
  t.is(mm.readU32(START + P), null);
  t.is(setBrk(mm, START + 3 * P + 1), START + 3 * P + 1);
  const vmas = mm.vmas.all();
  t.is(vmas.length, 1);
  t.is(vmas[0].name, '[heap]');
  t.is(vmas[0].start, START);
  t.is(vmas[0].end, START + 4 * P);
  t.is(setBrk(mm, 0), START + 3 * P + 1);
});

test('brk shrinks, freeing pages, and regrowth reads zeros', (t) => {
  const mm = heap();
  setBrk(mm, START + 4 * P);
  mm.writeU32(START + 3 * P, 9);
  mm.writeU32(START + 10, 8);
  t.is(setBrk(mm, START + P), START + P);
  t.is(mm.readU32(START + 3 * P), null);
  t.is(mm.readU32(START + 10), 8, 'below the new break is kept');
  setBrk(mm, START + 4 * P);
  t.is(mm.readU32(START + 3 * P), 0);
});

test('brk refuses to run into another mapping (keeping a page gap) and returns the old break', (t) => {
  const mm = heap();
  mapAnon(mm, P, undefined, START + 4 * P);
  t.is(setBrk(mm, START + 4 * P), START);
  t.is(setBrk(mm, START + 3 * P), START + 3 * P);
  t.is(setBrk(mm, START + 3 * P + 1), START + 3 * P);
});
