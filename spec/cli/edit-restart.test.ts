// Edit an extracted checkpoint, then `crfs restart DIR`: a file position and a redirected output file take effect; bad edits are one line.
import test, { ExecutionContext } from 'ava';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { removeTmpRoot, runToEnd, tmpPath } from '../restart/harness';
import { CutImage, assertOneLine, crfsIn, cutImage } from '../restart/cli-fixtures';
import { runTool, tarOfMountedImage, unmountAll } from './mount-helpers';

test.after.always(async () => {
  await unmountAll();
  removeTmpRoot();
});

const latin1 = (b: Buffer): string => b.toString('latin1');

/** The pipeline cut halfway: its consumer (a forked child) has the output file open for writing. */
const fixture = (): Promise<CutImage> => cutImage('pipeline', 0.5);

/** A fresh extraction of the fixture's tree. */
async function extracted(): Promise<string> {
  const x = path.resolve(tmpPath('tree'));
  fs.mkdirSync(x);
  await runTool('tar', ['xf', await tarOfMountedImage(await fixture()), '-C', x]);
  return x;
}

const read = (x: string, rel: string): string => fs.readFileSync(path.join(x, rel), 'utf8').trim();
/** Rewrites a tree file in place (same inode, so every hard-linked place of it changes too). */
function put(x: string, rel: string, value: string | number): void {
  const p = path.join(x, rel);
  fs.chmodSync(p, 0o644);
  fs.writeFileSync(p, `${value}\n`);
}

/** `task-<pid>/files/<id>` of the open file whose target is `target` (the consumer's output). */
function fileDirOf(x: string, target: string): string {
  for (const task of fs.readdirSync(x).filter((n) => n.startsWith('task-'))) {
    const files = path.join(task, 'files');
    for (const id of fs.readdirSync(path.join(x, files))) {
      const t = path.join(files, id, 'target');
      if (fs.existsSync(path.join(x, t)) && read(x, t) === target) return path.join(files, id);
    }
  }
  throw new Error(`no open file of ${target} in ${x}`);
}

/** The rootfs inode `p` leads to, through the tree's `entries/` directories. */
function rootfsIno(x: string, p: string): number {
  let ino = Number(read(x, 'rootfs/root_ino'));
  for (const part of p.split('/').filter(Boolean)) {
    const entries = path.join('rootfs/inodes', String(ino), 'entries');
    const hit = fs.readdirSync(path.join(x, entries)).find((c) => read(x, path.join(entries, c, 'name')) === part);
    if (hit === undefined) throw new Error(`${p}: no entry ${part}`);
    ino = Number(read(x, path.join(entries, hit, 'child_ino')));
  }
  return ino;
}

/**
 * Gives the tree's root filesystem an empty regular file at `p` (its directory must exist), made
 * like inode `like`: what the layout needs for a new name is an inode directory under a fresh number
 * (next_ino), an entry under the directory's next cookie, and the counts that say so. Returns its ino.
 */
function addRootfsFile(x: string, p: string, like: number): number {
  const ino = Number(read(x, 'rootfs/next_ino'));
  const dirIno = rootfsIno(x, path.dirname(p));
  const inode = path.join('rootfs/inodes', String(ino));
  fs.cpSync(path.join(x, 'rootfs/inodes', String(like)), path.join(x, inode), { recursive: true });
  fs.rmSync(path.join(x, inode, 'extents'), { recursive: true, force: true });
  fs.rmSync(path.join(x, inode, 'entries'), { recursive: true, force: true });
  put(x, path.join(inode, 'ino'), ino);
  put(x, path.join(inode, 'size'), 0);
  put(x, path.join(inode, 'nlink'), 1);
  const dir = path.join('rootfs/inodes', String(dirIno));
  const cookie = Number(read(x, path.join(dir, 'next_cookie')));
  const entry = path.join(dir, 'entries', String(cookie));
  fs.mkdirSync(path.join(x, entry));
  for (const [f, v] of [['parent_ino', dirIno], ['child_ino', ino], ['cookie', cookie], ['name', path.basename(p)]] as const) {
    fs.writeFileSync(path.join(x, entry, f), `${v}\n`);
  }
  put(x, path.join(dir, 'next_cookie'), cookie + 1);
  for (const f of ['next_ino', 'nr_inodes', 'nr_dentries']) put(x, path.join('rootfs', f), Number(read(x, path.join('rootfs', f))) + 1);
  return ino;
}

/** What the consumer writes over the whole run: the filter's lines for items 1..n. */
function fullOutput(items: number): Buffer {
  let s = '';
  for (let i = 1; i <= items; i++) if (i % 3 !== 0) s += `item ${i} sq=${i * i}\n`;
  return Buffer.from(s, 'latin1');
}

function fnv1a(b: Buffer): string {
  let h = 0xcbf29ce484222325n;
  for (const c of b) h = BigInt.asUintN(64, (h ^ BigInt(c)) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0');
}

/** The three lines the pipeline's parent prints about its output file, for `content`. */
function summary(content: Buffer): string[] {
  const lines = latin1(content).split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return [
    `parent: file has ${lines.length} lines, fnv1a=${fnv1a(content)}`,
    `parent: first line: ${lines[0] ?? ''}`,
    `parent: last line: ${lines[lines.length - 1] ?? ''}`,
  ];
}

/** The uninterrupted run's stdout with the parent's file summary replaced by that of `content`. */
function expectedStdout(img: CutImage, content: Buffer): string {
  const s = summary(content);
  return latin1(img.base.stdout).split('\n').map((l) => {
    if (l.startsWith('parent: file has ')) return s[0];
    if (l.startsWith('parent: first line: ')) return s[1];
    if (l.startsWith('parent: last line: ')) return s[2];
    return l;
  }).join('\n');
}

interface Consumer { img: CutImage; out: string; full: Buffer; pos: number }

/** The fixture's facts the tests rely on, checked (so a moved cut fails here, not obscurely later). */
async function consumer(t: ExecutionContext, x: string): Promise<Consumer & { file: string }> {
  const img = await fixture();
  const out = img.c.args[1];
  const full = fullOutput(Number(img.c.args[0]));
  const file = fileDirOf(x, out);
  const pos = Number(read(x, path.join(file, 'f_pos')));
  t.true(pos > 0 && pos < full.length, `the cut is inside the consumer's writing (f_pos ${pos} of ${full.length})`);
  t.not(latin1(img.base.stdout).indexOf('parent: first line: item 1 '), -1, 'the baseline prints its summary');
  return { img, out, full, pos, file };
}

test('f_pos edited to 0: the restarted consumer overwrites its file from the start', async (t) => {
  const x = await extracted();
  const { img, full, pos, file } = await consumer(t, x);
  put(x, path.join(file, 'f_pos'), 0);
  const r = await runToEnd(img.c, ['restart', x]);
  t.is(r.status, img.base.status, r.stderr.toString());
  // The rest of the output lands at 0; what was there beyond it stays.
  const rest = full.subarray(pos);
  const content = Buffer.concat([rest, full.subarray(Math.min(rest.length, pos), pos)]);
  t.is(latin1(Buffer.concat([img.before.stdout, r.stdout])), expectedStdout(img, content));
  t.notDeepEqual(summary(content), summary(full), 'the edit is visible');
});

test("target edited to a new file (the RFC's `cat > some_file`): the rest of the output goes there", async (t) => {
  const x = await extracted();
  const { img, out, full, pos, file } = await consumer(t, x);
  const moved = path.join(path.dirname(out), 'redirected.out');
  const ino = addRootfsFile(x, moved, Number(read(x, path.join(file, 'inode', 'ino'))));
  put(x, path.join(file, 'target'), moved);
  put(x, path.join(file, 'inode', 'ino'), ino);
  put(x, path.join(file, 'inode', 'name'), path.basename(moved));
  put(x, path.join(file, 'f_pos'), 0);
  const r = await runToEnd(img.c, ['restart', x]);
  t.is(r.status, img.base.status, r.stderr.toString());
  // The original file keeps what was written before the cut (the parent reads and removes it) ...
  t.is(latin1(Buffer.concat([img.before.stdout, r.stdout])), expectedStdout(img, full.subarray(0, pos)));
  // ... and the new one, left in the final root, holds everything after it.
  const rest = full.subarray(pos);
  const line = `${moved.slice(1)} file 644 ${rest.length} ${createHash('sha256').update(rest).digest('hex').slice(0, 16)}`;
  t.deepEqual([...r.root].sort(), [...img.base.root, line].sort());
});

const broken: Array<[string, (x: string, c: { file: string; out: string }) => void, (c: { file: string; out: string }) => RegExp]> = [
  ['an fd_nr that does not match its directory', (x, c) => {
    const task = c.file.split(path.sep)[0];
    const fd = fs.readdirSync(path.join(x, task, 'fds')).find((n) => read(x, path.join(task, 'fds', n, 'fd')) === path.basename(c.file)) as string;
    put(x, path.join(task, 'fds', fd, 'fd_nr'), Number(fd) + 40);
  }, (c) => new RegExp(`${c.file.split(path.sep)[0]}/fds/\\d+/fd_nr: says \\d+, but the directory is \\d+$`)],
  ['a non-number in f_pos', (x, c) => put(x, path.join(c.file, 'f_pos'), 'twelve'), (c) => new RegExp(`${c.file}/f_pos: 'twelve' is not a number$`)],
  ['a target with no file in rootfs/', (x, c) => put(x, path.join(c.file, 'target'), '/tmp/nowhere.out'),
    (c) => new RegExp(`${c.file}/target: /tmp/nowhere.out is not in rootfs/: .*${c.file}/inode/ino$`)],
  ['a target naming another inode than inode/ino', (x, c) => put(x, path.join(c.file, 'target'), path.dirname(c.out)),
    (c) => new RegExp(`${c.file}/target: ${path.dirname(c.out)} is rootfs inode \\d+, but ${c.file}/inode/ino says \\d+$`)],
];

for (const [what, edit, message] of broken) {
  test(`restart of a tree with ${what}: one line naming the path, exit 1, nothing run`, async (t) => {
    const x = await extracted();
    const c = await consumer(t, x);
    edit(x, c);
    const r = await crfsIn('pipeline', ['restart', x]);
    const line = assertOneLine(t, r, 1, what).trim();
    t.true(line.startsWith(`crfs: restart: ${x}: `), line);
    t.regex(line, message(c));
    t.is(r.stdout.length, 0);
  });
}
