// In-process tree tests (no FUSE): round trips, places and link counts, laziness, page views, non-canonical images.
import test from 'ava';
import { isMaterialised } from '../../lib/crfs/fs/node';
import { CollectSink, ImageWriter, readImageItems } from '../../lib/crfs/image/codec';
import { zeroRecord } from '../../lib/crfs/image/schema';
import { snapshotToBlob } from '../../lib/crfs/convert/to-blob';
import { TreeError } from '../../lib/crfs/tree/errors';
import { imageTree } from '../../lib/crfs/tree/image-tree';
import { buildErrorImage, buildSampleImage, writePrologue } from '../image/sample-image';
import { listNodes, snapshotOfNodes, treeWithSuperblock } from './helpers';

const variants: Array<[string, Buffer]> = [
  ['sample', buildSampleImage()],
  ['sample seed 3, no pages', buildSampleImage({ seed: 3, pages: 0 })],
  ['sample seed 1, 5 pages', buildSampleImage({ seed: 1, pages: 5 })],
  ['failed checkpoint', buildErrorImage()],
];

for (const [name, img] of variants) {
  test(`${name}: the node tree converts back to the same bytes`, t => {
    const { sb } = treeWithSuperblock(img);
    const blob = snapshotToBlob(snapshotOfNodes(sb));
    t.is(blob.length, img.length);
    t.true(blob.equals(img));
    t.deepEqual(sb.auditLinks(), [], 'every declared place was met exactly');
  });
}

test('st_nlink of every file equals the number of paths showing its inode', t => {
  const { sb } = treeWithSuperblock(buildSampleImage());
  const nodes = listNodes(sb);
  const paths = new Map<number, string[]>();
  for (const [p, st] of nodes) if (!st.dir) paths.set(st.ino, [...(paths.get(st.ino) ?? []), p]);
  for (const [ino, ps] of paths) {
    const st = nodes.get(ps[0]);
    t.is(st?.nlink, ps.length, `inode ${ino} at ${ps.join(', ')}`);
  }
  // The regular file of fd 4 (objref 10) is in both tasks' file tables, both tasks' mm as the
  // executable, and both tasks' file-backed VMA: six places.
  const f = paths.get(nodes.get('task-1/files/10/f_pos')?.ino ?? -1) ?? [];
  t.deepEqual(f.sort(), [
    'task-1/files/10/f_pos', 'task-1/mm/exe/f_pos', 'task-1/mm/vmas/3ffe0000-40000000/file/f_pos',
    'task-2/files/10/f_pos', 'task-2/mm/exe/f_pos', 'task-2/mm/vmas/3ffe0000-40000000/file/f_pos',
  ]);
  t.is(nodes.get('task-1/fds/4/fd')?.ino, nodes.get('task-2/fds/4/fd')?.ino, 'the file table is shared by both tasks');
  t.not(nodes.get('task-1/thread/pc')?.ino, nodes.get('task-2/thread/pc')?.ino, 'threads are per task');
});

test('a task subtree is built only when it is looked up', t => {
  const tree = imageTree(buildSampleImage());
  const rootList = tree.root.entries();
  const t1 = rootList.find((e) => e.name === 'task-1')?.node;
  const t2 = rootList.find((e) => e.name === 'task-2')?.node;
  t.truthy(t1 && t2);
  t.false(isMaterialised(t1!));
  t.false(isMaterialised(t2!));
  t.truthy(t1!.lookup('comm'));
  t.true(isMaterialised(t1!));
  t.false(isMaterialised(t2!));
});

test('memory files are views of the image bytes, not copies', t => {
  const img = buildSampleImage({ pages: 3 });
  const tree = imageTree(img);
  const mm = [...tree.model.objects.values()].find((o) => o.objtype === 'mm');
  const page = mm?.vmas?.[0].arrays[0].pages[0];
  t.truthy(page);
  t.is(page!.buffer, img.buffer);
  const data = tree.root.lookup('task-1')?.lookup('mm')?.lookup('vmas')?.lookup('10000-13000')?.lookup('data');
  t.truthy(data);
  t.is(data!.size(), 0x3000);
  const got = new Uint8Array(0x3000);
  t.is(data!.readInto(got, 0, 0x3000), 0x3000);
  // The heap VMA has its first three pages present (sample page(i) bytes are (i + k*7) & 0xff).
  t.is(got[4096 + 5], (1 + 5 * 7) & 0xff);
  t.is(got[8192 + 9], (2 + 9 * 7) & 0xff);
});

test('data holds only the pages the image carries, packed in the order the pages file lists them', t => {
  const tree = imageTree(buildSampleImage({ pages: 2 }));
  const vma = tree.root.lookup('task-1')?.lookup('mm')?.lookup('vmas')?.lookup('10000-13000');
  const pages = vma?.lookup('pages');
  const b = Buffer.alloc(pages?.size() ?? 0);
  pages?.readInto(b, 0, b.length);
  t.is(b.toString(), '10000-12000\n');
  const data = vma?.lookup('data');
  t.is(data?.size(), 2 * 4096, 'two pages, not the VMA\'s three');
  const tail = new Uint8Array(4096).fill(1);
  t.is(data?.readInto(tail, 4096 + 100, 4096), 4096 - 100, 'a read stops at the last carried page');
  t.is(tail[0], (1 + 100 * 7) & 0xff, 'page 1 of the file is the page at 11000');
});

/** The sample's file table with descriptors written 4, 0 (not ascending): valid, but not the tree's order. */
function unorderedFdImage(): Buffer {
  const sink = new CollectSink();
  const w = new ImageWriter(sink);
  writePrologue(w);
  w.objref('uts_ns', 1);
  w.record('uts_ns', { sysname: 'Linux', nodename: 'n', release: 'r', version: 'v', machine: 'riscv64', domainname: '' });
  w.objref('ns', 2);
  w.record('ns', { uts_objref: 1, ipc_objref: 0, net_objref: 0 });
  w.record('tree', { nr_tasks: 1, pids: [{ vpid: 1, vppid: 0, vtgid: 1, vpgid: 1, vsid: 1, depth: 0 }] });
  w.record('task', { ...zeroRecord('task'), pid: 1, comm: 'init' });
  w.record('task_ns', { ns_objref: 2 });
  w.record('task_creds', { cred_ref: 0, ecred_ref: 0 });
  w.objref('file_table', 3);
  w.record('file_table', { fdt_nfds: 2 });
  w.objref('file', 4);
  w.record('file', { ...zeroRecord('file'), f_type: 'regular', f_mode: 1 });
  w.string('/a', 'file_name');
  w.record('file_desc', { fd_objref: 4, fd_descriptor: 4, fd_close_on_exec: 0 });
  w.record('file_desc', { fd_objref: 4, fd_descriptor: 0, fd_close_on_exec: 0 });
  w.record('task_objs', { files_objref: 3, mm_objref: 0, fs_objref: 0, sighand_objref: 0, signal_objref: 0 });
  w.record('restart_block', { ...zeroRecord('restart_block'), function_type: 'none', syscall_nr: -1 });
  w.record('thread', { syscall_nr: -1, flags: 0, orig_a0: 0n });
  w.record('cpu', zeroRecord('cpu'));
  w.record('signal_task', zeroRecord('signal_task'));
  w.record('sigpending', { nr_pending: 0, signal: 0n, siginfo: [] });
  w.finish();
  return sink.bytes();
}

test('an image in another record order is refused with the record that breaks the order', t => {
  const img = unorderedFdImage();
  t.notThrows(() => readImageItems(img), 'the image itself is valid');
  const err = t.throws(() => imageTree(img), { instanceOf: TreeError });
  t.regex(err?.message ?? '', /^image: record 'file_desc' at offset \d+: .*cannot show this image/);
});
