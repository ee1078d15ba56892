// `crfs restart TAR|DIR|-`: a checkpoint archived as a tar or extracted into a directory carries on to the uninterrupted end.
import test from 'ava';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CRFS_MAIN, RunOutcome, referenceEnv } from '../examples/harness';
import { removeTmpRoot, runToEnd, tmpPath } from '../restart/harness';
import { assertOneLine, crfsIn, cutImage } from '../restart/cli-fixtures';
import { runTool, startMountChild, tarOfMountedImage, unmountAll } from './mount-helpers';

test.after.always(async () => {
  await unmountAll();
  removeTmpRoot();
});

const latin1 = (b: Buffer): string => b.toString('latin1');

async function extract(tar: string): Promise<string> {
  const x = tmpPath('extracted');
  fs.mkdirSync(x);
  await runTool('tar', ['xf', tar, '-C', x]);
  return x;
}

test('restart TAR: output before the cut + restarted output equal the uninterrupted run', async (t) => {
  const img = await cutImage('pipeline', 0.5);
  const r = await runToEnd(img.c, ['restart', await tarOfMountedImage(img)]);
  t.is(r.status, img.base.status, r.stderr.toString());
  t.is(latin1(Buffer.concat([img.before.stdout, r.stdout])), latin1(img.base.stdout));
  t.deepEqual(r.root, img.base.root);
});

test('restart DIR (an extracted tar): the same uninterrupted end', async (t) => {
  const img = await cutImage('pipeline', 0.5);
  const r = await runToEnd(img.c, ['restart', await extract(await tarOfMountedImage(img))]);
  t.is(r.status, img.base.status, r.stderr.toString());
  t.is(latin1(Buffer.concat([img.before.stdout, r.stdout])), latin1(img.base.stdout));
  t.deepEqual(r.root, img.base.root);
});

test('restart - reads a tar from stdin (told apart from a blob by content)', async (t) => {
  const img = await cutImage('pipeline', 0.3);
  const tar = await tarOfMountedImage(img);
  const r = await new Promise<RunOutcome>((resolve, reject) => {
    const fd = fs.openSync(tar, 'r');
    const child = spawn(process.execPath, [CRFS_MAIN, 'restart', '-'], { cwd: img.c.cwd, env: referenceEnv(), stdio: [fd, 'pipe', 'pipe'] });
    fs.closeSync(fd);
    const out: Buffer[] = [], err: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err), status: code ?? 128 }));
  });
  t.is(r.status, img.base.status, r.stderr.toString());
  t.is(latin1(Buffer.concat([img.before.stdout, r.stdout])), latin1(img.base.stdout));
});

test('restart of a tree made inconsistent is one line naming the path, exit 1, nothing run', async (t) => {
  const img = await cutImage('pipeline', 0.5);
  const x = await extract(await tarOfMountedImage(img));
  const victim = path.join('task-1', 'pid');
  fs.writeFileSync(path.join(x, victim), 'not a number\n');
  const r = await crfsIn('pipeline', ['restart', x]);
  t.regex(assertOneLine(t, r, 1, 'broken tree'), /^crfs: restart: .*task-1\/pid/);
  t.is(r.stdout.length, 0);
  // A damaged tar: the same rule.
  const tar = tmpPath('cut.tar');
  fs.writeFileSync(tar, fs.readFileSync(await tarOfMountedImage(img)).subarray(0, 20000));
  assertOneLine(t, await crfsIn('pipeline', ['restart', tar]), 1, 'truncated tar');
});

test('restart DIR where DIR is a live `crfs run --mount` checkpoint (served by another process)', async (t) => {
  const img = await cutImage('pipeline', 0.5);
  const dir = path.resolve(tmpPath('live'));
  const m = await startMountChild(['run', '--checkpoint-at', String(img.cut), '--mount', dir, img.c.program, ...img.c.args], dir, img.c.cwd, 'stderr');
  let r;
  try {
    r = await runToEnd(img.c, ['restart', dir]);
  } finally {
    fs.writeFileSync(path.join(dir, 'done'), '1\n');
  }
  const original = await m.exited;
  t.is(r.status, img.base.status, r.stderr.toString());
  t.is(latin1(Buffer.concat([img.before.stdout, r.stdout])), latin1(img.base.stdout));
  t.is(latin1(original.stdout), latin1(img.base.stdout));
});
