// The root filesystem survives checkpoint then restore: names in readdir order, inode numbers, links, holes, times, devices.
import test from 'ava';
import { createHash } from 'crypto';
import { RestoreError } from '../../lib/emukernel/checkpoint/context';
import {
  AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_NOFOLLOW, NR_FSTAT, NR_FTRUNCATE, NR_LSEEK, NR_NEWFSTATAT, O_CREAT, O_DIRECTORY,
  O_RDONLY, O_RDWR, O_TMPFILE, O_WRONLY, SEEK_DATA, SEEK_HOLE, SEEK_SET,
} from '../../lib/emukernel/fs/constants';
import { checkpointFileTable, checkpointRootfs, restoreRootfs } from '../../lib/emukernel/fs/checkpoint';
import type { FdTable } from '../../lib/emukernel/fs/fdtable';
import { inodeOf } from '../../lib/emukernel/fs/dentry';
import { ROOTFS_ZERO_FILL_LIMIT } from '../../lib/emukernel/fs/checkpoint-rootfs';
import type { Kernel } from '../../lib/emukernel/kernel';
import { NR } from '../../lib/emukernel/syscall-numbers';
import { Ctx, addProcess, bytesAt, call, makeCtx } from '../fs/fixture';
import { freshKernel, recordsNamed, restorer, writeImage } from './fs-roundtrip';

const FALLOC_FL_KEEP_SIZE = 1, FALLOC_FL_PUNCH_HOLE = 2;
const BS = 4096;

function open(c: Ctx, path: string, flags: number, mode = 0o644): number {
  const fd = call(c, NR.openat, AT_FDCWD, c.mm.cstr(path), flags, mode);
  if (fd < 0) throw new Error(`open ${path}: ${fd}`);
  return fd;
}

function pwrite(c: Ctx, fd: number, text: string, at: number): void {
  const n = call(c, NR.pwrite64, fd, c.mm.put(text), Buffer.byteLength(text), at);
  if (n !== Buffer.byteLength(text)) throw new Error(`pwrite: ${n}`);
}

function ok(n: number, what: string): void {
  if (n < 0) throw new Error(`${what}: ${n}`);
}

/** struct timespec[2] for utimensat. */
function times(c: Ctx, aSec: number, aNs: number, mSec: number, mNs: number): number {
  const a = c.mm.alloc(32);
  c.mm.writeU64(a, BigInt(aSec));
  c.mm.writeU64Num(a + 8, aNs);
  c.mm.writeU64(a + 16, BigInt(mSec));
  c.mm.writeU64Num(a + 24, mNs);
  return a;
}

/** A tree with what a root can hold: nesting, renames and unlinks (readdir gaps), hard and symbolic links, holes, modes, owners, times. */
function buildTree(c: Ctx): void {
  const mk = (p: string, mode: number): void => ok(call(c, NR.mkdirat, AT_FDCWD, c.mm.cstr(p), mode), `mkdir ${p}`);
  mk('/a', 0o755);
  mk('/a/b', 0o700);
  mk('/a/b/c', 0o750);
  for (const [p, text] of [['/a/b/c/deep', 'deep'], ['/a/zeta', 'zzz'], ['/a/alpha', 'aaa'], ['/a/mid', 'mmm']] as const) {
    const fd = open(c, p, O_CREAT | O_WRONLY);
    pwrite(c, fd, text, 0);
    call(c, NR.close, fd);
  }
  ok(call(c, NR.renameat2, AT_FDCWD, c.mm.cstr('/a/alpha'), AT_FDCWD, c.mm.cstr('/a/alpha2'), 0), 'rename');
  ok(call(c, NR.unlinkat, AT_FDCWD, c.mm.cstr('/a/mid'), 0), 'unlink');
  ok(call(c, NR.linkat, AT_FDCWD, c.mm.cstr('/a/zeta'), AT_FDCWD, c.mm.cstr('/a/b/zeta-link'), 0), 'link');
  ok(call(c, NR.symlinkat, c.mm.cstr('../zeta'), AT_FDCWD, c.mm.cstr('/a/b/ln')), 'symlink');
  ok(call(c, NR.symlinkat, c.mm.cstr('/nowhere'), AT_FDCWD, c.mm.cstr('/dangling')), 'symlink');
  const sp = open(c, '/a/sparse', O_CREAT | O_RDWR);
  pwrite(c, sp, 'head', 0);
  pwrite(c, sp, 'middle', 3 * BS + 100);
  ok(call(c, NR_FTRUNCATE, sp, 10 * BS + 5), 'ftruncate');
  ok(call(c, NR.fallocate, sp, 0, 6 * BS, BS), 'fallocate');
  ok(call(c, NR.fallocate, sp, FALLOC_FL_KEEP_SIZE, 12 * BS, 2 * BS), 'fallocate keep');
  pwrite(c, sp, 'tail', 9 * BS);
  ok(call(c, NR.fallocate, sp, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 9 * BS, BS), 'punch');
  call(c, NR.close, sp);
  ok(call(c, NR.fchmodat, AT_FDCWD, c.mm.cstr('/a/zeta'), 0o4751), 'chmod');
  ok(call(c, NR.fchownat, AT_FDCWD, c.mm.cstr('/a/b'), 1000, 1001, 0), 'chown');
  ok(call(c, NR.utimensat, AT_FDCWD, c.mm.cstr('/a/zeta'), times(c, -5, 123, 1_000_000_000, 999_999_999), 0), 'utimensat');
  ok(call(c, NR.unlinkat, AT_FDCWD, c.mm.cstr('/dev/full'), 0), 'unlink /dev/full');
  ok(call(c, NR.unlinkat, AT_FDCWD, c.mm.cstr('/tmp'), AT_REMOVEDIR), 'rmdir /tmp');
}

interface Entry { path: string; ino: number; off: number; type: number; stat: string; target?: string; data?: string; seek?: number[] }

function getdents(c: Ctx, fd: number): { name: string; ino: number; off: number; type: number }[] {
  const out: { name: string; ino: number; off: number; type: number }[] = [];
  for (;;) {
    const buf = c.mm.alloc(1024);
    const n = call(c, NR.getdents64, fd, buf, 1024);
    if (n <= 0) return out;
    for (let p = buf; p < buf + n;) {
      const reclen = (c.mm.readU32(p + 16) ?? 0) & 0xffff;
      const raw = bytesAt(c.mm, p + 19, reclen - 19);
      out.push({
        ino: c.mm.readU64Num(p) ?? -1, off: c.mm.readU64Num(p + 8) ?? -1, type: raw.length ? bytesAt(c.mm, p + 18, 1)[0] : 0,
        name: Buffer.from(raw.subarray(0, raw.indexOf(0))).toString(),
      });
      p += reclen;
    }
  }
}

function statOf(c: Ctx, path: string): string {
  const st = c.mm.alloc(128);
  ok(call(c, NR_NEWFSTATAT, AT_FDCWD, c.mm.cstr(path), st, AT_SYMLINK_NOFOLLOW), `stat ${path}`);
  return Buffer.from(bytesAt(c.mm, st, 128)).toString('hex');
}

/** SEEK_DATA/SEEK_HOLE pairs over the whole file, then the ENXIO that ends them. */
function seekMap(c: Ctx, fd: number): number[] {
  const out: number[] = [];
  for (let pos = 0; out.length < 64;) {
    const d = call(c, NR_LSEEK, fd, pos, SEEK_DATA);
    out.push(d);
    if (d < 0) break;
    const h = call(c, NR_LSEEK, fd, d, SEEK_HOLE);
    out.push(h);
    pos = h;
  }
  return out;
}

/** Everything a program can learn by walking the tree with syscalls, in readdir order. */
function snapshot(c: Ctx): Entry[] {
  const out: Entry[] = [];
  const walk = (dir: string): void => {
    const fd = open(c, dir, O_RDONLY | O_DIRECTORY);
    for (const e of getdents(c, fd)) {
      const path = `${dir === '/' ? '' : dir}/${e.name}`;
      const entry: Entry = { path, ino: e.ino, off: e.off, type: e.type, stat: statOf(c, e.name === '.' || e.name === '..' ? dir : path) };
      out.push(entry);
      if (e.name === '.' || e.name === '..') continue;
      if (e.type === 10) {
        const buf = c.mm.alloc(256);
        const n = call(c, NR.readlinkat, AT_FDCWD, c.mm.cstr(path), buf, 256);
        entry.target = Buffer.from(bytesAt(c.mm, buf, n)).toString();
      } else if (e.type === 8) {
        const f = open(c, path, O_RDONLY);
        const size = 64 * BS;
        const buf = c.mm.alloc(size);
        const n = call(c, NR.pread64, f, buf, size, 0);
        entry.data = `${n}:${createHash('sha256').update(bytesAt(c.mm, buf, n)).digest('hex')}`;
        entry.seek = seekMap(c, f);
        call(c, NR.close, f);
      } else if (e.type === 4) {
        walk(path);
      }
    }
    call(c, NR.close, fd);
  };
  walk('/');
  return out;
}

/** Checkpoint k's root (and, when given, one fd table), restore into a fresh kernel with a task over it. */
function roundTrip(k: Kernel, files?: FdTable): { c2: Ctx; items: ReturnType<typeof writeImage>['items']; table: FdTable | null } {
  let ref = 0;
  const { items } = writeImage(k, (ctx) => {
    checkpointRootfs(ctx, k);
    if (files) ref = checkpointFileTable(ctx, files);
  });
  const k2 = freshKernel();
  const r = restorer(k2, items);
  restoreRootfs(r);
  r.takeObjects();
  const table = files ? r.object<FdTable>('file_table', ref, 'test') : null;
  expectTail(r);
  const { t, mm } = addProcess(k2, 1, table ?? undefined);
  return { c2: { k: k2, t, mm }, items, table };
}

function expectTail(r: ReturnType<typeof restorer>): void {
  if (r.peek()?.name !== 'tail') throw new Error(`restore stopped before ${r.peek()?.name}`);
}

test('a tree round-trips: every name in readdir order with its d_off, stat bytes, link targets, contents and hole map', (t) => {
  const c = makeCtx();
  buildTree(c);
  const { c2 } = roundTrip(c.k);
  const before = snapshot(c);
  const after = snapshot(c2);
  t.true(before.length > 15, 'the walk saw the tree');
  t.deepEqual(after, before);
  t.is(c2.k.rootfs.inodeCount(), c.k.rootfs.inodeCount());
});

test('the image replaces the fresh kernel\'s skeleton: what the container removed stays removed', (t) => {
  const c = makeCtx();
  buildTree(c);
  const { c2 } = roundTrip(c.k);
  t.is(call(c2, NR_NEWFSTATAT, AT_FDCWD, c2.mm.cstr('/tmp'), c2.mm.alloc(128), 0), -2);
  t.is(call(c2, NR_NEWFSTATAT, AT_FDCWD, c2.mm.cstr('/dev/full'), c2.mm.alloc(128), 0), -2);
  t.is(call(c2, NR_NEWFSTATAT, AT_FDCWD, c2.mm.cstr('/dev/null'), c2.mm.alloc(128), 0), 0);
});

test('inode numbers and the counter go on as before: the next file gets the same st_ino in both kernels', (t) => {
  const c = makeCtx();
  buildTree(c);
  const { c2 } = roundTrip(c.k);
  const inoOfNew = (x: Ctx): number => {
    const fd = open(x, '/a/new', O_CREAT | O_WRONLY);
    const st = x.mm.alloc(128);
    call(x, NR_FSTAT, fd, st);
    return x.mm.readU64Num(st + 8) ?? -1;
  };
  const want = inoOfNew(c);
  t.true(want > 10);
  t.is(inoOfNew(c2), want);
});

test('hard links are one inode after restore: nlink 2, a write through one name shows through the other', (t) => {
  const c = makeCtx();
  buildTree(c);
  const { c2 } = roundTrip(c.k);
  const a = inodeOf(c2.k.rootfs.lookup('/a/zeta'));
  const b = inodeOf(c2.k.rootfs.lookup('/a/b/zeta-link'));
  t.is(a, b);
  t.is(a.nlink, 2);
  t.is(a.ino, inodeOf(c.k.rootfs.lookup('/a/zeta')).ino);
  const fd = open(c2, '/a/b/zeta-link', O_WRONLY);
  pwrite(c2, fd, 'Z', 0);
  t.is(Buffer.from(c2.k.rootfs.readFile('/a/zeta')).toString(), 'Zzz');
});

test('a sparse file keeps its holes: SEEK_DATA/SEEK_HOLE, st_blocks, and fallocate\'d blocks past EOF once it grows', (t) => {
  const c = makeCtx();
  buildTree(c);
  const { c2 } = roundTrip(c.k);
  const probe = (x: Ctx): [number[], number, number] => {
    const fd = open(x, '/a/sparse', O_RDWR);
    const map = seekMap(x, fd);
    const blocks = (): number => {
      const st = x.mm.alloc(128);
      call(x, NR_FSTAT, fd, st);
      return x.mm.readU64Num(st + 64) ?? -1;
    };
    const b0 = blocks();
    call(x, NR_FTRUNCATE, fd, 16 * BS);
    return [map, b0, blocks()];
  };
  const [map, b0, grown] = probe(c);
  t.true(map.length >= 5, `several data runs: ${map.join(',')}`);
  t.true(grown > b0, 'blocks reserved past EOF count once the file reaches them');
  t.deepEqual(probe(c2), [map, b0, grown]);
});

test('readdir positions survive: resuming getdents64 at a saved d_off gives the same entries', (t) => {
  const c = makeCtx();
  buildTree(c);
  const { c2 } = roundTrip(c.k);
  const from = (x: Ctx): string[] => {
    const fd = open(x, '/a', O_RDONLY | O_DIRECTORY);
    const all = getdents(x, fd);
    call(x, NR_LSEEK, fd, all[3].off, SEEK_SET);
    return getdents(x, fd).map((e) => `${e.name}@${e.off}`);
  };
  const want = from(c);
  t.true(want.length >= 2);
  t.deepEqual(from(c2), want);
});

test('an open but unlinked file is carried as an inode with no name, readable through its fd, freed at the last close', (t) => {
  const c = makeCtx();
  const fd = open(c, '/a-file', O_CREAT | O_RDWR);
  pwrite(c, fd, 'still here', 0);
  ok(call(c, NR.unlinkat, AT_FDCWD, c.mm.cstr('/a-file'), 0), 'unlink');
  const tmp = open(c, '/', O_TMPFILE | O_RDWR, 0o600);
  pwrite(c, tmp, 'tmpfile', 0);
  const { c2, items } = roundTrip(c.k, c.t.files);
  t.is(recordsNamed(items, 'rootfs_dentry').length, recordsNamed(items, 'rootfs_inode').length - 3, 'root and the two unnamed inodes have no dentry');
  for (const [x, f, text] of [[c2, fd, 'still here'], [c2, tmp, 'tmpfile']] as const) {
    const buf = x.mm.alloc(32);
    t.is(call(x, NR.pread64, f, buf, 32, 0), text.length);
    t.is(Buffer.from(bytesAt(x.mm, buf, text.length)).toString(), text);
    const st = x.mm.alloc(128);
    call(x, NR_FSTAT, f, st);
    t.is(x.mm.readU32(st + 20), 0, 'nlink 0');
  }
  const stIno = (x: Ctx, f: number): number => { const st = x.mm.alloc(128); call(x, NR_FSTAT, f, st); return x.mm.readU64Num(st + 8) ?? -1; };
  t.is(stIno(c2, fd), stIno(c, fd));
  const n = c2.k.rootfs.inodeCount();
  t.is(n, c.k.rootfs.inodeCount());
  call(c2, NR.close, fd);
  t.is(c2.k.rootfs.inodeCount(), n - 1, 'the last close frees the unlinked inode');
});

test('a file larger than one extent chunk is split into several extents and comes back whole', (t) => {
  const c = makeCtx();
  const big = new Uint8Array(20 << 20);
  for (let i = 0; i < big.length; i += 4093) big[i] = (i / 4093) & 0xff;
  c.k.rootfs.writeFile('/big', big);
  const { c2, items } = roundTrip(c.k);
  t.true(recordsNamed(items, 'rootfs_extent').length >= 2);
  t.true(Buffer.from(c2.k.rootfs.readFile('/big')).equals(Buffer.from(big)));
});

test('the checkpoint only reads: the tree is the same after it', (t) => {
  const c = makeCtx();
  buildTree(c);
  // The walk's own reads move atimes (relatime) the first time; the second walk is the steady state.
  snapshot(c);
  const before = snapshot(c);
  writeImage(c.k, (ctx) => checkpointRootfs(ctx, c.k));
  t.deepEqual(snapshot(c), before);
});

/** Restore `items` after `edit` changed one of them; the RestoreError message. */
function restoreEdited(items: ReturnType<typeof writeImage>['items'], edit: (items: ReturnType<typeof writeImage>['items']) => void): string {
  const copy = items.map((i) => (i.kind === 'record' ? { ...i, value: { ...i.value } } : i)) as typeof items;
  edit(copy);
  const r = restorer(freshKernel(), copy);
  const e = (() => { try { restoreRootfs(r); return null; } catch (err) { return err; } })();
  if (!(e instanceof RestoreError)) throw new Error(`expected a RestoreError, got ${String(e)}`);
  return e.message;
}

test('restore refuses inconsistent roots, naming the record and offset', (t) => {
  const c = makeCtx();
  buildTree(c);
  const { items } = writeImage(c.k, (ctx) => checkpointRootfs(ctx, c.k));
  const firstOf = (xs: typeof items, name: string, n = 0): (typeof items)[number] => recordsNamed(xs, name)[n];
  t.regex(restoreEdited(items, (xs) => {
    const it = firstOf(xs, 'rootfs_inode', 3);
    if (it.kind === 'record' && it.name === 'rootfs_inode') it.value.nlink += 1;
  }), /record 'rootfs' at offset \d+: ino \d+: nlink \d+, but the names restored give \d+/);
  t.regex(restoreEdited(items, (xs) => {
    const it = firstOf(xs, 'rootfs_dentry', 1);
    if (it.kind === 'record' && it.name === 'rootfs_dentry') it.value.parent_ino = 999;
  }), /record 'rootfs_dentry' at offset \d+: parent 999 is not a directory named before it/);
  t.regex(restoreEdited(items, (xs) => {
    const a = firstOf(xs, 'rootfs_inode', 2), b = firstOf(xs, 'rootfs_inode', 3);
    if (a.kind === 'record' && a.name === 'rootfs_inode' && b.kind === 'record' && b.name === 'rootfs_inode') b.value.ino = a.value.ino;
  }), /record 'rootfs_inode' at offset \d+: ino \d+ defined twice/);
  t.regex(restoreEdited(items, (xs) => {
    // The second extent of the sparse file (the only inode with several) moved onto the first.
    const at = xs.findIndex((i) => i.kind === 'record' && i.name === 'rootfs_inode' && i.value.nr_extents >= 3);
    const it = recordsNamed(xs.slice(at), 'rootfs_extent')[1];
    if (it.kind === 'record' && it.name === 'rootfs_extent') it.value.offset = 0;
  }), /record 'rootfs_extent' at offset \d+: ino \d+: extent at 0: overlaps/);
  t.regex(restoreEdited(items, (xs) => {
    const it = firstOf(xs, 'rootfs_inode', 0);
    if (it.kind === 'record' && it.name === 'rootfs_inode') it.value.size = 1 << 30;
  }), /size or extents on a non-regular file/);
  t.regex(restoreEdited(items, (xs) => {
    const it = xs.find((i) => i.kind === 'record' && i.name === 'rootfs_inode' && i.value.nr_extents >= 3);
    if (it?.kind === 'record' && it.name === 'rootfs_inode') it.value.size = ROOTFS_ZERO_FILL_LIMIT + (1 << 20);
  }), /holes add up to more than \d+ bytes/);
  t.regex(restoreEdited(items, (xs) => {
    const it = firstOf(xs, 'rootfs', 0);
    if (it.kind === 'record' && it.name === 'rootfs') it.value.next_ino = 3;
  }), /outside 1\.\.2 \(next_ino\)/);
});
