// `crfs blob DIR|TAR|-`: a tree or tar of a checkpoint converts back to the very bytes push mode wrote.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CRFS_MAIN, REPO_ROOT } from '../examples/harness';
import { crfs, removeTmpRoot, tmpPath } from '../restart/harness';
import { assertOneLine, cutImage } from '../restart/cli-fixtures';
import { runTool, startMountChild, unmountAll } from './mount-helpers';

test.after.always(async () => {
  await unmountAll();
  removeTmpRoot();
});

/** A tar of the tree of `image` made with GNU tar from a `crfs mount` of it (`lead`: with a leading path component). */
async function tarOfMount(image: string, cwd: string, lead: boolean): Promise<string> {
  const dir = path.resolve(tmpPath('mnt'));
  const m = await startMountChild(['mount', image, dir], dir, cwd, 'stdout');
  const tar = tmpPath('tree.tar');
  try {
    if (lead) await runTool('tar', ['cf', tar, '-C', path.dirname(dir), path.basename(dir)]);
    else await runTool('tar', ['cf', tar, '-C', dir, '.']);
  } finally {
    m.child.kill('SIGTERM');
    await m.exited;
  }
  return tar;
}

test('blob of a tar made from a mount equals the original image (file, -o, stdin, leading path)', async (t) => {
  const img = await cutImage('pipeline', 0.5);
  const tar = await tarOfMount(img.file, img.c.cwd, false);
  const out = tmpPath('a.img');
  const a = await crfs(img.c, ['blob', tar, '-o', out]);
  t.is(a.status, 0, a.stderr.toString());
  t.true(fs.readFileSync(out).equals(img.bytes));
  const b = spawnSync(process.execPath, [CRFS_MAIN, 'blob', '-'], { input: fs.readFileSync(tar), maxBuffer: 1 << 30, cwd: REPO_ROOT });
  t.is(b.status, 0, b.stderr.toString());
  t.true(b.stdout.equals(img.bytes), 'crfs blob - (stdin)');
  const led = await tarOfMount(img.file, img.c.cwd, true);
  const c = await crfs(img.c, ['blob', led]);
  t.true(c.stdout.equals(img.bytes), 'tar with a leading path component');
});

test('blob of an extracted tree and of the mounted directory itself equal the image', async (t) => {
  const img = await cutImage('pipeline', 0.3);
  const tar = await tarOfMount(img.file, img.c.cwd, false);
  const x = tmpPath('extracted');
  fs.mkdirSync(x);
  await runTool('tar', ['xf', tar, '-C', x]);
  const a = await crfs(img.c, ['blob', x]);
  t.is(a.status, 0, a.stderr.toString());
  t.true(a.stdout.equals(img.bytes), 'extracted directory');
  const dir = path.resolve(tmpPath('mnt-self'));
  const m = await startMountChild(['mount', img.file, dir], dir, img.c.cwd, 'stdout');
  const b = await crfs(img.c, ['blob', dir]);
  m.child.kill('SIGTERM');
  await m.exited;
  t.is(b.status, 0, b.stderr.toString());
  t.true(b.stdout.equals(img.bytes), 'the mount itself');
});

test('blob of a tree with a broken file is one line naming the path, exit 1', async (t) => {
  const img = await cutImage('pipeline', 0.5);
  const tar = await tarOfMount(img.file, img.c.cwd, false);
  const x = tmpPath('broken');
  fs.mkdirSync(x);
  await runTool('tar', ['xf', tar, '-C', x]);
  const victim = path.join('task-1', 'pid');
  fs.writeFileSync(path.join(x, victim), 'not a number\n');
  t.regex(assertOneLine(t, await crfs(img.c, ['blob', x]), 1, 'broken tree'), new RegExp(`^crfs: blob: .*${victim.replace('/', '\\/')}`));
});

test('blob refuses to write to a terminal without -o', async (t) => {
  const img = await cutImage('hello', 0.5);
  const script = spawnSync('script', ['-qec', `${process.execPath} ${CRFS_MAIN} blob ${img.file}`, '/dev/null'], { encoding: 'latin1' });
  if (script.error) return t.pass('no script(1) to give crfs a terminal');
  t.is(script.status, 2);
  t.regex(script.stdout, /^crfs: blob: refusing to write a binary image to a terminal/);
  t.true(script.stdout.length < 200, 'nothing but the one line reached the terminal');
});
