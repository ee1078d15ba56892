// openat, close, dup, dup3, fcntl and the fd table: lowest free fd, shared offsets, close-on-exec, limits.
import test from 'ava';
import { EBADF, EEXIST, EINVAL, ELOOP, EMFILE, ENOTDIR } from '../../lib/emukernel/errno';
import {
  AT_FDCWD, F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_GETFL, F_SETFD, F_SETFL, FD_CLOEXEC, NR_FCNTL, NR_FSTAT, NR_LSEEK,
  O_APPEND, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_PATH, O_RDONLY, O_RDWR, O_TRUNC,
  O_WRONLY, RLIMIT_NOFILE, SEEK_CUR, SEEK_SET,
} from '../../lib/emukernel/fs/constants';
import { NR } from '../../lib/emukernel/syscall-numbers';
import { Ctx, addProcess, call, makeCtx } from './fixture';

function open(c: Ctx, path: string, flags: number, mode = 0o644, dirfd = AT_FDCWD): number {
  return call(c, NR.openat, dirfd, c.mm.cstr(path), flags, mode);
}

function modeOf(c: Ctx, fd: number): number {
  const st = c.mm.alloc(128);
  call(c, NR_FSTAT, fd, st);
  return c.mm.readU32(st + 16) ?? -1;
}

test('open returns the lowest free fd, and a closed fd is reused first', (t) => {
  const c = makeCtx();
  t.is(open(c, 'a', O_CREAT | O_RDWR), 0);
  t.is(open(c, 'a', O_RDONLY), 1);
  t.is(open(c, 'a', O_RDONLY), 2);
  t.is(call(c, NR.close, 1), 0);
  t.is(open(c, 'a', O_RDONLY), 1);
  t.is(call(c, NR.close, 7), -EBADF);
});

test('O_CREAT applies the umask (0777 under 022 is 0755, as fileio.c printed under qemu); O_EXCL refuses an existing name', (t) => {
  const c = makeCtx();
  c.t.fs.umask = 0o022;
  const fd = open(c, 'modes', O_CREAT | O_WRONLY, 0o777);
  t.is(modeOf(c, fd) & 0o7777, 0o755);
  t.is(open(c, 'modes', O_CREAT | O_EXCL | O_RDWR), -EEXIST);
});

test('F_GETFL shows the access mode, O_APPEND and O_NONBLOCK, never O_CREAT/O_TRUNC/O_CLOEXEC (qemu-riscv64 values)', (t) => {
  const c = makeCtx();
  const fd = open(c, 'fl', O_RDWR | O_CREAT | O_CLOEXEC | O_TRUNC);
  t.is(call(c, NR_FCNTL, fd, F_GETFL), 0o2);
  t.is(call(c, NR_FCNTL, open(c, '.', O_RDONLY | O_DIRECTORY), F_GETFL), 0o200000);
  t.is(call(c, NR_FCNTL, open(c, 'fl', O_PATH), F_GETFL), 0o10000000);
  t.is(call(c, NR_FCNTL, open(c, 'fl', O_WRONLY | O_APPEND), F_GETFL), 0o2001);
  // F_SETFL changes only O_APPEND/O_NONBLOCK (and friends): the access mode stays.
  t.is(call(c, NR_FCNTL, fd, F_SETFL, O_APPEND | O_NONBLOCK | O_RDONLY), 0);
  t.is(call(c, NR_FCNTL, fd, F_GETFL), 0o6002);
});

test('dup shares the open file: one offset, one set of flags; dup3 and F_DUPFD pick their fds', (t) => {
  const c = makeCtx();
  const fd = open(c, 'a.txt', O_CREAT | O_RDWR);
  const d = call(c, NR.dup, fd);
  t.is(d, 1);
  call(c, NR_LSEEK, fd, 3, SEEK_SET);
  t.is(call(c, NR_LSEEK, d, 0, SEEK_CUR), 3);
  t.is(call(c, NR_FCNTL, d, F_GETFD), 0);
  call(c, NR_FCNTL, d, F_SETFD, FD_CLOEXEC);
  t.is(call(c, NR_FCNTL, d, F_GETFD), 1);
  t.is(call(c, NR_FCNTL, fd, F_GETFD), 0, 'close-on-exec belongs to the fd, not the file');
  t.true(call(c, NR_FCNTL, fd, F_DUPFD_CLOEXEC, 20) >= 20);
  t.is(call(c, NR_FCNTL, 20, F_GETFD), FD_CLOEXEC);
  t.is(call(c, NR_FCNTL, fd, F_DUPFD, 5), 5);
  t.is(call(c, NR.dup3, fd, 9, O_CLOEXEC), 9);
  t.is(call(c, NR_FCNTL, 9, F_GETFD), FD_CLOEXEC);
  t.is(call(c, NR.dup3, fd, fd, 0), -EINVAL);
  t.is(call(c, NR.dup3, fd, 9, O_APPEND), -EINVAL);
  t.is(call(c, NR.dup3, 44, 9, 0), -EBADF);
  t.is(c.t.files.get(fd)?.refs, 5, 'fd, its dup, fds 20, 5 and 9');
});

test('dup3 onto an open fd closes what was there', (t) => {
  const c = makeCtx();
  const a = open(c, 'a', O_CREAT | O_RDWR);
  const b = open(c, 'b', O_CREAT | O_RDWR);
  const bf = c.t.files.get(b);
  t.is(call(c, NR.dup3, a, b, 0), b);
  t.is(bf?.refs, 0, "b's file lost its only reference");
  t.is(c.t.files.get(b), c.t.files.get(a));
});

test('fork shares offsets: the child table (clone) refers to the same open files', (t) => {
  const c = makeCtx();
  const fd = open(c, 'shared', O_CREAT | O_RDWR);
  const child = { k: c.k, ...addProcess(c.k, 2, c.t.files.clone()) };
  t.is(call(child, NR.write, fd, child.mm.put('abc'), 3), 3);
  t.is(call(c, NR_LSEEK, fd, 0, SEEK_CUR), 3);
  call(child, NR.close, fd);
  t.is(call(c, NR_LSEEK, fd, 0, SEEK_CUR), 3, "the parent's fd is untouched by the child's close");
});

test('close-on-exec: closeOnExec closes exactly the marked fds', (t) => {
  const c = makeCtx();
  const keep = open(c, 'k', O_CREAT | O_RDWR);
  const drop = open(c, 'd', O_CREAT | O_RDWR | O_CLOEXEC);
  const dup = call(c, NR_FCNTL, keep, F_DUPFD_CLOEXEC, 0);
  c.t.files.closeOnExec();
  t.not(c.t.files.get(keep), null);
  t.is(c.t.files.get(drop), null);
  t.is(c.t.files.get(dup), null);
  t.is(c.t.files.get(keep)?.refs, 1);
});

test('RLIMIT_NOFILE bounds fd numbers: EMFILE when full, F_DUPFD beyond it is EINVAL, dup3 beyond it EBADF', (t) => {
  const c = makeCtx();
  c.t.proc.rlimits.set(RLIMIT_NOFILE, [3n, 3n]);
  for (let i = 0; i < 3; i++) t.is(open(c, 'x', O_CREAT | O_RDWR), i);
  t.is(open(c, 'x', O_RDONLY), -EMFILE);
  t.is(call(c, NR.dup, 0), -EMFILE);
  t.is(call(c, NR_FCNTL, 0, F_DUPFD, 3), -EINVAL);
  t.is(call(c, NR.dup3, 0, 3, 0), -EBADF);
  t.is(c.t.files.get(0)?.refs, 1, 'failed dups left no reference behind');
});

test('openat relative to a directory fd; a non-directory dirfd is ENOTDIR, a bad one EBADF', (t) => {
  const c = makeCtx();
  c.k.rootfs.writeFile('/dir/inside', Buffer.from('hi'));
  const dir = open(c, '/dir', O_RDONLY | O_DIRECTORY);
  const f = open(c, 'inside', O_RDONLY, 0, dir);
  t.true(f >= 0);
  t.is(open(c, 'inside', O_RDONLY, 0, f), -ENOTDIR);
  t.is(open(c, 'inside', O_RDONLY, 0, 99), -EBADF);
  t.true(open(c, '/dir/inside', O_RDONLY, 0, 99) >= 0, 'an absolute path ignores dirfd');
});

test('O_NOFOLLOW on a symlink is ELOOP; O_PATH|O_NOFOLLOW opens the link itself, usable only for fstat and *at', (t) => {
  const c = makeCtx();
  c.k.rootfs.writeFile('/target', Buffer.from('t'));
  c.k.rootfs.symlinkAt('/ln', 'target');
  t.is(open(c, '/ln', O_RDONLY | O_NOFOLLOW), -ELOOP);
  const p = open(c, '/ln', O_PATH | O_NOFOLLOW);
  t.true(p >= 0);
  t.is(modeOf(c, p) & 0o170000, 0o120000);
  t.is(call(c, NR.read, p, c.mm.alloc(1), 1), -EBADF);
  t.is(call(c, NR_LSEEK, p, 0, SEEK_CUR), -EBADF);
});

test('O_TRUNC empties an existing file, even opened O_RDONLY (Linux does)', (t) => {
  const c = makeCtx();
  c.k.rootfs.writeFile('/t', Buffer.from('content'));
  call(c, NR.close, open(c, '/t', O_RDONLY | O_TRUNC));
  t.is(c.k.rootfs.exportFile('/t').length, 0);
});

test('closeAll drops every reference; clone adds one per fd', (t) => {
  const c = makeCtx();
  const fd = open(c, 'x', O_CREAT | O_RDWR);
  const f = c.t.files.get(fd);
  const copy = c.t.files.clone();
  t.is(f?.refs, 2);
  copy.closeAll();
  t.is(f?.refs, 1);
  c.t.files.closeAll();
  t.is(f?.refs, 0);
  t.is(c.t.files.size, 0);
});
