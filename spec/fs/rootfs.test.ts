// RootFs: the memfs root's skeleton, host import, export, exec's reader, timestamps, inode lifetime.
import test from 'ava';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EACCES, EISDIR, ELOOP, ENOENT, ENOTDIR, KernelError } from '../../lib/emukernel/errno';
import { inodeOf } from '../../lib/emukernel/fs/dentry';
import { RootFs } from '../../lib/emukernel/fs/rootfs';

function errnoOf(fn: () => unknown): number {
  try {
    fn();
  } catch (e) {
    if (e instanceof KernelError) return e.errno;
    throw e;
  }
  return 0;
}

test('a fresh root: "/" is inode 1 with two links, /tmp is 1777, /dev has null, zero and full', (t) => {
  const r = new RootFs();
  const root = inodeOf(r.root);
  t.is(root.ino, 1);
  t.is(root.mode, 0o40755);
  t.is(root.nlink, 4, '".", its entry, and the ".." of /tmp and /dev');
  t.is(inodeOf(r.lookup('/tmp')).mode, 0o41777);
  for (const d of ['null', 'zero', 'full']) t.is(inodeOf(r.lookup(`/dev/${d}`)).mode & 0o170000, 0o020000);
});

test('writeFile, exportFile and readFile round-trip bytes; errors are KernelErrors with Linux errnos', (t) => {
  const r = new RootFs();
  r.writeFile('/a/b/c.bin', Uint8Array.from([1, 2, 3]));
  t.deepEqual([...r.exportFile('/a/b/c.bin')], [1, 2, 3]);
  t.deepEqual([...r.readFile('b/c.bin', '/a')], [1, 2, 3]);
  t.is(errnoOf(() => r.readFile('/a/missing')), ENOENT);
  t.is(errnoOf(() => r.readFile('/a/b')), EISDIR);
  t.is(errnoOf(() => r.readFile('/a/b/c.bin/x')), ENOTDIR);
  r.writeFile('/a/b/c.bin', Uint8Array.from([9]));
  t.deepEqual([...r.exportFile('/a/b/c.bin')], [9], 'a second write replaces the content');
});

test('mkdirp creates what is missing, returns the directory, and stops at a file with ENOTDIR', (t) => {
  const r = new RootFs();
  const d = r.mkdirp('/x/y/z', 0o700);
  t.is(inodeOf(d).mode, 0o40700);
  t.is(r.pathOf(d), '/x/y/z');
  t.is(r.mkdirp('/x/y'), r.lookup('/x/y'));
  r.writeFile('/x/file', new Uint8Array(0));
  t.is(errnoOf(() => r.mkdirp('/x/file/sub')), ENOTDIR);
});

test('readExecutable: needs an execute bit and a regular file (EACCES otherwise); reports the resolved path', (t) => {
  const r = new RootFs();
  r.writeFile('/bin/prog', Uint8Array.from([0x7f]), 0o755);
  r.writeFile('/bin/data', Uint8Array.from([0]), 0o644);
  r.symlinkAt('/usr/bin/alias', '../../bin/prog');
  const exe = r.readExecutable('/usr/bin/alias');
  t.is(exe.path, '/bin/prog');
  t.deepEqual([...exe.data], [0x7f]);
  t.is(errnoOf(() => r.readExecutable('/bin/data')), EACCES);
  t.is(errnoOf(() => r.readExecutable('/bin')), EACCES);
  t.is(errnoOf(() => r.readExecutable('/bin/none')), ENOENT);
});

test('symlink loops end in ELOOP; a chain of 40 links resolves, 41 does not (MAXSYMLINKS)', (t) => {
  const r = new RootFs();
  r.symlinkAt('/l1', 'l2');
  r.symlinkAt('/l2', 'l1');
  t.is(errnoOf(() => r.lookup('/l1')), ELOOP);
  r.writeFile('/end', Uint8Array.from([1]));
  r.symlinkAt('/c0', 'end');
  for (let i = 1; i <= 40; i++) r.symlinkAt(`/c${i}`, `c${i - 1}`);
  t.is(inodeOf(r.lookup('/c39')).ino, inodeOf(r.lookup('/end')).ino);
  t.is(errnoOf(() => r.lookup('/c40')), ELOOP);
});

test('timestamps come from the clock function given to the constructor', (t) => {
  let now = 5_000_000_007n;
  const r = new RootFs(() => now);
  now = 9_000_000_000n;
  const inode = r.writeFile('/f', Uint8Array.from([1]));
  t.is(inode.mtimeNs, 9_000_000_000n);
  t.is(inode.btimeNs, 9_000_000_000n);
  t.is(inodeOf(r.root).btimeNs, 5_000_000_007n);
});

test('importHostFile keeps the mode bits; importHostDir copies files, symlinks and (recursively) directories', (t) => {
  const host = fs.mkdtempSync(path.join(os.tmpdir(), 'crfs-import-'));
  try {
    fs.writeFileSync(path.join(host, 'tool'), 'TOOL');
    fs.chmodSync(path.join(host, 'tool'), 0o751);
    fs.mkdirSync(path.join(host, 'sub'));
    fs.writeFileSync(path.join(host, 'sub', 'deep'), 'DEEP');
    fs.symlinkSync('tool', path.join(host, 'link'));
    const r = new RootFs();
    r.importHostFile(path.join(host, 'tool'), '/opt/one/tool');
    t.is(inodeOf(r.lookup('/opt/one/tool')).mode & 0o7777, 0o751);
    r.importHostDir(host, '/flat');
    t.is(Buffer.from(r.exportFile('/flat/tool')).toString(), 'TOOL');
    t.is(inodeOf(r.lookup('/flat/link', '/', false)).symlink, 'tool');
    t.is(errnoOf(() => r.lookup('/flat/sub/deep')), ENOENT, 'not recursive unless asked');
    r.importHostDir(host, '/deep', { recursive: true });
    t.is(Buffer.from(r.exportFile('/deep/sub/deep')).toString(), 'DEEP');
    t.is(errnoOf(() => r.importHostFile(path.join(host, 'nope'), '/x')), ENOENT);
  } finally {
    fs.rmSync(host, { recursive: true, force: true });
  }
});

test('an inode outlives its last name while held and is freed after the last release', (t) => {
  const r = new RootFs();
  const inode = r.writeFile('/held', Uint8Array.from([1, 2]));
  r.retainInode(inode);
  const n = r.inodeCount();
  inode.nlink = 0;
  r.freeIfUnused(inode);
  t.is(r.inodeCount(), n);
  t.deepEqual([...inode.readAt(0, 10)], [1, 2]);
  r.releaseInode(inode);
  t.is(r.inodeCount(), n - 1);
});
