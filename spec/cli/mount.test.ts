// `crfs mount IMAGE DIR` serves a stored image as a tree until unmounted or signalled; `crfs run --mount` mounts a live checkpoint.
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crfs, removeTmpRoot, tmpPath } from '../restart/harness';
import { cutImage } from '../restart/cli-fixtures';
import { assertOneLine } from '../restart/cli-fixtures';
import { isMounted, runTool, startMountChild, unmountAll } from './mount-helpers';

test.after.always(async () => {
  await unmountAll();
  removeTmpRoot();
});

const mountDir = (label: string): string => path.resolve(tmpPath(label));

test('crfs mount serves a blob: task fds listed, shared files hard-linked, tar of it converts back to the image, SIGTERM unmounts', async (t) => {
  const img = await cutImage('pipeline', 0.5);
  const dir = mountDir('mnt');
  const m = await startMountChild(['mount', img.file, dir], dir, img.c.cwd, 'stdout');
  const fds = (await runTool('ls', [path.join(dir, 'task-1', 'fds')])).toString().split('\n').filter(Boolean);
  // The pipeline's init has stdin, stdout and stderr at least (Linux fd numbering: 0, 1, 2).
  t.true(['0', '1', '2'].every((n) => fds.includes(n)), fds.join(' '));
  // A file forked into the children is one object: the same inode under every task, st_nlink = places.
  const files1 = fs.readdirSync(path.join(dir, 'task-1', 'files')).filter((n) => /^\d+$/.test(n));
  const probe = files1.map((n) => path.join('task-1', 'files', n, 'f_pos')).find((p) => fs.existsSync(path.join(dir, p)));
  t.truthy(probe);
  const [links, ino] = (await runTool('stat', ['-c', '%h %i', path.join(dir, probe!)])).toString().trim().split(' ').map(Number);
  t.true(links > 1, `st_nlink ${links}`);
  const sameInode = (await runTool('find', [dir, '-inum', String(ino)])).toString().split('\n').filter(Boolean);
  t.is(sameInode.length, links, sameInode.join(' '));
  const tar = tmpPath('mnt.tar');
  await runTool('tar', ['cf', tar, '-C', dir, '.']);
  const blob = tmpPath('from-tar.img');
  const b = await crfs(img.c, ['blob', '-o', blob, tar]);
  t.is(b.status, 0, b.stderr.toString());
  t.true(fs.readFileSync(blob).equals(img.bytes), 'crfs blob of tar c of the mount equals the image');
  m.child.kill('SIGTERM');
  const end = await m.exited;
  t.is(end.status, 0, end.stderr.toString());
  t.false(isMounted(dir));
});

test('crfs mount of a tar ends with status 0 when the directory is unmounted with fusermount -u', async (t) => {
  const img = await cutImage('pipeline', 0.5);
  const tar = tmpPath('img.tar');
  const first = mountDir('mnt-a');
  const a = await startMountChild(['mount', img.file, first], first, img.c.cwd, 'stdout');
  await runTool('tar', ['cf', tar, '-C', first, '.']);
  a.child.kill('SIGINT');
  t.is((await a.exited).status, 0);
  const dir = mountDir('mnt-b');
  const m = await startMountChild(['mount', tar, dir], dir, img.c.cwd, 'stdout');
  t.true(fs.readdirSync(dir).includes('task-1'));
  await runTool('fusermount', ['-u', dir]);
  const end = await m.exited;
  t.is(end.status, 0, end.stderr.toString());
  t.false(isMounted(dir));
});

test('crfs mount of something that is no image is one line, exit 1, nothing mounted', async (t) => {
  const img = await cutImage('hello', 0.5);
  const bad = tmpPath('not-a-tree');
  fs.mkdirSync(bad);
  fs.writeFileSync(path.join(bad, 'junk'), 'x\n');
  const dir = mountDir('mnt-bad');
  assertOneLine(t, await crfs(img.c, ['mount', bad, dir]), 1, 'bad tree');
  t.false(isMounted(dir));
});

test('run --checkpoint-at N --mount DIR: frozen until done, the tree equals push mode, the program then runs to its end', async (t) => {
  const img = await cutImage('pipeline', 0.5);
  // The reference: push mode at the same cut, thawing afterwards (the flags a lazy checkpoint records).
  const push = tmpPath('push.img');
  const p = await crfs(img.c, ['run', '--checkpoint-at', String(img.cut), '--image', push, '--then', 'continue', img.c.program, ...img.c.args]);
  t.is(p.status, img.base.status, p.stderr.toString());
  const dir = mountDir('live');
  const report = tmpPath('report.json');
  const m = await startMountChild(
    ['run', '--checkpoint-at', String(img.cut), '--mount', dir, '--report', report, img.c.program, ...img.c.args], dir, img.c.cwd, 'stderr');
  t.true(fs.readdirSync(dir).includes('done'));
  // Frozen: after a while the program has printed exactly what a run cut at the same point printed.
  await new Promise((r) => setTimeout(r, 500));
  t.is(Buffer.concat(m.stdout).toString('latin1'), img.before.stdout.toString('latin1'));
  const tar = tmpPath('live.tar');
  await runTool('tar', ['cf', tar, '-C', dir, '.']);
  const blob = await crfs(img.c, ['blob', tar]);
  t.true(blob.stdout.equals(fs.readFileSync(push)), 'tar of the live mount converts to the push-mode blob');
  fs.writeFileSync(path.join(dir, 'done'), '1\n');
  const end = await m.exited;
  t.is(end.status, img.base.status, end.stderr.toString());
  t.is(end.stdout.toString('latin1'), img.base.stdout.toString('latin1'));
  t.false(isMounted(dir));
  // Diagnostics stay off the program's stdout: the mount path was on stderr only.
  t.false(end.stdout.toString().includes(dir));
  const rep = JSON.parse(fs.readFileSync(report, 'utf8')) as Record<string, unknown>;
  t.is(rep.mode, 'lazy');
  t.is(rep.mount, dir);
  t.is(rep.bytes, fs.statSync(push).size);
  t.true(typeof rep.downtime_ms === 'number' && rep.downtime_ms > 0);
});

test('run --mount: unmounting the directory ends the checkpoint as done would', async (t) => {
  const img = await cutImage('pipeline', 0.3);
  const dir = mountDir('live-u');
  const m = await startMountChild(['run', '--checkpoint-at', String(img.cut), '--mount', dir, img.c.program, ...img.c.args], dir, img.c.cwd, 'stderr');
  await runTool('fusermount', ['-u', dir]);
  const end = await m.exited;
  t.is(end.status, img.base.status, end.stderr.toString());
  t.is(end.stdout.toString('latin1'), img.base.stdout.toString('latin1'));
});

test('run --mount --mode copy: the program runs on at once, the mount keeps the state of the cut, crfs ends with done', async (t) => {
  const img = await cutImage('pipeline', 0.3);
  const push = tmpPath('push-copy.img');
  const p = await crfs(img.c, ['run', '--checkpoint-at', String(img.cut), '--image', push, '--then', 'continue', img.c.program, ...img.c.args]);
  t.is(p.status, img.base.status, p.stderr.toString());
  const dir = mountDir('copy');
  const report = tmpPath('copy-report.json');
  const m = await startMountChild(
    ['run', '--checkpoint-at', String(img.cut), '--mount', dir, '--mode', 'copy', '--report', report, img.c.program, ...img.c.args], dir, img.c.cwd, 'stderr');
  // Not frozen: the program prints everything an uninterrupted run prints while the mount is up.
  const deadline = Date.now() + 20_000;
  while (Buffer.concat(m.stdout).length < img.base.stdout.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  t.is(Buffer.concat(m.stdout).toString('latin1'), img.base.stdout.toString('latin1'));
  t.true(isMounted(dir), 'the mount outlives the program until done');
  // The tasks wrote their memory after the cut; the checkpoint still shows the cut.
  const tar = tmpPath('copy.tar');
  await runTool('tar', ['cf', tar, '-C', dir, '.']);
  const blob = await crfs(img.c, ['blob', tar]);
  t.true(blob.stdout.equals(fs.readFileSync(push)), 'tar of the copy-mode mount converts to the push-mode blob of the same cut');
  fs.writeFileSync(path.join(dir, 'done'), '1\n');
  const end = await m.exited;
  t.is(end.status, img.base.status, end.stderr.toString());
  t.false(isMounted(dir));
  const rep = JSON.parse(fs.readFileSync(report, 'utf8')) as Record<string, unknown>;
  t.is(rep.mode, 'copy');
  t.is(rep.bytes, fs.statSync(push).size);
  t.true(typeof rep.downtime_ms === 'number' && typeof rep.downtime_instructions === 'number');
  t.true((rep.memory_bytes as number) > 0);
});
