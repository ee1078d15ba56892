// newfstatat/fstat/statx (riscv64 struct layouts), faccessat, fchmod(at), utimensat, readlinkat, hard-link counts.
import test from 'ava';
import { DEFAULT_REALTIME_BASE_NS } from '../../lib/emukernel/clock';
import { EACCES, EINVAL, ENOENT, EPERM } from '../../lib/emukernel/errno';
import {
  AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, F_OK, NR_FSTAT, NR_NEWFSTATAT, O_CREAT, O_RDWR, R_OK, ROOT_DEV, W_OK,
  X_OK,
} from '../../lib/emukernel/fs/constants';
import { NR } from '../../lib/emukernel/syscall-numbers';
import { Ctx, call, makeCtx, textAt } from './fixture';

const BASE_SEC = Number(DEFAULT_REALTIME_BASE_NS / 1_000_000_000n);

/** The fields of struct stat at the offsets of asm-generic/stat.h (riscv64 uses the generic 128-byte layout). */
function stat(c: Ctx, path: string, flags = 0, dirfd = AT_FDCWD) {
  const st = c.mm.alloc(128);
  const r = call(c, NR_NEWFSTATAT, dirfd, c.mm.cstr(path), st, flags);
  if (r !== 0) return r;
  const u64 = (o: number) => c.mm.readU64Num(st + o) ?? -1;
  const u32 = (o: number) => c.mm.readU32(st + o) ?? -1;
  return {
    dev: u64(0), ino: u64(8), mode: u32(16), nlink: u32(20), uid: u32(24), gid: u32(28), size: u64(48),
    blksize: u32(56), blocks: u64(64), atime: u64(72), atimeNs: u64(80), mtime: u64(88), mtimeNs: u64(96),
    ctime: u64(104), ctimeNs: u64(112),
  };
}

function open(c: Ctx, path: string, flags: number, mode = 0o644): number {
  return call(c, NR.openat, AT_FDCWD, c.mm.cstr(path), flags, mode);
}

test('struct stat of a regular file: type, mode, size, blksize 4096, device of the root, owner 0', (t) => {
  const c = makeCtx();
  c.k.rootfs.writeFile('/f', Buffer.from('12345'), 0o640);
  const s = stat(c, '/f');
  if (typeof s === 'number') return t.fail(`stat ${s}`);
  t.is(s.mode, 0o100640);
  t.is(s.nlink, 1);
  t.is(s.size, 5);
  t.is(s.blksize, 4096);
  t.is(s.blocks, 8);
  t.is(s.dev, ROOT_DEV);
  t.is(s.uid, 0);
  t.true(s.ino > 1);
});

test('timestamps come from the virtual clock: a write at 2.5 s moves mtime and ctime, not atime', (t) => {
  const c = makeCtx();
  const fd = open(c, '/t', O_CREAT | O_RDWR);
  const before = stat(c, '/t');
  if (typeof before === 'number') return t.fail();
  t.is(before.mtime, BASE_SEC);
  t.is(before.mtimeNs, 0);
  c.k.instructions = 2_500_000_000;
  call(c, NR.write, fd, c.mm.put('x'), 1);
  const after = stat(c, '/t');
  if (typeof after === 'number') return t.fail();
  t.deepEqual([after.mtime, after.mtimeNs], [BASE_SEC + 2, 500_000_000]);
  t.deepEqual([after.ctime, after.ctimeNs], [BASE_SEC + 2, 500_000_000]);
  t.deepEqual([after.atime, after.atimeNs], [BASE_SEC, 0]);
});

test('stat follows symlinks, AT_SYMLINK_NOFOLLOW describes the link (size = target length)', (t) => {
  const c = makeCtx();
  c.k.rootfs.writeFile('/target', Buffer.from('abc'));
  c.k.rootfs.symlinkAt('/ln', 'target');
  const s = stat(c, '/ln');
  const l = stat(c, '/ln', AT_SYMLINK_NOFOLLOW);
  if (typeof s === 'number' || typeof l === 'number') return t.fail();
  t.is(s.mode & 0o170000, 0o100000);
  t.is(s.size, 3);
  t.is(l.mode, 0o120777);
  t.is(l.size, 6);
  t.is(stat(c, '/ln', 0x1 /* unknown flag */), -EINVAL);
});

test('AT_EMPTY_PATH stats the fd itself; fstat agrees; without the flag "" is ENOENT', (t) => {
  const c = makeCtx();
  const fd = open(c, '/e', O_CREAT | O_RDWR);
  const viaAt = stat(c, '', AT_EMPTY_PATH, fd);
  if (typeof viaAt === 'number') return t.fail();
  const st = c.mm.alloc(128);
  t.is(call(c, NR_FSTAT, fd, st), 0);
  t.is(c.mm.readU64Num(st + 8), viaAt.ino);
  t.is(stat(c, '', 0, fd), -ENOENT);
});

test('hard links share the inode: same st_ino, nlink counts names, unlink decrements', (t) => {
  const c = makeCtx();
  c.k.rootfs.writeFile('/a', Buffer.from('x'));
  t.is(call(c, NR.linkat, AT_FDCWD, c.mm.cstr('/a'), AT_FDCWD, c.mm.cstr('/b'), 0), 0);
  const a = stat(c, '/a'), b = stat(c, '/b');
  if (typeof a === 'number' || typeof b === 'number') return t.fail();
  t.is(a.ino, b.ino);
  t.is(a.nlink, 2);
  call(c, NR.unlinkat, AT_FDCWD, c.mm.cstr('/a'), 0);
  const b2 = stat(c, '/b');
  if (typeof b2 === 'number') return t.fail();
  t.is(b2.nlink, 1);
  const d = stat(c, '/');
  if (typeof d === 'number') return t.fail();
  c.k.rootfs.mkdirp('/sub1');
  c.k.rootfs.mkdirp('/sub2');
  const d2 = stat(c, '/');
  if (typeof d2 === 'number') return t.fail();
  t.is(d2.nlink, d.nlink + 2, 'each subdirectory\'s ".." links its parent');
});

test('statx fills the basic stats with the same values as newfstatat', (t) => {
  const c = makeCtx();
  c.k.rootfs.writeFile('/x', Buffer.from('hello'), 0o600);
  const buf = c.mm.alloc(256);
  t.is(call(c, NR.statx, AT_FDCWD, c.mm.cstr('/x'), 0, 0x7ff, buf), 0);
  const s = stat(c, '/x');
  if (typeof s === 'number') return t.fail();
  t.is((c.mm.readU32(buf) ?? 0) & 0x7ff, 0x7ff);
  t.is(c.mm.readU32(buf + 4), 4096);
  t.is(c.mm.readU32(buf + 16), 1);
  t.is((c.mm.readU32(buf + 28) ?? 0) & 0xffff, 0o100600);
  t.is(c.mm.readU64Num(buf + 32), s.ino);
  t.is(c.mm.readU64Num(buf + 40), 5);
  t.is(c.mm.readU64Num(buf + 112), s.mtime);
});

test('faccessat: root reads and writes anything but executes only with an x bit; bad modes are EINVAL', (t) => {
  const c = makeCtx();
  c.k.rootfs.writeFile('/plain', Buffer.from(''), 0o000);
  c.k.rootfs.writeFile('/prog', Buffer.from(''), 0o100);
  const access = (p: string, m: number) => call(c, NR.faccessat, AT_FDCWD, c.mm.cstr(p), m);
  t.is(access('/plain', R_OK | W_OK), 0);
  t.is(access('/plain', X_OK), -EACCES);
  t.is(access('/prog', X_OK), 0);
  t.is(access('/', X_OK), 0);
  t.is(access('/missing', F_OK), -ENOENT);
  t.is(access('/plain', 8), -EINVAL);
  c.t.uid = 1000;
  t.is(access('/plain', R_OK), -EACCES);
  t.is(call(c, NR.faccessat2, AT_FDCWD, c.mm.cstr('/plain'), F_OK, 0x8000), -EINVAL);
});

test('fchmod/fchmodat change the permission bits and ctime; a non-owner gets EPERM', (t) => {
  const c = makeCtx();
  const fd = open(c, '/m', O_CREAT | O_RDWR, 0o600);
  c.k.instructions = 1_000_000_000;
  t.is(call(c, NR.fchmod, fd, 0o4755), 0);
  const s = stat(c, '/m');
  if (typeof s === 'number') return t.fail();
  t.is(s.mode, 0o104755);
  t.is(s.ctime, BASE_SEC + 1);
  t.is(call(c, NR.fchmodat, AT_FDCWD, c.mm.cstr('/m'), 0o644), 0);
  c.t.uid = 1000;
  t.is(call(c, NR.fchmodat, AT_FDCWD, c.mm.cstr('/m'), 0o777), -EPERM);
});

test('utimensat sets explicit times, UTIME_OMIT keeps one, a NULL times pointer means now', (t) => {
  const c = makeCtx();
  c.k.rootfs.writeFile('/u', Buffer.from('u'));
  const ts = c.mm.alloc(32);
  c.mm.writeU64Num(ts, 1000);
  c.mm.writeU64Num(ts + 8, 5);
  c.mm.writeU64Num(ts + 16, 0);
  c.mm.writeU64Num(ts + 24, 0x3ffffffe);
  t.is(call(c, NR.utimensat, AT_FDCWD, c.mm.cstr('/u'), ts, 0), 0);
  let s = stat(c, '/u');
  if (typeof s === 'number') return t.fail();
  t.deepEqual([s.atime, s.atimeNs, s.mtime], [1000, 5, BASE_SEC]);
  c.k.instructions = 3_000_000_000;
  t.is(call(c, NR.utimensat, AT_FDCWD, c.mm.cstr('/u'), 0, 0), 0);
  s = stat(c, '/u');
  if (typeof s === 'number') return t.fail();
  t.deepEqual([s.atime, s.mtime], [BASE_SEC + 3, BASE_SEC + 3]);
  c.mm.writeU64Num(ts + 8, 1_000_000_000);
  t.is(call(c, NR.utimensat, AT_FDCWD, c.mm.cstr('/u'), ts, 0), -EINVAL);
});

test('readlinkat: the target without NUL, cut to bufsiz; /proc/self/exe is the program being run', (t) => {
  const c = makeCtx();
  c.k.rootfs.symlinkAt('/l', 'some/where');
  const buf = c.mm.alloc(64);
  t.is(call(c, NR.readlinkat, AT_FDCWD, c.mm.cstr('/l'), buf, 64), 10);
  t.is(textAt(c.mm, buf, 10), 'some/where');
  t.is(call(c, NR.readlinkat, AT_FDCWD, c.mm.cstr('/l'), buf, 4), 4);
  t.is(call(c, NR.readlinkat, AT_FDCWD, c.mm.cstr('/l'), buf, 0), -EINVAL);
  t.is(call(c, NR.readlinkat, AT_FDCWD, c.mm.cstr('/proc/self/exe'), buf, 64), -ENOENT, 'no program yet');
  c.mm.exePath = '/bin/prog';
  t.is(call(c, NR.readlinkat, AT_FDCWD, c.mm.cstr('/proc/self/exe'), buf, 64), 9);
  t.is(textAt(c.mm, buf, 9), '/bin/prog');
  t.is(call(c, NR.readlinkat, AT_FDCWD, c.mm.cstr(`/proc/${c.t.tgid}/exe`), buf, 64), 9);
});
