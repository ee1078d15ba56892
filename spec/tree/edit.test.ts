// Hand-edited extracted trees: edits land in the blob; malformed or inconsistent edits fail naming the path.
import test, { ExecutionContext } from 'ava';
import path from 'node:path';
import { readImageItems } from '../../lib/crfs/image/codec';
import type { ImageItem } from '../../lib/crfs/image/schema';
import { treeToBlob } from '../../lib/crfs/convert/to-blob';
import { TreeError } from '../../lib/crfs/tree/errors';
import { buildSampleImage } from '../image/sample-image';
import { makeTempDir, mountTemp, sh } from './helpers';

const IMAGE = buildSampleImage();
let tarFile = '';
let cleanupTar: () => void = () => undefined;

test.before(async () => {
  const m = await mountTemp(IMAGE);
  const tmp = makeTempDir('crfs-edit-tar-');
  cleanupTar = tmp.cleanup;
  tarFile = path.join(tmp.dir, 'ckpt.tar');
  try {
    const r = await sh(`tar cf ${tarFile} -C ${m.mnt} .`);
    if (r.code !== 0) throw new Error(r.stderr);
  } finally {
    await m.dispose();
  }
});

test.after.always(() => cleanupTar());

/** A fresh extraction of the checkpoint's tar, with `script` run inside it. */
async function editedTree(t: ExecutionContext, script: string): Promise<string> {
  const { dir, cleanup } = makeTempDir('crfs-edit-');
  t.teardown(cleanup);
  const r = await sh(`tar xf ${tarFile} -C ${dir} && cd ${dir} && ${script}`);
  t.is(r.code, 0, r.stderr);
  return dir;
}

/** The records of an image as comparable lines (offsets left out: an edit may shift them). */
function recordLines(items: readonly ImageItem[]): string[] {
  return items.map((it) => {
    if (it.kind === 'record') return `${it.name} ${JSON.stringify(it.value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v))}`;
    if (it.kind === 'string') return `${it.name} ${it.text}`;
    if (it.kind === 'addresses') return `addrs ${it.addrs.join(',')}`;
    if (it.kind === 'pages') return `pages ${it.pages.map((p) => Buffer.from(p).toString('hex').slice(0, 16)).join(',')}`;
    return `${it.kind} ${Buffer.from(it.data).toString('hex').slice(0, 64)}`;
  });
}

/** Lines that differ between two images' records (index: before -> after). */
function changedLines(a: readonly ImageItem[], b: readonly ImageItem[]): string[] {
  const la = recordLines(a), lb = recordLines(b);
  const out: string[] = [];
  for (let i = 0; i < Math.max(la.length, lb.length); i++) if (la[i] !== lb[i]) out.push(`${la[i]} -> ${lb[i]}`);
  return out;
}

test('an unedited extraction converts to the original blob', async t => {
  t.true((await treeToBlob(await editedTree(t, 'true'))).equals(IMAGE));
});

test('a new f_pos written through the hard link reaches the file record, and only it', async t => {
  const dir = await editedTree(t, 'echo 8192 > task-1/files/10/f_pos');
  const before = readImageItems(IMAGE), after = readImageItems(await treeToBlob(dir));
  const changed = changedLines(before, after);
  t.is(changed.length, 2, changed.join('\n'));
  t.regex(changed[0], /^file .*"f_pos":4096.* -> file .*"f_pos":8192/);
  t.regex(changed[1], /^tail /, 'the checksum is recomputed');
});

test("a file's new target path is written as its file_name", async t => {
  // The file is renamed in the checkpoint's rootfs too: restart opens the target by path.
  const dir = await editedTree(t, 'echo /tmp/elsewhere > task-2/files/10/target && echo elsewhere > rootfs/inodes/2/entries/2/name');
  const after = readImageItems(await treeToBlob(dir));
  const names = after.filter((it) => it.kind === 'string' && it.name === 'file_name').map((it) => (it.kind === 'string' ? it.text : ''));
  t.true(names.includes('/tmp/elsewhere'));
  t.false(names.includes('/tmp/out'));
});

test('a descriptor pointed at another file of its table becomes a dup', async t => {
  // The table is shared by both tasks: the fd file is one hard-linked file, the file directory is at both places.
  const dir = await editedTree(t, 'echo 7 > task-1/fds/4/fd && rm -r task-1/files/10 task-2/files/10');
  // File 10 is still the executable and a mapping, so it is defined in the mm instead.
  const after = readImageItems(await treeToBlob(dir));
  const fds = after.filter((it) => it.kind === 'record' && it.name === 'file_desc');
  t.deepEqual(fds.map((it) => (it.kind === 'record' && it.name === 'file_desc' ? [it.value.fd_descriptor, it.value.fd_objref] : [])), [[0, 7], [3, 9], [4, 7]]);
});

const bad: Array<[string, string, RegExp]> = [
  ['a non-numeric f_pos', 'echo abc > task-1/files/10/f_pos', /^task-1\/files\/10\/f_pos: 'abc' is not a number$/],
  ['an f_mode beyond u32', 'echo 4294967296 > task-1/files/10/f_mode', /^task-1\/files\/10\/f_mode: 4294967296 is out of range 0\.\.4294967295$/],
  ['an unknown fd_type', 'echo socketx > task-1/files/10/fd_type', /^task-1\/files\/10\/fd_type: 'socketx' is not one of ignore, regular, pipe/],
  ['one place edited without the others (sed -i breaks the hard link)', "sed -i s/4096/8192/ task-2/files/10/f_pos", /^task-2\/files\/10\/f_pos: differs from task-1\/files\/10\/f_pos, another place of object 10/],
  ["a pipe's bytes that disagree with its size", 'chmod u+w task-1/files/9/pipe/data && printf hello! > task-1/files/9/pipe/data', /^task-1\/files\/9\/pipe\/size: says 5, but data holds 6 bytes$/],
  ['an fd naming a file the table lacks', 'echo 12 > task-1/fds/4/fd', /^task-1\/fds\/4\/fd: names file 12, but task-1\/files\/12 is missing$/],
  ['a stray file', 'touch task-1/files/10/f_poss', /^task-1\/files\/10\/f_poss: is not part of the crfs tree layout here$/],
  ['a missing field file', 'rm task-1/comm', /^task-1\/comm: is missing$/],
  ['a register file of the wrong size', 'chmod u+w task-1/thread/regs && truncate -s 100 task-1/thread/regs', /^task-1\/thread\/regs: holds 100 bytes, expected 248$/],
  ['a comm longer than 15 bytes', 'echo abcdefghijklmnopq > task-1/comm', /^task-1\/comm: 'abcdefghijklmnopq' is longer than 15 bytes$/],
  ['memory appended past the listed pages', 'chmod u+w task-1/mm/vmas/10000-13000/data && printf x >> task-1/mm/vmas/10000-13000/data', /^task-1\/mm\/vmas\/10000-13000\/data: holds \d+ bytes, but pages lists \d+ pages \(\d+ bytes\)$/],
  ['a page list outside its vma', 'echo 10000-14000 > task-1/mm/vmas/10000-13000/pages', /^task-1\/mm\/vmas\/10000-13000\/pages: line 1: 10000-14000 is not ascending page-aligned memory/],
  ['a target no rootfs entry leads to', 'echo /tmp/elsewhere > task-2/files/10/target', /^task-1\/files\/10\/target: \/tmp\/elsewhere is not in rootfs\/: give it an inode and an entry there, and its number in task-1\/files\/10\/inode\/ino$/],
  ['a target leading to another inode', 'echo /tmp > task-2/files/10/target', /^task-1\/files\/10\/target: \/tmp is rootfs inode 2, but task-1\/files\/10\/inode\/ino says 3$/],
  ['a parent the image validator rejects', 'echo 7 > task-2/ppid', /^task-\*: image: record 'tree' at offset \d+: ppid 7 of pid 2 is not an earlier task$/],
];

for (const [what, script, re] of bad) {
  test(`${what} fails with one line naming the path`, async t => {
    const dir = await editedTree(t, script);
    const err = await t.throwsAsync(treeToBlob(dir), { instanceOf: TreeError });
    t.regex(err?.message ?? '', re);
    t.false((err?.message ?? '').includes('\n'));
  });
}
