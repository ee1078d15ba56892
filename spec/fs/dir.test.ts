// getdents64 (linux_dirent64 layout, d_type, stable offsets), getcwd, chdir, fchdir, umask.
import test from 'ava';
import { EACCES, EINVAL, ENOENT, ENOTDIR, ERANGE } from '../../lib/emukernel/errno';
import {
  AT_FDCWD, AT_REMOVEDIR, DT_DIR, DT_LNK, DT_REG, NR_FSTAT, NR_LSEEK, O_CREAT, O_DIRECTORY, O_RDONLY, O_WRONLY,
  SEEK_SET,
} from '../../lib/emukernel/fs/constants';
import { NR } from '../../lib/emukernel/syscall-numbers';
import { Ctx, call, makeCtx, textAt } from './fixture';

interface Dirent {
  ino: number;
  off: number;
  reclen: number;
  type: number;
  name: string;
}

/** Parse linux_dirent64 records: u64 d_ino, s64 d_off, u16 d_reclen, u8 d_type, NUL-terminated d_name. */
function parse(c: Ctx, addr: number, len: number): Dirent[] {
  const out: Dirent[] = [];
  for (let p = addr; p < addr + len;) {
    const reclen = (c.mm.readU32(p + 16) ?? 0) & 0xffff;
    const type = (c.mm.read(p + 18, 1) ?? [0])[0];
    const raw = c.mm.read(p + 19, reclen - 19) ?? new Uint8Array(0);
    out.push({
      ino: c.mm.readU64Num(p) ?? -1, off: c.mm.readU64Num(p + 8) ?? -1, reclen, type,
      name: Buffer.from(raw.subarray(0, raw.indexOf(0))).toString(),
    });
    p += reclen;
  }
  return out;
}

function getdents(c: Ctx, fd: number, size = 4096): Dirent[] {
  const buf = c.mm.alloc(size);
  const n = call(c, NR.getdents64, fd, buf, size);
  if (n < 0) throw new Error(`getdents64: ${n}`);
  return parse(c, buf, n);
}

function inoOf(c: Ctx, path: string): number {
  const st = c.mm.alloc(128);
  const fd = call(c, NR.openat, AT_FDCWD, c.mm.cstr(path), 0o10000000 /* O_PATH */, 0);
  call(c, NR_FSTAT, fd, st);
  call(c, NR.close, fd);
  return c.mm.readU64Num(st + 8) ?? -1;
}

function setup(): Ctx {
  const c = makeCtx();
  const fs = c.k.rootfs;
  fs.mkdirp('/d/sub');
  fs.writeFile('/d/zeta', Buffer.from('z'));
  fs.writeFile('/d/alpha', Buffer.from('a'));
  fs.symlinkAt('/d/ln', 'zeta');
  return c;
}

test('getdents64: ".", "..", then entries in creation order, with inode numbers, types and 8-byte aligned records', (t) => {
  const c = setup();
  const fd = call(c, NR.openat, AT_FDCWD, c.mm.cstr('/d'), O_RDONLY | O_DIRECTORY, 0);
  const ents = getdents(c, fd);
  t.deepEqual(ents.map((e) => [e.name, e.type]), [
    ['.', DT_DIR], ['..', DT_DIR], ['sub', DT_DIR], ['zeta', DT_REG], ['alpha', DT_REG], ['ln', DT_LNK],
  ]);
  t.is(ents[0].ino, inoOf(c, '/d'));
  t.is(ents[1].ino, inoOf(c, '/'));
  t.is(ents[3].ino, inoOf(c, '/d/zeta'));
  for (const e of ents) {
    t.is(e.reclen % 8, 0);
    t.is(e.reclen, (19 + Buffer.byteLength(e.name) + 1 + 7) & ~7);
  }
  t.deepEqual(getdents(c, fd), [], 'the end of the directory');
});

test('getdents64 offsets are stable: lseek to any d_off resumes after that entry, deletions in between are skipped', (t) => {
  const c = setup();
  const fd = call(c, NR.openat, AT_FDCWD, c.mm.cstr('/d'), O_RDONLY | O_DIRECTORY, 0);
  const all = getdents(c, fd);
  const afterSub = all[2].off;
  t.is(call(c, NR_LSEEK, fd, afterSub, SEEK_SET), afterSub);
  t.deepEqual(getdents(c, fd).map((e) => e.name), ['zeta', 'alpha', 'ln']);
  call(c, NR_LSEEK, fd, afterSub, SEEK_SET);
  call(c, NR.unlinkat, AT_FDCWD, c.mm.cstr('/d/zeta'), 0);
  call(c, NR.renameat2, AT_FDCWD, c.mm.cstr('/d/alpha'), AT_FDCWD, c.mm.cstr('/d/omega'), 0);
  t.deepEqual(getdents(c, fd).map((e) => e.name), ['ln', 'omega'], 'a renamed entry moves to the end');
});

test('getdents64 fills only what fits, continues on the next call, and EINVAL when not even one record fits', (t) => {
  const c = setup();
  const fd = call(c, NR.openat, AT_FDCWD, c.mm.cstr('/d'), O_RDONLY | O_DIRECTORY, 0);
  const first = getdents(c, fd, 56);
  t.deepEqual(first.map((e) => e.name), ['.', '..']);
  t.deepEqual(getdents(c, fd).map((e) => e.name), ['sub', 'zeta', 'alpha', 'ln']);
  call(c, NR_LSEEK, fd, 0, SEEK_SET);
  t.is(call(c, NR.getdents64, fd, c.mm.alloc(16), 16), -EINVAL);
  const file = call(c, NR.openat, AT_FDCWD, c.mm.cstr('/d/alpha'), O_RDONLY, 0);
  t.is(call(c, NR.getdents64, file, c.mm.alloc(64), 64), -ENOTDIR);
});

test('getdents64 on a directory removed while open is ENOENT (IS_DEADDIR)', (t) => {
  const c = makeCtx();
  c.k.rootfs.mkdirp('/gone');
  const fd = call(c, NR.openat, AT_FDCWD, c.mm.cstr('/gone'), O_RDONLY | O_DIRECTORY, 0);
  call(c, NR.unlinkat, AT_FDCWD, c.mm.cstr('/gone'), AT_REMOVEDIR);
  t.is(call(c, NR.getdents64, fd, c.mm.alloc(256), 256), -ENOENT);
});

test('chdir, getcwd and fchdir: the cwd follows renames and getcwd sizes its answer', (t) => {
  const c = setup();
  const buf = c.mm.alloc(64);
  t.is(call(c, NR.getcwd, buf, 64), 2);
  t.is(textAt(c.mm, buf, 1), '/');
  t.is(call(c, NR.chdir, c.mm.cstr('d/sub')), 0);
  t.is(call(c, NR.getcwd, buf, 64), 7);
  t.is(textAt(c.mm, buf, 7), '/d/sub\0');
  t.is(call(c, NR.getcwd, buf, 6), -ERANGE);
  call(c, NR.renameat2, AT_FDCWD, c.mm.cstr('/d'), AT_FDCWD, c.mm.cstr('/e'), 0);
  t.is(call(c, NR.getcwd, buf, 64), 7);
  t.is(textAt(c.mm, buf, 6), '/e/sub');
  t.is(call(c, NR.chdir, c.mm.cstr('../..')), 0);
  t.is(call(c, NR.chdir, c.mm.cstr('e/zeta')), -ENOTDIR);
  t.is(call(c, NR.chdir, c.mm.cstr('nope')), -ENOENT);
  const dfd = call(c, NR.openat, AT_FDCWD, c.mm.cstr('/e/sub'), O_RDONLY | O_DIRECTORY, 0);
  t.is(call(c, NR.fchdir, dfd), 0);
  t.is(call(c, NR.getcwd, buf, 64), 7);
  const ffd = call(c, NR.openat, AT_FDCWD, c.mm.cstr('/e/zeta'), O_RDONLY, 0);
  t.is(call(c, NR.fchdir, ffd), -ENOTDIR);
});

test('a removed cwd: getcwd is ENOENT, creating in it ENOENT, and ".." still leads to the old parent', (t) => {
  const c = makeCtx();
  c.k.rootfs.mkdirp('/p/doomed');
  call(c, NR.chdir, c.mm.cstr('/p/doomed'));
  t.is(call(c, NR.unlinkat, AT_FDCWD, c.mm.cstr('/p/doomed'), AT_REMOVEDIR), 0);
  t.is(call(c, NR.getcwd, c.mm.alloc(64), 64), -ENOENT);
  t.is(call(c, NR.openat, AT_FDCWD, c.mm.cstr('f'), O_CREAT | O_WRONLY, 0o644), -ENOENT);
  t.is(call(c, NR.chdir, c.mm.cstr('..')), 0);
  const buf = c.mm.alloc(64);
  t.is(call(c, NR.getcwd, buf, 64), 3);
  t.is(textAt(c.mm, buf, 2), '/p');
});

test('a directory without search permission stops a non-root caller (EACCES); root passes', (t) => {
  const c = makeCtx();
  c.k.rootfs.mkdirp('/locked/in');
  call(c, NR.fchmodat, AT_FDCWD, c.mm.cstr('/locked'), 0o600);
  t.is(call(c, NR.chdir, c.mm.cstr('/locked/in')), 0);
  c.t.uid = 1000;
  t.is(call(c, NR.chdir, c.mm.cstr('/locked/in')), -EACCES);
  t.is(call(c, NR.openat, AT_FDCWD, c.mm.cstr('/locked/in'), O_RDONLY, 0), -EACCES);
});

test('umask returns the previous mask and keeps only the permission bits', (t) => {
  const c = makeCtx();
  t.is(call(c, NR.umask, 0o27), 0o22);
  t.is(call(c, NR.umask, 0o7777), 0o27);
  t.is(c.t.fs.umask, 0o777);
  const fd = call(c, NR.openat, AT_FDCWD, c.mm.cstr('/m'), O_CREAT | O_WRONLY, 0o666);
  const st = c.mm.alloc(128);
  call(c, NR_FSTAT, fd, st);
  t.is((c.mm.readU32(st + 16) ?? 0) & 0o777, 0);
});
