// Each kind of hostile image is rejected with a one-line ImageError naming the record type and byte offset.
import test from 'ava';
import { ImageError, readImageItems } from '../../lib/crfs/image/codec';
import { MAGIC_HEAD } from '../../lib/crfs/image/schema';
import { buildSampleImage } from './sample-image';
import { findRecord, patchU32, patchU64, recordOffsets, resealTail } from './image-bytes';

const good = buildSampleImage();

function rejects(t: import('ava').ExecutionContext, image: Uint8Array, record: string, offset: number, detail: RegExp): void {
  const e = t.throws(() => readImageItems(image), { instanceOf: ImageError });
  if (!e) return;
  t.is((e as ImageError).recordName, record);
  t.is((e as ImageError).offset, offset);
  t.regex(e.message, /^image: record '[a-z_0-9 ]+' at offset \d+: [^\n]+$/);
  t.regex((e as ImageError).detail, detail);
}

test('the sample image is accepted', (t) => {
  t.true(readImageItems(good).length > 50);
});

test('wrong magic', (t) => {
  const { image } = patchU64(good, 'head', 'magic', MAGIC_HEAD ^ 1n);
  rejects(t, image, 'head', 0, /^wrong magic 0xfeed0cc0a2d201, expected 0xfeed0cc0a2d200$/);
});

test('garbage instead of a head', (t) => {
  rejects(t, Buffer.from('GIF89a\0\0 not an image at all'), 'type 944130375', 0, /not a crfs image/);
});

test('wrong format version', (t) => {
  const out = Buffer.from(good);
  out.writeUInt16LE(2, 8 + 16);
  rejects(t, resealTail(out), 'head', 0, /^format version 2, expected 1$/);
});

test('wrong arch', (t) => {
  const out = Buffer.from(good);
  out.writeUInt16LE(2, 8 + 8);
  rejects(t, resealTail(out), 'head', 0, /^arch x86_64, expected riscv64$/);
  out.writeUInt16LE(99, 8 + 8);
  rejects(t, resealTail(out), 'head', 0, /^arch_id 99 is not one of/);
});

test('truncation at every byte', (t) => {
  const small = buildSampleImage({ pages: 1 });
  const offsets = new Set(recordOffsets(small));
  for (let cut = 0; cut < small.length; cut++) {
    const e = t.throws(() => readImageItems(small.subarray(0, cut)), { instanceOf: ImageError });
    if (!e) return;
    t.true(e.message.length < 300 && !e.message.includes('\n'));
    if (!/truncated|overruns|would need/.test(e.message)) t.fail(`cut ${cut}: ${e.message}`);
    if (offsets.has(cut) && cut > 0) t.regex(e.message, /truncated|would need/);
  }
});

test('a length that overruns the file', (t) => {
  const at = findRecord(good, 'cpu').offset;
  const out = Buffer.from(good);
  out.writeUInt32LE(0x7ffffff0, at + 4);
  rejects(t, out, 'cpu', at, /^length 2147483632 overruns the image \(\d+ bytes left\)$/);
});

test('a length that overruns its parent', (t) => {
  const pipe = findRecord(good, 'pipe');
  const buf = findRecord(good, 'buffer');
  t.is(buf.offset, pipe.offset + 24);
  const out = Buffer.from(good);
  out.writeUInt32LE(8 + 12, buf.offset + 4);
  rejects(t, resealTail(out), 'buffer', buf.offset, new RegExp(`^length 20 does not match its parent 'pipe' at offset ${pipe.offset} \\(13\\)$`));
});

test('a length that does not match the schema', (t) => {
  const at = findRecord(good, 'thread').offset;
  const out = Buffer.from(good);
  out.writeUInt32LE(8 + 8, at + 4);
  rejects(t, out, 'thread', at, /^length 16 does not match the schema \(24\)$/);
});

test('an unknown and a reserved record type', (t) => {
  const at = findRecord(good, 'mm_context').offset;
  const out = Buffer.from(good);
  out.writeUInt32LE(777, at);
  rejects(t, out, 'type 777', at, /^unknown record type 777$/);
  out.writeUInt32LE(306, at);
  rejects(t, out, 'tty', at, /^reserved record type 306 is not supported$/);
});

test('an objref used before it is defined, or of the wrong type', (t) => {
  const r = patchU32(good, 'task_objs', 'files_objref', 99);
  rejects(t, r.image, 'task_objs', r.offset, /^files_objref 99 is used before it is defined$/);
  const w = patchU32(good, 'task_objs', 'files_objref', 11);
  rejects(t, w.image, 'task_objs', w.offset, /^files_objref 11 is a mm, expected file_table$/);
});

test('an objref defined twice or out of order', (t) => {
  const second = readImageItems(good).filter((i) => i.kind === 'record' && i.name === 'objref')[8];
  const twice = patchU32(good, 'objref', 'objref', 7, 8);
  t.is(twice.offset, second.offset);
  rejects(t, twice.image, 'objref', second.offset, /^objref 7 is defined twice$/);
  const gap = patchU32(good, 'objref', 'objref', 20, 8);
  rejects(t, gap.image, 'objref', second.offset, /^objref 20 out of order \(expected 9\)$/);
});

test('a shared object whose announcing objref is missing', (t) => {
  const obj = findRecord(good, 'objref', 10); // announces mm 11
  const out = Buffer.from(good);
  out.writeUInt32LE(3, obj.offset + 8); // objtype file instead of mm
  rejects(t, resealTail(out), 'mm', obj.offset + 16, /announces a file, but a 'mm' follows/);
});

test('a count that would allocate more than the rest of the image holds', (t) => {
  const p = patchU64(good, 'pgarr', 'nr_pages', 4000n);
  rejects(t, p.image, 'pgarr', p.offset, /^its records would need \d+ bytes, only \d+ are left$/);
  const q = patchU64(good, 'pgarr', 'nr_pages', 1n << 40n);
  rejects(t, q.image, 'pgarr', q.offset, /^nr_pages 1099511627776 exceeds 4096 per array$/);
  const n = patchU32(good, 'tree', 'nr_tasks', 1e9);
  rejects(t, n.image, 'tree', n.offset, /^length 64 does not match the schema \(24000000016\)$/);
  const s = patchU32(good, 'sigpending', 'nr_pending', 0x7fffffff);
  rejects(t, s.image, 'sigpending', s.offset, /does not match the schema/);
});

test('a bad checksum', (t) => {
  const page = readImageItems(good).find((i) => i.kind === 'pages');
  if (!page) return t.fail();
  const out = Buffer.from(good);
  out[page.offset + 8 + 100] ^= 0x40;
  rejects(t, out, 'tail', out.length - 24, /^bad checksum 0x[0-9a-f]+, computed 0x[0-9a-f]+$/);
});

test('a wrong record count in the tail', (t) => {
  const out = Buffer.from(good);
  out.writeUInt32LE(3, out.length - 24 + 16);
  // Counted by framing alone, so the sample image can grow without this test changing.
  const before = recordOffsets(good).length - 1;
  rejects(t, out, 'tail', out.length - 24, new RegExp(`^record count 3, but ${before} records precede the tail$`));
});

test('misaligned, inverted and overlapping VMAs', (t) => {
  const a = patchU64(good, 'vma', 'vm_start', 0x10001n);
  rejects(t, a.image, 'vma', a.offset, /^0x10001-0x13000 is not page-aligned$/);
  const b = patchU64(good, 'vma', 'vm_end', 0x1000n);
  rejects(t, b.image, 'vma', b.offset, /^end 0x1000 below start 0x10000$/);
  const c = patchU64(good, 'vma', 'vm_start', 0x12000n, 1);
  rejects(t, c.image, 'vma', c.offset, /^0x12000-0x40000000 overlaps or precedes the previous vma ending at 0x13000$/);
  const d = patchU64(good, 'vma', 'vm_end', 0x11000n);
  const addrs = findRecord(good, 'buffer', 1);
  rejects(t, d.image, 'buffer', addrs.offset, /^page address 0x11000 outside the vma 0x10000-0x11000/);
});

test('an fd out of range or twice', (t) => {
  const a = patchU32(good, 'file_desc', 'fd_descriptor', 2000000, 1);
  rejects(t, a.image, 'file_desc', a.offset, /^fd 2000000 out of range 0\.\.1048575$/);
  const b = patchU32(good, 'file_desc', 'fd_descriptor', -1, 1);
  rejects(t, b.image, 'file_desc', b.offset, /^fd -1 out of range/);
  const c = patchU32(good, 'file_desc', 'fd_descriptor', 3, 2);
  rejects(t, c.image, 'file_desc', c.offset, /^fd 3 appears twice$/);
  const d = patchU32(good, 'file_table', 'fdt_nfds', 4);
  rejects(t, d.image, 'file_table', d.offset, /^fdt_nfds 4, but 3 file_desc records follow before 'mm' at offset \d+$/);
});

test('a duplicate or out-of-range pid', (t) => {
  const tree = findRecord(good, 'tree');
  const out = Buffer.from(good);
  out.writeInt32LE(1, tree.offset + 8 + 8 + 24); // second entry's vpid
  rejects(t, resealTail(out), 'tree', tree.offset, /^pid 1 appears twice$/);
  out.writeInt32LE(5000000, tree.offset + 8 + 8 + 24);
  rejects(t, resealTail(out), 'tree', tree.offset, /^pid 5000000 out of range 1\.\.4194303$/);
  const p = patchU32(good, 'task', 'pid', 7, 1);
  rejects(t, p.image, 'task', p.offset, /^pid 7, but the tree lists pid 2 here$/);
});

test('bytes after the tail, nonzero padding, a stray string', (t) => {
  rejects(t, Buffer.concat([good, Buffer.alloc(8)]), 'tail', good.length - 24, /^8 bytes after the tail$/);
  const s = findRecord(good, 'file_name');
  const out = Buffer.from(good);
  out[s.offset + 8 + 11 + 2] = 1; // '/dev/pts/0' + NUL is 11 bytes; padding follows
  rejects(t, resealTail(out), 'file_name', s.offset, /^nonzero padding$/);
  const cut = findRecord(good, 'string');
  const stray = Buffer.concat([good.subarray(0, 152), good.subarray(cut.offset, cut.offset + 24), good.subarray(152)]);
  rejects(t, stray, 'string', 152, /no record before it/);
});
