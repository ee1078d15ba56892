// The tree of a stored image on a real FUSE mount, read with real tools: RFC paths, hard links, sizes, modes, tar ≡ blob.
import test from 'ava';
import { promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { tarToBlob, treeToBlob } from '../../lib/crfs/convert/to-blob';
import { buildSampleImage } from '../image/sample-image';
import { ImageMount, mountTemp, sh } from './helpers';

const IMAGE = buildSampleImage({ pages: 3 });
let m: ImageMount;

test.before(async () => {
  m = await mountTemp(IMAGE);
});

test.after.always(async () => {
  const where = m?.mnt;
  await m?.dispose();
  const mounts = readFileSync('/proc/self/mounts', 'utf8');
  if (where && mounts.includes(where)) throw new Error(`${where} is still mounted`);
});

test("the RFC's paths exist: fds/<n>/{coe,fd_nr,fd}, files/<id>/{f_pos,f_mode,f_flags,f_version}, target, fd_type", async t => {
  const want: string[] = [];
  for (const task of ['task-1', 'task-2']) {
    for (const n of [0, 3, 4]) for (const f of ['coe', 'fd_nr', 'fd']) want.push(`${task}/fds/${n}/${f}`);
    for (const id of [7, 9, 10]) for (const f of ['f_pos', 'f_mode', 'f_flags', 'f_version', 'fd_type']) want.push(`${task}/files/${id}/${f}`);
    want.push(`${task}/files/7/target`, `${task}/files/10/target`);
  }
  const r = await sh(`cd ${m.mnt} && for f in ${want.join(' ')}; do test -f $f || echo missing $f; done; test -e task-1/files/9/target && echo pipe-has-target; test -e done && echo stored-has-done; for d in thread mm files; do test -d task-1/$d || echo missing $d; done`);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, '');
});

test('cat prints scalars as text with a newline: decimal, hex, enum names, the objref of an fd', async t => {
  const r = await sh(`cd ${m.mnt} && cat task-1/files/10/f_pos task-1/fds/4/fd task-1/fds/4/fd_nr task-1/fds/3/coe task-1/comm task-2/comm task-1/files/10/fd_type task-1/mm/start_code task-1/files/10/target task-2/thread/pc`);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, '4096\n10\n4\n1\ninit\nworker\nregular\n0x10000\n/tmp/out\n0x10abc\n');
});

test('ls -li shows one inode at every place of a shared file, and st_nlink is the number of places', async t => {
  const places = ['task-1/files/10/f_pos', 'task-2/files/10/f_pos', 'task-1/mm/exe/f_pos', 'task-2/mm/exe/f_pos',
    'task-1/mm/vmas/3ffe0000-40000000/file/f_pos', 'task-2/mm/vmas/3ffe0000-40000000/file/f_pos'];
  const r = await sh(`cd ${m.mnt} && ls -li ${places.join(' ')}`);
  t.is(r.code, 0, r.stderr);
  const rows = r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/));
  t.is(new Set(rows.map((f) => f[0])).size, 1, 'one inode');
  for (const f of rows) t.is(f[2], String(places.length), f[f.length - 1]);
  // For every hard-linked file, find's count of paths with its inode equals the link count stat shows.
  const all = await sh(`cd ${m.mnt} && find . -type f -links +1 -printf '%i %n\\n' | sort | uniq -c`);
  t.is(all.code, 0, all.stderr);
  const lines = all.stdout.trim().split('\n');
  t.true(lines.length > 50);
  for (const l of lines) {
    const [count, ino, nlink] = l.trim().split(/\s+/);
    t.is(count, nlink, `inode ${ino}`);
  }
});

test('stat sizes are exact before the first read', async t => {
  const { mnt, dispose } = await mountTemp(IMAGE);
  try {
    const r = await sh(`cd ${mnt} && find . -type f -printf '%s %p\\n' | sort -k2 > /tmp/$$.st && find . -type f | sort | while read f; do echo "$(wc -c < "$f") $f"; done > /tmp/$$.rd; diff /tmp/$$.st /tmp/$$.rd && wc -l < /tmp/$$.st; rm -f /tmp/$$.st /tmp/$$.rd`);
    t.is(r.code, 0, r.stderr + r.stdout);
    t.true(Number(r.stdout.trim()) > 500);
  } finally {
    await dispose();
  }
});

test('find, du -s: every entry is reachable and hard-linked files count once', async t => {
  const r = await sh(`cd ${m.mnt} && du -sb --apparent-size . | cut -f1; find . -type f -printf '%i %s\\n' | sort -u | awk '{s+=$2} END {print s}'; find . -type d | wc -l; du -s . | cut -f1`);
  t.is(r.code, 0, r.stderr);
  const [du, files, dirs, blocks] = r.stdout.trim().split('\n').map(Number);
  t.is(du, files + dirs * 4096);
  t.true(blocks > 0);
});

test('memory, registers and buffers are mode 0400; scalars 0444; directories 0555', async t => {
  const r = await sh(`cd ${m.mnt} && stat -c '%a %n' task-1/thread/regs task-1/thread/fregs task-1/mm/vmas/10000-13000/data task-1/files/9/pipe/data task-1/thread/pc task-1/mm task-1/fds/4`);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(r.stdout.trim().split('\n').map((l) => l.split(' ')[0]), ['400', '400', '400', '400', '444', '555', '555']);
});

test('diff -r of the mount and of its cp -a copy is empty, and the copy keeps the hard links', async t => {
  const copy = path.join(m.scratch, 'diff-cp');
  const r = await sh(`cp -a ${m.mnt} ${copy} && diff -r ${m.mnt} ${copy} && stat -c %h ${copy}/task-2/files/10/f_pos`);
  t.is(r.code, 0, r.stderr + r.stdout);
  t.is(r.stdout, '6\n');
});

test('tar c of the mount (GNU default format) converts to the blob; later places are stored as links', async t => {
  const tarFile = path.join(m.scratch, 'plain.tar');
  const r = await sh(`tar cf ${tarFile} -C ${m.mnt} . && tar tvf ${tarFile} | grep -c '^h'; find ${m.mnt} -type f -links +1 -printf '%i %n\\n' | sort -u | awk '{s+=$2-1} END {print s}'`);
  t.is(r.code, 0, r.stderr);
  t.is(r.stderr, '', 'tar saw nothing change as it read');
  const [links, expected] = r.stdout.trim().split('\n');
  t.is(links, expected);
  const blob = await tarToBlob(await fsp.readFile(tarFile));
  t.true(blob.equals(IMAGE));
});

test('tar c with a leading path component, read as a stream, converts to the blob', async t => {
  const tarFile = path.join(m.scratch, 'prefixed.tar');
  const r = await sh(`tar cf ${tarFile} -C ${path.dirname(m.mnt)} ${path.basename(m.mnt)}`);
  t.is(r.code, 0, r.stderr);
  const { createReadStream } = await import('node:fs');
  t.true((await tarToBlob(createReadStream(tarFile))).equals(IMAGE));
});

test('treeToBlob of the mount itself, of a cp -a copy and of an rsync -aH copy is the blob', async t => {
  t.true((await treeToBlob(m.mnt)).equals(IMAGE), 'the mount');
  const cp = path.join(m.scratch, 'cp');
  const rs = path.join(m.scratch, 'rsync');
  const r = await sh(`cp -a ${m.mnt} ${cp} && rsync -aH ${m.mnt}/ ${rs}/`);
  t.is(r.code, 0, r.stderr);
  t.true((await treeToBlob(cp)).equals(IMAGE), 'cp -a');
  t.true((await treeToBlob(rs)).equals(IMAGE), 'rsync -aH');
});

test('a tar extracted again converts to the blob (and so does its parent directory)', async t => {
  const out = path.join(m.scratch, 'extract');
  const r = await sh(`mkdir ${out} && tar cf - -C ${path.dirname(m.mnt)} ${path.basename(m.mnt)} | tar xf - -C ${out}`);
  t.is(r.code, 0, r.stderr);
  t.true((await treeToBlob(path.join(out, path.basename(m.mnt)))).equals(IMAGE));
  t.true((await treeToBlob(out)).equals(IMAGE), 'a directory holding one tree');
});
