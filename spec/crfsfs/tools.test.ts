// Real shell tools on a live crfs mount of a toy tree: ls, stat, cat, find, du, tar, cp -a, rsync -aH.
import test, { ExecutionContext } from 'ava';
import path from 'node:path';
import { buildToyTree, makeTempDir, mountToy, sh, writeModelCopy } from './toy-tree';

const SHARED_PLACES = ['files/1/f_pos', 'task-100/fds/3/f_pos', 'task-101/fds/0/f_pos'];

async function withMount(t: ExecutionContext): Promise<{ mnt: string; scratch: string }> {
  const { m, dispose } = await mountToy(buildToyTree());
  const scratch = makeTempDir('crfsfs-scratch-');
  t.teardown(async () => { await dispose(); scratch.cleanup(); });
  return { mnt: m.path, scratch: scratch.dir };
}

/** A real directory holding what the model says the tree is (separate tree instance, no FUSE). */
async function makeReference(scratch: string): Promise<string> {
  const ref = path.join(scratch, 'ref');
  await (await import('node:fs')).promises.mkdir(ref);
  await writeModelCopy(buildToyTree().superblock, ref);
  return ref;
}

test('ls -li shows one inode with link count 3 at the three places of a shared object', async t => {
  const { mnt } = await withMount(t);
  const r = await sh(`cd ${mnt} && ls -li ${SHARED_PLACES.join(' ')} files/1/f_flags task-100/comm`);
  t.is(r.code, 0, r.stderr);
  const rows = r.stdout.trim().split('\n').map(l => l.trim().split(/\s+/));
  const byName = new Map(rows.map(f => [f[f.length - 1], { ino: f[0], mode: f[1], nlink: f[2] }]));
  const inos = SHARED_PLACES.map(p => byName.get(p)!.ino);
  t.is(new Set(inos).size, 1);
  for (const p of SHARED_PLACES) t.is(byName.get(p)!.nlink, '3', p);
  t.not(byName.get('files/1/f_flags')!.ino, inos[0]);
  t.is(byName.get('task-100/comm')!.nlink, '1');
  t.is(byName.get('task-100/comm')!.mode, '-r--r--r--');
});

test('stat reports exact sizes before any read, link counts, stable inodes, modes and owners', async t => {
  const { mnt } = await withMount(t);
  const fmt = `stat -c '%n %s %h %i %a %u %F'`;
  const first = await sh(`cd ${mnt} && ${fmt} task-100/comm files/1/f_pos task-100/regs done mem task-101/fds`);
  t.is(first.code, 0, first.stderr);
  const f = new Map(first.stdout.trim().split('\n').map(l => { const a = l.split(' '); return [a[0], a]; }));
  t.is(f.get('task-100/comm')![1], String(Buffer.byteLength('prog100\n')));
  t.is(f.get('files/1/f_pos')![1], String(Buffer.byteLength('4096\n')));
  t.is(f.get('files/1/f_pos')![2], '3');
  t.deepEqual(f.get('task-100/regs')!.slice(1, 2).concat(f.get('task-100/regs')![4]), ['256', '400']);
  t.is(f.get('done')![4], '200');
  t.is(f.get('mem')![1], '100000');
  t.is(f.get('task-101/fds')![2], '4', 'a directory has 2 + its subdirectories');
  const again = await sh(`cd ${mnt} && cat task-100/comm >/dev/null && ${fmt} task-100/comm files/1/f_pos task-100/regs done mem task-101/fds`);
  t.is(again.stdout, first.stdout, 'inode numbers and sizes do not change across reads');
});

test('cat prints scalars as decimal text with a newline', async t => {
  const { mnt } = await withMount(t);
  const r = await sh(`cd ${mnt} && cat files/1/f_pos task-101/fds/1/fd_nr files/1/f_flags task-101/comm`);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, '4096\n1\n2\nprog101\n');
});

test('find lists the same entries as the model, and -links 3 finds exactly the shared places', async t => {
  const { mnt, scratch } = await withMount(t);
  const ref = await makeReference(scratch);
  const live = await sh(`cd ${mnt} && find . | sort`);
  const want = await sh(`cd ${ref} && find . | sort`);
  t.is(live.code, 0, live.stderr);
  t.is(live.stdout, want.stdout);
  const linked = await sh(`cd ${mnt} && find . -type f -links 3 | sort`);
  t.deepEqual(linked.stdout.trim().split('\n'), SHARED_PLACES.map(p => `./${p}`).sort());
});

test('du counts a hard-linked file once, like on a real filesystem', async t => {
  const { mnt, scratch } = await withMount(t);
  const ref = await makeReference(scratch);
  const files = await sh(`cd ${mnt} && du -sb --apparent-size . && cd ${ref} && find . -type f -print0 | du -cb --files0-from=- | tail -1`);
  t.is(files.code, 0, files.stderr);
  const [liveTotal, refFileTotal] = files.stdout.trim().split('\n').map(l => Number(l.split(/\s+/)[0]));
  const dirs = Number((await sh(`cd ${mnt} && find . -type d | wc -l`)).stdout.trim());
  t.is(liveTotal, refFileTotal + dirs * 4096);
  const blocks = await sh(`du -s ${mnt}`);
  t.is(blocks.code, 0, blocks.stderr);
  t.true(Number(blocks.stdout.split(/\s+/)[0]) > 0);
});

test('tar stores the later places of a shared object as hard links to the first', async t => {
  const { mnt } = await withMount(t);
  const r = await sh(`tar cf - -C ${mnt} . | tar tvf -`);
  t.is(r.code, 0, r.stderr);
  t.is(r.stderr, '', 'no "file changed as we read it" warnings');
  const links = r.stdout.split('\n').filter(l => l.startsWith('h'));
  t.is(links.length, 2);
  const first = r.stdout.split('\n').find(l => SHARED_PLACES.some(p => l.endsWith(`./${p}`)) && l.startsWith('-'))!;
  const firstPath = first.split(' ').pop()!;
  for (const l of links) t.regex(l, new RegExp(` link to ${firstPath.replace(/[.]/g, '\\.')}$`));
});

test('tar of the mount is byte-identical to tar of the model copy, of a cp -a copy and of an rsync -aH copy', async t => {
  const { mnt, scratch } = await withMount(t);
  const ref = await makeReference(scratch);
  const cpDir = path.join(scratch, 'cp');
  const rsDir = path.join(scratch, 'rs');
  const copies = await sh(`cp -a ${mnt} ${cpDir} && rsync -aH ${mnt}/ ${rsDir}/`);
  t.is(copies.code, 0, copies.stderr);
  const tarOf = async (d: string) => {
    const r = await sh(`tar --sort=name -cf - -C ${d} . | sha256sum; tar --sort=name -cf - -C ${d} . | wc -c`);
    t.is(r.code, 0, r.stderr);
    const [sum, bytes] = r.stdout.trim().split('\n');
    return { sum: sum.split(' ')[0], bytes: Number(bytes) };
  };
  const live = await tarOf(mnt);
  t.true(live.bytes > 100_000);
  t.deepEqual(await tarOf(ref), live, 'model copy');
  t.deepEqual(await tarOf(cpDir), live, 'cp -a copy');
  t.deepEqual(await tarOf(rsDir), live, 'rsync -aH copy');
  const unsorted = await sh(`tar cf - -C ${mnt} . | wc -c`);
  t.is(Number(unsorted.stdout.trim()), live.bytes, 'default (readdir) order has the same size');
  const cpLinks = await sh(`stat -c %i%h ${SHARED_PLACES.map(p => path.join(cpDir, p)).join(' ')} | sort -u | wc -l; stat -c %h ${path.join(rsDir, SHARED_PLACES[2])}`);
  t.is(cpLinks.stdout, '1\n3\n', 'the copies keep the hard links');
});
