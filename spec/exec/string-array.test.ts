// execve's copying of argv/envp arrays out of user memory: EFAULT and E2BIG.
import test from 'ava';
import { readStringArray } from '../../lib/emukernel/exec/syscalls';
import { ARG_LIMIT, MAX_ARG_STRLEN } from '../../lib/emukernel/exec/stack';
import { MAP_ANONYMOUS, MAP_PRIVATE, mapRegion } from '../../lib/emukernel/mm/ops';
import { Mm } from '../../lib/emukernel/mm/mm';
import { PagePool } from '../../lib/emukernel/mm/page';
import { PROT_READ, PROT_WRITE } from '../../lib/emukernel/mm/vma';

const EFAULT = -14, E2BIG = -7;

/** An mm holding `strings` and a NULL-terminated pointer array to them; returns the array's address. */
function userArray(strings: (string | number)[], size = 1 << 20): { mm: Mm; arr: number } {
  const mm = new Mm(new PagePool());
  const base = mapRegion(mm, { addr: 0, len: size, prot: PROT_READ | PROT_WRITE, flags: MAP_PRIVATE | MAP_ANONYMOUS, file: null, offset: 0 });
  let at = base + 8 * (strings.length + 1);
  strings.forEach((s, i) => {
    if (typeof s === 'number') {
      mm.writeU64Num(base + 8 * i, s);
      return;
    }
    const b = Buffer.from(s + '\0');
    mm.write(at, b);
    mm.writeU64Num(base + 8 * i, at);
    at += b.length;
  });
  mm.writeU64Num(base + 8 * strings.length, 0);
  return { mm, arr: base };
}

test('reads the strings up to the NULL pointer, as raw bytes', (t) => {
  const { mm, arr } = userArray(['prog', '', 'ünï']);
  const r = readStringArray(mm, arr, { left: ARG_LIMIT });
  t.deepEqual(r, [Buffer.from('prog'), Buffer.from(''), Buffer.from('ünï')].map((b) => new Uint8Array(b)));
});

test('a NULL array is empty', (t) => {
  const mm = new Mm(new PagePool());
  t.deepEqual(readStringArray(mm, 0, { left: ARG_LIMIT }), []);
});

test('a bad array or string pointer is EFAULT', (t) => {
  const mm = new Mm(new PagePool());
  t.is(readStringArray(mm, 0x123000, { left: ARG_LIMIT }), EFAULT);
  const bad = userArray(['ok', 0x5000]);
  t.is(readStringArray(bad.mm, bad.arr, { left: ARG_LIMIT }), EFAULT);
});

test('an over-long string or too much in all is E2BIG', (t) => {
  const long = userArray(['x'.repeat(MAX_ARG_STRLEN)]);
  t.is(readStringArray(long.mm, long.arr, { left: ARG_LIMIT }), E2BIG);
  const fine = userArray(['x'.repeat(MAX_ARG_STRLEN - 1)]);
  t.is((readStringArray(fine.mm, fine.arr, { left: ARG_LIMIT }) as Uint8Array[]).length, 1);
  const budget = { left: 100 };
  const many = userArray(['a'.repeat(40), 'b'.repeat(40), 'c'.repeat(40)]);
  t.is(readStringArray(many.mm, many.arr, budget), E2BIG);
});
