// `crfs restart`: a blob from a file or stdin carries on; tars, directories and hostile images get one line and exit 1.
import test from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CRFS_MAIN, REPO_ROOT, RunOutcome, referenceEnv } from '../examples/harness';
import { recordOffsets } from '../image/image-bytes';
import { hostileImages } from '../restart/hostile-images';
import { baseline, crfs, removeTmpRoot, runToEnd, tmpPath } from '../restart/harness';
import {
  anywhereCase, assertOneLine, crfsIn, cutImage, fuseMountsUnder, parseImageErrorLine, processesMentioning, tarOf,
} from '../restart/cli-fixtures';

test.after.always(removeTmpRoot);

const latin1 = (b: Buffer): string => b.toString('latin1');

/** `crfs ARGS` with stdin read from `file`. */
function runCrfsWithStdin(args: string[], file: string, cwd: string): Promise<RunOutcome> {
  return new Promise((resolve, reject) => {
    const fd = fs.openSync(file, 'r');
    const child = spawn(process.execPath, [CRFS_MAIN, ...args], { cwd, env: referenceEnv(), stdio: [fd, 'pipe', 'pipe'] });
    fs.closeSync(fd);
    const out: Buffer[] = [], err: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err), status: code ?? 128 }));
  });
}

test('restart FILE carries a pipeline cut mid-run on to the uninterrupted end', async (t) => {
  const img = await cutImage('pipeline', 0.5);
  const r = await runToEnd(img.c, ['restart', img.file]);
  t.is(latin1(Buffer.concat([img.before.stdout, r.stdout])), latin1(img.base.stdout));
  t.is(r.status, img.base.status, r.stderr.toString());
  t.deepEqual(r.root, img.base.root);
});

test('restart - reads the blob from stdin before anything runs', async (t) => {
  const img = await cutImage('pipeline', 0.5);
  const r = await runCrfsWithStdin(['restart', '-'], img.file, img.c.cwd);
  t.is(latin1(Buffer.concat([img.before.stdout, r.stdout])), latin1(img.base.stdout), r.stderr.toString());
  t.is(r.status, img.base.status);
});

test('restart --checkpoint-at M --image F2 checkpoints the restarted program again, with a report', async (t) => {
  const img = await cutImage('pipeline', 0.3);
  const second = tmpPath('second.img'), report = tmpPath('second.json');
  const cut2 = Math.floor(img.base.instructions * 0.7);
  const b = await crfs(img.c, ['restart', '--checkpoint-at', String(cut2), '--image', second, '--report', report, img.file]);
  t.is(b.status, 0, b.stderr.toString());
  const rep = JSON.parse(fs.readFileSync(report, 'utf8')) as Record<string, unknown>;
  t.is(rep.mode, 'push');
  t.is(rep.mount, null);
  t.is(rep.bytes, fs.statSync(second).size);
  t.true(typeof rep.instructions === 'number' && rep.instructions >= cut2);
  const c = await runToEnd(img.c, ['restart', second]);
  t.is(latin1(Buffer.concat([img.before.stdout, b.stdout, c.stdout])), latin1(img.base.stdout));
  t.is(c.status, img.base.status);
});

test('a tar and a directory that hold no crfs tree are told apart by content: one line, exit 1', async (t) => {
  const img = await cutImage('hello', 0.5);
  // A tar of the blob file itself, not of a checkpoint tree.
  const tar = tarOf(img.file);
  const a = assertOneLine(t, await crfsIn('hello', ['restart', tar]), 1, 'tar');
  t.regex(a, /^crfs: restart: .*not a crfs tree/);
  // Told apart by content, not by name.
  const disguised = tmpPath('looks-like.img');
  fs.copyFileSync(tar, disguised);
  t.regex(assertOneLine(t, await crfsIn('hello', ['restart', disguised]), 1, 'tar named .img'), /not a crfs tree/);
  const dir = tmpPath('tree');
  fs.mkdirSync(dir);
  t.regex(assertOneLine(t, await crfsIn('hello', ['restart', dir]), 1, 'directory'), /^crfs: restart: .*not a crfs tree/);
});

test('a missing image and a bad option are one line each', async (t) => {
  t.regex(assertOneLine(t, await crfsIn('hello', ['restart', tmpPath('nothing.img')]), 1, 'missing'), /no such file/);
  assertOneLine(t, await crfsIn('hello', ['restart']), 2, 'no image');
  t.regex(assertOneLine(t, await crfsIn('hello', ['restart', '--checkpoint-at', '5', '--mount', '/tmp/x', '--image', 'x.img', 'x.img']), 2, '--mount with --image'), /exclude each other/);
  t.regex(assertOneLine(t, await crfsIn('hello', ['run', '--checkpoint-at', '5', '--mode', 'copy', '--image', tmpPath('y.img'), 'build/examples/hello']), 2, '--mode without --mount'), /--mode needs --mount/);
  t.regex(assertOneLine(t, await crfsIn('hello', ['run', '--checkpoint-at', 'soon', '--image', tmpPath('x.img'), 'build/examples/hello']), 2, 'bad N'), /--checkpoint-at/);
  t.regex(assertOneLine(t, await crfsIn('hello', ['run', '--image', tmpPath('x.img'), 'build/examples/hello']), 2, 'image without N'), /--checkpoint-at/);
});

test('hostile images: one line naming the record type and offset, exit 1, nothing run, nothing left behind', async (t) => {
  const img = await cutImage('pipeline', 0.5);
  const variants = hostileImages(img.bytes);
  const dir = tmpPath('hostile');
  fs.mkdirSync(dir);
  await Promise.all(variants.map(async (v, i) => {
    const file = path.join(dir, `${i}.img`);
    fs.writeFileSync(file, v.image);
    const r = await crfs(img.c, ['restart', file]);
    const err = assertOneLine(t, r, 1, v.title);
    t.is(r.stdout.length, 0, `${v.title}: the program printed nothing`);
    const named = parseImageErrorLine(err, 'restart');
    if (!named) return void t.fail(`${v.title}: not "crfs: restart: image: record 'R' at offset N: ...": ${err}`);
    if (v.record !== null) t.is(named[0], v.record, `${v.title}: record named: ${err}`);
    if (v.offset !== null) t.is(named[1], v.offset, `${v.title}: offset named: ${err}`);
    else t.true(named[1] <= v.maxOffset, `${v.title}: offset ${named[1]} within the image (${v.maxOffset}): ${err}`);
  }));
  t.deepEqual(fuseMountsUnder(path.dirname(img.file)), [], 'no FUSE mount left');
  t.deepEqual(processesMentioning(dir), [], 'no stray process');
});

test('a failed checkpoint loses nothing; its image is refused naming the error record', async (t) => {
  const c = anywhereCase('hello');
  const src = path.join(REPO_ROOT, 'spec', 'restart', 'fixtures', 'vfork-spin.c');
  const rel = 'build/examples/vfork-spin';
  execFileSync('riscv64-linux-gnu-gcc', ['-static', '-O2', '-o', path.join(c.cwd, rel), src]);
  const prog = { ...c, program: rel, args: [] };
  const base = await baseline({ ...prog, name: 'vfork-spin' });
  t.is(base.status, 0, base.stderr.toString());
  const img = tmpPath('failed.img');
  const r = await crfs(c, ['run', '--checkpoint-at', String(Math.floor(base.instructions / 2)), '--image', img, rel]);
  t.is(latin1(r.stdout), latin1(base.stdout), 'the program ran to its end');
  t.is(r.status, base.status);
  t.regex(r.stderr.toString(), /^crfs: checkpoint failed: [^\n]*vfork[^\n]*\n$/, 'one line with the reason');
  const bytes = fs.readFileSync(img);
  const errorAt = recordOffsets(bytes).find((o) => bytes.readUInt32LE(o) === 9999);
  t.not(errorAt, undefined, 'the image ends with an error record');
  const rs = await crfs(c, ['restart', img]);
  const named = parseImageErrorLine(assertOneLine(t, rs, 1, 'restart of a failed checkpoint'), 'restart');
  t.deepEqual(named, ['error', errorAt ?? -1]);
  t.is(rs.stdout.length, 0);
});
