// Framing: {u32 type, u32 len} little-endian, len counting the header, zero padding to 8; linux-cr field offsets.
import test from 'ava';
import { CollectSink, ImageWriter } from '../../lib/crfs/image/codec';
import { recordByName, zeroRecord } from '../../lib/crfs/image/schema';
import { recordOffsets } from './image-bytes';
import { buildSampleImage } from './sample-image';

test('a string record is header, bytes, NUL and zero padding', (t) => {
  const sink = new CollectSink();
  const w = new ImageWriter(sink);
  w.string('abc');
  const b = sink.bytes();
  // Not finished: only the one record is in the sink once the stage is flushed.
  w.finish();
  const all = sink.bytes();
  t.deepEqual([...all.subarray(0, 16)], [5, 0, 0, 0, 12, 0, 0, 0, 0x61, 0x62, 0x63, 0, 0, 0, 0, 0]);
  t.is(b.length, 0);
});

test('every header is 8-aligned and the records tile the image exactly', (t) => {
  const img = buildSampleImage();
  const offs = recordOffsets(img);
  for (const o of offs) t.is(o % 8, 0);
  const last = offs[offs.length - 1];
  t.is(img.readUInt32LE(last), 9001);
  t.is(last + 24, img.length);
});

test('a field record len is header + payload, the padding is zero', (t) => {
  const sink = new CollectSink();
  const w = new ImageWriter(sink);
  w.record('file_desc', { fd_objref: 7, fd_descriptor: 3, fd_close_on_exec: 1 });
  w.finish();
  const b = sink.bytes();
  t.deepEqual([...b.subarray(0, 24)], [46, 1, 0, 0, 20, 0, 0, 0, 7, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
});

// Offsets in linux-cr's structs (include/linux/checkpoint_hdr.h, final), minus the 8-byte ckpt_hdr.
const LINUX_CR_OFFSETS: readonly [Parameters<typeof recordByName>[0], string, number][] = [
  ['head', 'magic', 0], ['head', 'arch_id', 8], ['head', 'rev', 16], ['head', 'task_comm_len', 24], ['head', 'time', 48], ['head', 'uflags', 56],
  ['task', 'state', 0], ['task', 'pdeath_signal', 16], ['task', 'robust_futex_head_len', 28], ['task', 'robust_futex_list', 32],
  ['task', 'set_child_tid', 40], ['task', 'clear_child_tid', 48],
  ['file', 'f_type', 0], ['file', 'f_credref', 12], ['file', 'f_pos', 16], ['file', 'f_version', 24], ['file', 'f_secref', 32],
  ['file_desc', 'fd_objref', 0], ['file_desc', 'fd_descriptor', 4], ['file_desc', 'fd_close_on_exec', 8],
  ['vma', 'vma_type', 0], ['vma', 'ino_objref', 8], ['vma', 'ino_size', 16], ['vma', 'vm_start', 24], ['vma', 'vm_pgoff', 56],
  ['mm', 'map_count', 0], ['mm', 'exe_objref', 4], ['mm', 'def_flags', 8], ['mm', 'start_code', 24], ['mm', 'env_end', 104],
  ['cred', 'fsgid', 28], ['cred', 'sec_ref', 40], ['cred', 'cap_i_0', 48], ['cred', 'securebits', 80],
  ['signal', 'it_real_value', 256], ['signal', 'tty_objref', 304], ['sigpending', 'signal', 8], ['sigpending', 'siginfo', 16],
  ['task_objs', 'signal_objref', 16], ['restart_block', 'arg_4', 40], ['objref', 'objref', 4], ['tail', 'magic', 0],
];

test('fields linux-cr has sit at linux-cr offsets', (t) => {
  for (const [rec, field, off] of LINUX_CR_OFFSETS) {
    const p = recordByName(rec).layout.fields.find((f) => f.field.name === field);
    t.is(p?.offset, off, `${rec}.${field}`);
  }
  t.is(recordByName('sighand').layout.fixedSize, 64 * 32);
  t.is(recordByName('sigpending').layout.fields[3].element?.stride, 48);
  t.is(recordByName('uts_ns').layout.fixedSize, 6 * 65);
});

test('record numbers are linux-cr\'s', (t) => {
  const want: Record<string, number> = {
    head: 1, head_arch: 2, container: 3, buffer: 4, string: 5, objref: 6, tree: 101, task: 102, task_ns: 103, task_objs: 104,
    restart_block: 105, thread: 106, cpu: 107, ns: 108, uts_ns: 109, cred: 114, user: 115, groupinfo: 116, task_creds: 117,
    file_table: 301, file_desc: 302, file_name: 303, file: 304, pipe: 305, mm: 401, vma: 402, pgarr: 403, mm_context: 404,
    fs: 451, sighand: 601, signal: 602, signal_task: 603, sigpending: 604, tail: 9001, error: 9999,
  };
  for (const [name, type] of Object.entries(want)) t.is(Number(recordByName(name as 'head').type), type, name);
});

test('page views reach the sink uncopied', (t) => {
  const sink = new CollectSink();
  const w = new ImageWriter(sink);
  const pages = [new Uint8Array(4096), new Uint8Array(4096)];
  w.record('vma', { ...zeroRecord('vma'), vm_start: 0, vm_end: 8192 });
  w.pages([0, 4096], pages);
  w.endVma();
  w.finish();
  t.true(sink.chunks.includes(pages[0]));
  t.true(sink.chunks.includes(pages[1]));
});

test('large page arrays are split at 4096 pages', (t) => {
  const sink = new CollectSink();
  const w = new ImageWriter(sink);
  const page = new Uint8Array(4096);
  const n = 4096 + 3;
  w.pages(Array.from({ length: n }, (_, i) => i * 4096), Array.from({ length: n }, () => page));
  w.finish();
  const b = sink.bytes();
  const pgarrs = recordOffsets(b).filter((o) => b.readUInt32LE(o) === 403).map((o) => Number(b.readBigUInt64LE(o + 8)));
  t.deepEqual(pgarrs, [4096, 3]);
});
