// read/write/readv/writev/pread64/pwrite64/lseek (holes), ftruncate, fallocate, sendfile: values as Linux gives them.
import test from 'ava';
import { EBADF, EFAULT, EINVAL, ENXIO, ESPIPE } from '../../lib/emukernel/errno';
import {
  AT_FDCWD, NR_FSTAT, NR_FTRUNCATE, NR_LSEEK, NR_SENDFILE, O_APPEND, O_CREAT, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY,
  SEEK_CUR, SEEK_DATA, SEEK_END, SEEK_HOLE, SEEK_SET,
} from '../../lib/emukernel/fs/constants';
import { NR } from '../../lib/emukernel/syscall-numbers';
import { Ctx, bytesAt, call, makeCtx, textAt } from './fixture';

const MiB = 1 << 20;

function open(c: Ctx, path: string, flags: number, mode = 0o644): number {
  return call(c, NR.openat, AT_FDCWD, c.mm.cstr(path), flags, mode);
}

function write(c: Ctx, fd: number, data: string | Uint8Array): number {
  const b = typeof data === 'string' ? Buffer.from(data) : data;
  return call(c, NR.write, fd, c.mm.put(b), b.length);
}

function fill(c: Ctx, fd: number, byte: number, n: number): void {
  const buf = c.mm.put(new Uint8Array(n).fill(byte));
  if (call(c, NR.write, fd, buf, n) !== n) throw new Error('short write');
}

function seek(c: Ctx, fd: number, off: number, whence: number): number {
  return call(c, NR_LSEEK, fd, off, whence);
}

function fstat(c: Ctx, fd: number): { size: number; blocks: number } {
  const st = c.mm.alloc(128);
  if (call(c, NR_FSTAT, fd, st) !== 0) throw new Error('fstat');
  return { size: c.mm.readU64Num(st + 48) ?? -1, blocks: c.mm.readU64Num(st + 64) ?? -1 };
}

// The expectations below are the lines examples/fileio.c printed under qemu-riscv64 (identical on ext4 and tmpfs).
test('basic I/O: offsets after write, read, pwrite, pread, lseek (fileio.c under qemu)', (t) => {
  const c = makeCtx();
  const fd = open(c, 'a.txt', O_CREAT | O_RDWR);
  t.is(write(c, fd, 'hello file\n'), 11);
  t.is(fstat(c, fd).size, 11);
  t.is(seek(c, fd, 0, SEEK_CUR), 11);
  t.is(seek(c, fd, 0, SEEK_SET), 0);
  const buf = c.mm.alloc(64);
  t.is(call(c, NR.read, fd, buf, 5), 5);
  t.is(textAt(c.mm, buf, 5), 'hello');
  t.is(call(c, NR.pwrite64, fd, c.mm.put('FILE'), 4, 6), 4);
  t.is(seek(c, fd, 0, SEEK_CUR), 5);
  t.is(call(c, NR.pread64, fd, buf, 64, 0), 11);
  t.is(textAt(c.mm, buf, 10), 'hello FILE');
  t.is(seek(c, fd, -1, SEEK_END), 10);
  t.is(seek(c, fd, -1, SEEK_SET), -EINVAL);
  seek(c, fd, 0, SEEK_END);
  t.is(call(c, NR.read, fd, buf, 64), 0);
  t.is(seek(c, fd, 0, 5), -EINVAL);
});

test('O_APPEND: every write goes to the end, the offset follows; pwrite appends too (pwrite(2) BUGS)', (t) => {
  const c = makeCtx();
  const fd = open(c, 'a', O_CREAT | O_WRONLY);
  write(c, fd, 'hello FILE\n');
  call(c, NR.close, fd);
  const ap = open(c, 'a', O_WRONLY | O_APPEND);
  seek(c, ap, 0, SEEK_SET);
  t.is(write(c, ap, 'tail\n'), 5);
  t.is(seek(c, ap, 0, SEEK_CUR), 16);
  t.is(call(c, NR.pwrite64, ap, c.mm.put('P'), 1, 0), 1);
  t.is(fstat(c, ap).size, 17);
  t.is(seek(c, ap, 0, SEEK_CUR), 16, 'pwrite leaves the offset alone');
  t.is(Buffer.from(c.k.rootfs.exportFile('/a')).toString(), 'hello FILE\ntail\nP');
});

test('access modes: read on O_WRONLY and write on O_RDONLY are EBADF; closed fds are EBADF', (t) => {
  const c = makeCtx();
  const w = open(c, 'f', O_CREAT | O_WRONLY);
  t.is(call(c, NR.read, w, c.mm.alloc(4), 1), -EBADF);
  const r = open(c, 'f', O_RDONLY);
  t.is(call(c, NR.write, r, c.mm.put('x'), 1), -EBADF);
  t.is(call(c, NR_FTRUNCATE, r, 0), -EINVAL, 'ftruncate needs a writable file');
  call(c, NR.close, r);
  t.is(call(c, NR.read, r, c.mm.alloc(4), 1), -EBADF);
  t.is(call(c, NR.write, w, 0x10, 1), -EFAULT);
});

test('holes: SEEK_DATA/SEEK_HOLE over a 2 MiB gap, as fileio.c printed under qemu', (t) => {
  const c = makeCtx();
  const fd = open(c, 'sparse', O_CREAT | O_RDWR | O_TRUNC, 0o600);
  fill(c, fd, 0x41, 4096);
  t.is(seek(c, fd, 2 * MiB, SEEK_SET), 2097152);
  fill(c, fd, 0x42, 4096);
  t.is(fstat(c, fd).size, 2101248);
  t.is(seek(c, fd, 0, SEEK_DATA), 0);
  t.is(seek(c, fd, 0, SEEK_HOLE), 4096);
  t.is(seek(c, fd, 4096, SEEK_DATA), 2097152);
  t.is(seek(c, fd, 100000, SEEK_DATA), 2097152);
  t.is(seek(c, fd, 2 * MiB, SEEK_HOLE), 2101248);
  t.is(seek(c, fd, 2 * MiB + 100, SEEK_HOLE), 2101248);
  t.is(seek(c, fd, 2 * MiB + 4096, SEEK_DATA), -ENXIO);
  t.is(seek(c, fd, 2 * MiB + 4096, SEEK_HOLE), -ENXIO);
  t.is(seek(c, fd, 2 * MiB + 9999, SEEK_DATA), -ENXIO);
  const buf = c.mm.alloc(4096);
  t.is(call(c, NR.pread64, fd, buf, 4096, 8192), 4096);
  t.true(bytesAt(c.mm, buf, 4096).every((b) => b === 0), 'a hole reads as zeros');
  t.is(fstat(c, fd).blocks, 16, 'two written blocks (ext4 and tmpfs agree)');
  t.is(call(c, NR_FTRUNCATE, fd, 3 * MiB), 0);
  t.is(fstat(c, fd).size, 3145728);
  t.is(seek(c, fd, 2 * MiB, SEEK_HOLE), 2101248);
  t.is(seek(c, fd, 2 * MiB + 4096, SEEK_DATA), -ENXIO);
  t.is(call(c, NR_FTRUNCATE, fd, 100), 0);
  t.is(fstat(c, fd).size, 100);
  t.is(fstat(c, fd).blocks, 8);
  t.is(seek(c, fd, 0, SEEK_HOLE), 100);
  t.is(call(c, NR_FTRUNCATE, fd, -1), -EINVAL);
});

test('shrink then grow zero-fills; writing past EOF leaves zeros between (fileio.c)', (t) => {
  const c = makeCtx();
  const fd = open(c, 'z', O_CREAT | O_RDWR);
  fill(c, fd, 0x41, 300);
  call(c, NR_FTRUNCATE, fd, 100);
  call(c, NR_FTRUNCATE, fd, 200);
  const buf = c.mm.alloc(10000);
  t.is(call(c, NR.pread64, fd, buf, 200, 0), 200);
  t.true(bytesAt(c.mm, buf + 100, 100).every((b) => b === 0));
  seek(c, fd, 10000, SEEK_SET);
  t.is(write(c, fd, 'Z'), 1);
  t.is(fstat(c, fd).size, 10001);
  t.is(call(c, NR.pread64, fd, buf, 9800, 200), 9800);
  t.true(bytesAt(c.mm, buf, 9800).every((b) => b === 0));
});

test('fallocate: punched blocks become holes; preallocated blocks count in st_blocks but stay holes (qemu on Linux)', (t) => {
  const c = makeCtx();
  const fd = open(c, 'sp', O_CREAT | O_RDWR | O_TRUNC, 0o600);
  fill(c, fd, 1, 4096);
  seek(c, fd, 2 * MiB, SEEK_SET);
  fill(c, fd, 1, 4096);
  call(c, NR_FTRUNCATE, fd, 100);
  write(c, fd, 'x');
  call(c, NR.pwrite64, fd, c.mm.put('y'), 1, 0);
  t.is(fstat(c, fd).blocks, 16);
  t.is(call(c, NR.fallocate, fd, 3, 0, 4096), 0);
  t.is(seek(c, fd, 0, SEEK_HOLE), 0);
  t.is(seek(c, fd, 0, SEEK_DATA), 2101248);
  t.deepEqual(fstat(c, fd), { size: 2101249, blocks: 8 });
  t.is(call(c, NR.fallocate, fd, 0, 8192, 4096), 0);
  t.deepEqual(fstat(c, fd), { size: 2101249, blocks: 16 });
  t.is(seek(c, fd, 8000, SEEK_DATA), 2101248);
});

test('readv scatters and writev gathers in iovec order', (t) => {
  const c = makeCtx();
  const fd = open(c, 'v', O_CREAT | O_RDWR);
  const iov = c.mm.alloc(48);
  const parts = ['one,', 'two,', 'three'];
  parts.forEach((p, i) => {
    c.mm.writeU64Num(iov + 16 * i, c.mm.put(p));
    c.mm.writeU64Num(iov + 16 * i + 8, p.length);
  });
  t.is(call(c, NR.writev, fd, iov, 3), 13);
  seek(c, fd, 0, SEEK_SET);
  const a = c.mm.alloc(3), b = c.mm.alloc(20);
  c.mm.writeU64Num(iov, a);
  c.mm.writeU64Num(iov + 8, 3);
  c.mm.writeU64Num(iov + 16, b);
  c.mm.writeU64Num(iov + 24, 20);
  t.is(call(c, NR.readv, fd, iov, 2), 13);
  t.is(textAt(c.mm, a, 3) + textAt(c.mm, b, 10), 'one,two,three');
  t.is(call(c, NR.readv, fd, iov, 1025), -EINVAL);
});

test('pread/pwrite with a negative offset are EINVAL; on a pipe ESPIPE', (t) => {
  const c = makeCtx();
  const fd = open(c, 'p', O_CREAT | O_RDWR);
  t.is(call(c, NR.pread64, fd, c.mm.alloc(4), 4, -1), -EINVAL);
  t.is(call(c, NR.pwrite64, fd, c.mm.alloc(4), 4, -5), -EINVAL);
  const fds = c.mm.alloc(8);
  call(c, NR.pipe2, fds, 0);
  t.is(call(c, NR.pread64, c.mm.readU32(fds) ?? -1, c.mm.alloc(4), 4, 0), -ESPIPE);
});

test('sendfile copies from a file offset into a pipe and moves the source offset', (t) => {
  const c = makeCtx();
  const fd = open(c, 'src', O_CREAT | O_RDWR);
  write(c, fd, 'abcdefghij');
  seek(c, fd, 2, SEEK_SET);
  const fds = c.mm.alloc(8);
  call(c, NR.pipe2, fds, 0);
  const r = c.mm.readU32(fds) ?? -1, w = c.mm.readU32(fds + 4) ?? -1;
  t.is(call(c, NR_SENDFILE, w, fd, 0, 5), 5);
  t.is(seek(c, fd, 0, SEEK_CUR), 7);
  const off = c.mm.alloc(8);
  c.mm.writeU64Num(off, 0);
  t.is(call(c, NR_SENDFILE, w, fd, off, 3), 3);
  t.is(c.mm.readU64Num(off), 3);
  t.is(seek(c, fd, 0, SEEK_CUR), 7, 'with an offset pointer the file offset stays');
  const buf = c.mm.alloc(16);
  t.is(call(c, NR.read, r, buf, 16), 8);
  t.is(textAt(c.mm, buf, 8), 'cdefgabc');
});

test('an unlinked file stays readable and writable through its open file; the inode goes at last close', (t) => {
  const c = makeCtx();
  const fd = open(c, 'gone', O_CREAT | O_RDWR);
  write(c, fd, 'still here');
  const before = c.k.rootfs.inodeCount();
  t.is(call(c, NR.unlinkat, AT_FDCWD, c.mm.cstr('gone'), 0), 0);
  t.is(c.k.rootfs.inodeCount(), before, 'kept while open');
  t.is(write(c, fd, '!'), 1);
  const buf = c.mm.alloc(16);
  t.is(call(c, NR.pread64, fd, buf, 16, 0), 11);
  t.is(textAt(c.mm, buf, 11), 'still here!');
  call(c, NR.close, fd);
  t.is(c.k.rootfs.inodeCount(), before - 1);
});

test('/dev/null swallows writes and reads EOF; /dev/zero reads zeros', (t) => {
  const c = makeCtx();
  const n = open(c, '/dev/null', O_RDWR);
  t.is(write(c, n, 'xyz'), 3);
  t.is(call(c, NR.read, n, c.mm.alloc(4), 4), 0);
  const z = open(c, '/dev/zero', O_RDONLY);
  const buf = c.mm.put(new Uint8Array(8).fill(7));
  t.is(call(c, NR.read, z, buf, 8), 8);
  t.deepEqual([...bytesAt(c.mm, buf, 8)], [0, 0, 0, 0, 0, 0, 0, 0]);
});
