// Private file mappings: lazy fill from the file at its offset, privacy of writes, file references held by VMAs.
import test from 'ava';
import { MADV_DONTNEED, MAP_PRIVATE, MREMAP_MAYMOVE, adviseRegion, mapRegion, protectRegion, remapRegion, unmapRegion } from '../../lib/emukernel/mm/ops';
import { MappedFile, PROT_READ } from '../../lib/emukernel/mm/vma';
import { P, RW, freshMm } from './helpers';

/** A file of `size` bytes where byte i is (i * 13 + i / 4096) & 0xff, counting references and reads. */
class FakeFile implements MappedFile {
  refs = 0;
  reads = 0;
  readonly path = '/data/file.bin';
  constructor(public bytes: Uint8Array) {}
  readAt(pos: number, len: number): Uint8Array {
    this.reads++;
    return this.bytes.slice(pos, Math.min(this.bytes.length, pos + len));
  }
  retain(): void { this.refs++; }
  release(): void { this.refs--; }
}

function pattern(size: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (i * 13 + Math.floor(i / P)) & 0xff);
}

test('a private file mapping reads the file at its offset, lazily, and zero-fills past EOF', (t) => {
  const file = new FakeFile(pattern(3 * P + 100));
  const mm = freshMm();
  const a = mapRegion(mm, { addr: 0, len: 4 * P, prot: PROT_READ, flags: MAP_PRIVATE, file, offset: P });
  t.true(a > 0);
  t.is(file.refs, 1);
  t.is(file.reads, 0, 'nothing read at mmap time');
  t.is(mm.vmas.find(a)?.name, '/data/file.bin');
  t.deepEqual(mm.read(a, P), file.bytes.subarray(P, 2 * P));
  t.deepEqual(mm.read(a + 2 * P, 100), file.bytes.subarray(3 * P, 3 * P + 100));
  t.deepEqual(mm.read(a + 2 * P + 100, P - 100), new Uint8Array(P - 100), 'the rest of the last page is zero');
  t.deepEqual(mm.read(a + 3 * P, 16), new Uint8Array(16), 'wholly past EOF');
  t.is(mapRegion(mm, { addr: 0, len: P, prot: PROT_READ, flags: MAP_PRIVATE, file, offset: 5 }), -22);
});

test('private writes never reach the file; MADV_DONTNEED brings the file bytes back', (t) => {
  const file = new FakeFile(pattern(2 * P));
  const mm = freshMm();
  const a = mapRegion(mm, { addr: 0, len: 2 * P, prot: RW, flags: MAP_PRIVATE, file, offset: 0 });
  t.true(mm.writeU32(a + 8, 0xffffffff));
  t.is(mm.readU32(a + 8), 0xffffffff);
  t.deepEqual(file.bytes, pattern(2 * P));
  t.is(adviseRegion(mm, a, P, MADV_DONTNEED), 0);
  t.deepEqual(mm.read(a, 16), file.bytes.subarray(0, 16));
});

test('the mapping holds the file: splits, forks and moves take references, unmapping drops them', (t) => {
  const file = new FakeFile(pattern(8 * P));
  const mm = freshMm();
  const a = mapRegion(mm, { addr: 0, len: 8 * P, prot: RW, flags: MAP_PRIVATE, file, offset: 0 });
  protectRegion(mm, a + 2 * P, P, PROT_READ);
  t.is(file.refs, 3, 'three VMAs');
  // The tail VMA keeps its file offset.
  t.deepEqual(mm.read(a + 5 * P, 8), file.bytes.subarray(5 * P, 5 * P + 8));
  const child = mm.fork();
  t.is(file.refs, 6);
  child.release();
  t.is(file.refs, 3);
  const moved = remapRegion(mm, a + 3 * P, 5 * P, 6 * P, MREMAP_MAYMOVE, 0);
  t.true(moved > 0);
  t.deepEqual(mm.read(moved + 4 * P, 8), file.bytes.subarray(7 * P, 7 * P + 8), 'moved VMA keeps its offset');
  unmapRegion(mm, a, 3 * P);
  unmapRegion(mm, moved, 6 * P);
  t.is(file.refs, 0);
  t.is(mm.vmas.length, 0);
});
