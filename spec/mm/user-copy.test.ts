// copy_from_user / copy_to_user helpers: page straddling, all-or-nothing writes, strings, kernel pokes.
import test from 'ava';
import { protectRegion } from '../../lib/emukernel/mm/ops';
import { PROT_NONE, PROT_READ } from '../../lib/emukernel/mm/vma';
import { P, freshMm, mapAnon } from './helpers';

const BASE = 0x200000;

test('read and write across page boundaries', (t) => {
  const mm = freshMm();
  mapAnon(mm, 3 * P, undefined, BASE);
  const data = Uint8Array.from({ length: P + 100 }, (_, i) => (i * 7) & 0xff);
  t.true(mm.write(BASE + P - 50, data));
  t.deepEqual(mm.read(BASE + P - 50, data.length), data);
  t.deepEqual(mm.read(BASE, 4), new Uint8Array(4), 'bytes before are untouched');
  t.is(mm.read(BASE + 3 * P - 2, 4), null, 'runs off the end of the mapping');
  t.deepEqual(mm.read(BASE, 0), new Uint8Array(0));
});

test('a write that would fault anywhere writes nothing', (t) => {
  const mm = freshMm();
  mapAnon(mm, 2 * P, undefined, BASE);
  protectRegion(mm, BASE + P, P, PROT_READ);
  t.false(mm.write(BASE + P - 4, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])));
  t.deepEqual(mm.read(BASE + P - 4, 8), new Uint8Array(8));
  t.false(mm.writeU64Num(BASE + P - 4, 1));
  t.is(mm.readU32(BASE + P - 4), 0);
});

test('scalar helpers: little-endian, unaligned and page-straddling', (t) => {
  const mm = freshMm();
  mapAnon(mm, 2 * P, undefined, BASE);
  for (const addr of [BASE, BASE + 3, BASE + P - 2, BASE + P - 5]) {
    t.true(mm.writeU32(addr, 0x89abcdef));
    t.is(mm.readU32(addr), 0x89abcdef);
    t.deepEqual([...(mm.read(addr, 4) as Uint8Array)], [0xef, 0xcd, 0xab, 0x89]);
    t.true(mm.writeU64Num(addr, 2 ** 52 + 3));
    t.is(mm.readU64Num(addr), 2 ** 52 + 3);
    t.true(mm.writeU64Num(addr, -2));
    t.is(mm.readU64(addr), 0xfffffffffffffffen);
    t.true(mm.writeU64(addr, 0x0123456789abcdefn));
    t.is(mm.readU64(addr), 0x0123456789abcdefn);
    t.deepEqual([...(mm.read(addr, 8) as Uint8Array)], [0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01]);
  }
  t.is(mm.readU32(BASE + 2 * P - 2), null);
  t.is(mm.readU64(BASE - 8), null);
  t.false(mm.writeU32(BASE - 2, 0));
});

test('readCString: across a page, UTF-8, limits and faults', (t) => {
  const mm = freshMm();
  mapAnon(mm, 2 * P, undefined, BASE);
  const s = 'héllo, wörld';
  const b = Buffer.from(s + '\0', 'utf8');
  mm.write(BASE + P - 5, b);
  t.is(mm.readCString(BASE + P - 5), s);
  t.is(mm.readCString(BASE + P - 5, b.length), s, 'NUL exactly at the limit');
  t.is(mm.readCString(BASE + P - 5, b.length - 1), null, 'no NUL within max');
  t.is(mm.strnlen(BASE + P - 5, 100), b.length - 1);
  // A string running into unmapped memory faults.
  mm.write(BASE + 2 * P - 3, new Uint8Array([65, 66, 67]));
  t.is(mm.readCString(BASE + 2 * P - 3), null);
  t.is(mm.strnlen(BASE + 2 * P - 3, 100), -1);
  t.is(mm.strnlen(BASE + 2 * P - 3, 3), 3, 'no fault within max: reports max');
  protectRegion(mm, BASE, P, PROT_NONE);
  t.is(mm.readCString(BASE + 10), null);
});

test('reading untouched private memory creates no page', (t) => {
  const mm = freshMm();
  mapAnon(mm, 256 * P, undefined, BASE);
  t.deepEqual(mm.read(BASE, 256 * P), new Uint8Array(256 * P));
  t.is(mm.presentCount, 0);
});

test('poke and peek ignore protection but not holes', (t) => {
  const mm = freshMm();
  mapAnon(mm, P, PROT_READ, BASE);
  t.true(mm.poke(BASE + 8, new Uint8Array([9, 8, 7])));
  t.deepEqual(mm.read(BASE + 8, 3), new Uint8Array([9, 8, 7]));
  t.false(mm.write(BASE + 8, new Uint8Array([1])));
  t.false(mm.poke(BASE + P - 1, new Uint8Array([1, 2])));
  t.is(mm.peek(BASE + P - 1, 2), null);
});
