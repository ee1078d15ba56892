// read/write and their vector, positional and zero-copy forms; lseek, truncate, fsync, fadvise, fallocate.
import { EACCES, EBADF, EFAULT, EFBIG, EINVAL, EISDIR, ENODEV, EOPNOTSUPP, ESPIPE } from '../errno';
import type { Kernel } from '../kernel';
import { argI64, argInt, argU32, argU64, BLOCKED, SyscallOutcome, SyscallTable } from '../syscall';
import { NR } from '../syscall-numbers';
import type { Task } from '../task';
import {
  AT_FDCWD, MAX_FILE_SIZE, NR_FADVISE64, NR_FTRUNCATE, NR_LSEEK, NR_SENDFILE, NR_TRUNCATE, SEEK_HOLE, W_OK,
} from './constants';
import { inodeOf } from './dentry';
import type { ReadTarget } from './file';
import { inodeRefOf } from './inode-files';
import { lookupPath } from './namei';
import {
  IovecTarget, UserBuffer, clampCount, fileOf, gatherIovecs, readIovecs, readPath, startDir,
} from './syscall-args';

/** read(fd, buf, count) */
function sysRead(_k: Kernel, t: Task): SyscallOutcome {
  const f = fileOf(t, argInt(t, 0));
  if (!f.readable) return -EBADF;
  return f.ops.read(f, t, new UserBuffer(t.mm, argU64(t, 1), clampCount(argU64(t, 2))), null);
}

/** The bytes of a user buffer a write sends, or null on EFAULT. */
function userBytes(t: Task, addr: number, count: number): Uint8Array | null {
  return count === 0 ? new Uint8Array(0) : t.mm.read(addr, count);
}

/** write(fd, buf, count) */
function sysWrite(_k: Kernel, t: Task): SyscallOutcome {
  const f = fileOf(t, argInt(t, 0));
  if (!f.writable) return -EBADF;
  const data = userBytes(t, argU64(t, 1), clampCount(argU64(t, 2)));
  if (data === null) return -EFAULT;
  return f.ops.write(f, t, data, null);
}

/** readv / preadv: `pos` null for readv. */
function doReadv(t: Task, fd: number, iovAddr: number, count: number, pos: number | null): SyscallOutcome {
  const f = fileOf(t, fd);
  if (!f.readable) return -EBADF;
  if (pos !== null && !f.ops.positional) return -ESPIPE;
  const iov = readIovecs(t, iovAddr, count);
  return f.ops.read(f, t, new IovecTarget(t.mm, iov), pos);
}

/** writev / pwritev: `pos` null for writev. A vector of at most PIPE_BUF bytes reaches a pipe as one write. */
function doWritev(t: Task, fd: number, iovAddr: number, count: number, pos: number | null): SyscallOutcome {
  const f = fileOf(t, fd);
  if (!f.writable) return -EBADF;
  if (pos !== null && !f.ops.positional) return -ESPIPE;
  const iov = readIovecs(t, iovAddr, count);
  const data = gatherIovecs(t.mm, iov);
  if (data === null) return -EFAULT;
  return f.ops.write(f, t, data, pos);
}

function sysReadv(_k: Kernel, t: Task): SyscallOutcome {
  return doReadv(t, argInt(t, 0), argU64(t, 1), argInt(t, 2), null);
}

function sysWritev(_k: Kernel, t: Task): SyscallOutcome {
  return doWritev(t, argInt(t, 0), argU64(t, 1), argInt(t, 2), null);
}

function sysPreadv(_k: Kernel, t: Task): SyscallOutcome {
  const pos = argI64(t, 3);
  if (pos < 0) return -EINVAL;
  return doReadv(t, argInt(t, 0), argU64(t, 1), argInt(t, 2), pos);
}

function sysPwritev(_k: Kernel, t: Task): SyscallOutcome {
  const pos = argI64(t, 3);
  if (pos < 0) return -EINVAL;
  return doWritev(t, argInt(t, 0), argU64(t, 1), argInt(t, 2), pos);
}

/** pread64(fd, buf, count, pos): EINVAL for a negative offset comes before the fd check, as in Linux. */
function sysPread64(_k: Kernel, t: Task): SyscallOutcome {
  const pos = argI64(t, 3);
  if (pos < 0) return -EINVAL;
  const f = fileOf(t, argInt(t, 0));
  if (!f.ops.positional) return -ESPIPE;
  if (!f.readable) return -EBADF;
  return f.ops.read(f, t, new UserBuffer(t.mm, argU64(t, 1), clampCount(argU64(t, 2))), pos);
}

function sysPwrite64(_k: Kernel, t: Task): SyscallOutcome {
  const pos = argI64(t, 3);
  if (pos < 0) return -EINVAL;
  const f = fileOf(t, argInt(t, 0));
  if (!f.ops.positional) return -ESPIPE;
  if (!f.writable) return -EBADF;
  const data = userBytes(t, argU64(t, 1), clampCount(argU64(t, 2)));
  if (data === null) return -EFAULT;
  return f.ops.write(f, t, data, pos);
}

function sysLseek(_k: Kernel, t: Task): number {
  const f = fileOf(t, argInt(t, 0));
  const whence = argU32(t, 2);
  if (whence > SEEK_HOLE) return -EINVAL;
  return f.ops.llseek(f, argI64(t, 1), whence);
}

function sysFtruncate(_k: Kernel, t: Task): number {
  const len = argI64(t, 1);
  if (len < 0) return -EINVAL;
  const f = fileOf(t, argInt(t, 0));
  return f.ops.truncate(f, len);
}

/** truncate(path, len): the file must be regular and writable by the caller. */
function sysTruncate(k: Kernel, t: Task): number {
  const path = readPath(t, argU64(t, 0));
  const len = argI64(t, 1);
  if (len < 0) return -EINVAL;
  const inode = inodeOf(lookupPath(k.rootfs, startDir(k, t, AT_FDCWD, path), path, true, t));
  if (inode.isDir()) return -EISDIR;
  if (!inode.isRegular()) return -EINVAL;
  if (!inode.permits(W_OK, t.uid, t.gid)) return -EACCES;
  if (len > MAX_FILE_SIZE) return -EFBIG;
  inode.setSize(len);
  inode.stampModified(k.rootfs.now());
  return 0;
}

function sysFsync(_k: Kernel, t: Task): number {
  const f = fileOf(t, argInt(t, 0));
  return f.ops.fsync(f);
}

function sysSync(): number {
  return 0;
}

function sysSyncfs(_k: Kernel, t: Task): number {
  fileOf(t, argInt(t, 0));
  return 0;
}

/** fadvise64(fd, offset, len, advice): advice is accepted and ignored (there is no page cache to steer). */
function sysFadvise64(_k: Kernel, t: Task): number {
  const f = fileOf(t, argInt(t, 0));
  if (!f.ops.positional) return -ESPIPE;
  if (argI64(t, 2) < 0 || argInt(t, 3) < 0 || argInt(t, 3) > 5) return -EINVAL;
  return 0;
}

const FALLOC_FL_KEEP_SIZE = 1, FALLOC_FL_PUNCH_HOLE = 2;

/** fallocate(fd, mode, offset, len): preallocation (mode 0, KEEP_SIZE) and PUNCH_HOLE|KEEP_SIZE on regular files. */
function sysFallocate(k: Kernel, t: Task): number {
  const mode = argInt(t, 1), off = argI64(t, 2), len = argI64(t, 3);
  if (off < 0 || len <= 0) return -EINVAL;
  const f = fileOf(t, argInt(t, 0));
  if (!f.writable) return -EBADF;
  const ref = inodeRefOf(f);
  if (!ref) return f.ops.positional ? -ENODEV : -ESPIPE;
  if (ref.inode.isDir()) return -EISDIR;
  if (!ref.inode.isRegular()) return -ENODEV;
  if (off + len > MAX_FILE_SIZE) return -EFBIG;
  if (mode === 0 || mode === FALLOC_FL_KEEP_SIZE) ref.inode.allocate(off, len, mode === FALLOC_FL_KEEP_SIZE);
  else if (mode === (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)) ref.inode.punchHole(off, len);
  else return mode & FALLOC_FL_PUNCH_HOLE && !(mode & FALLOC_FL_KEEP_SIZE) ? -EINVAL : -EOPNOTSUPP;
  ref.inode.stampModified(k.rootfs.now());
  return 0;
}

/** A kernel-side read target (sendfile's bounce buffer). */
class BounceBuffer implements ReadTarget {
  data = new Uint8Array(0);
  constructor(readonly room: number) {}
  put(data: Uint8Array): number {
    this.data = data.slice();
    return data.length;
  }
}

/**
 * sendfile(out, in, *offset, count): `in` must be positional (a regular file); it is read at its
 * offset without moving it, and moved (or *offset updated) only by what `out` took, so a blocked
 * write to a full pipe re-executes from the same place.
 */
function sysSendfile(_k: Kernel, t: Task): SyscallOutcome {
  const outF = fileOf(t, argInt(t, 0));
  const inF = fileOf(t, argInt(t, 1));
  const offAddr = argU64(t, 2);
  const count = clampCount(argU64(t, 3));
  if (!inF.readable || !outF.writable) return -EBADF;
  if (!inF.ops.positional) return -EINVAL;
  let pos = inF.pos;
  if (offAddr !== 0) {
    const v = t.mm.readU64Num(offAddr);
    if (v === null) return -EFAULT;
    if (v < 0) return -EINVAL;
    pos = v;
  }
  const bounce = new BounceBuffer(Math.min(count, 1 << 20));
  const r = inF.ops.read(inF, t, bounce, pos);
  if (typeof r !== 'number' || r <= 0) return r;
  const w = outF.ops.write(outF, t, bounce.data, null);
  if (w === BLOCKED || typeof w !== 'number' || w < 0) return w;
  if (offAddr === 0) inF.setPos(pos + w);
  else if (!t.mm.writeU64Num(offAddr, pos + w)) return -EFAULT;
  return w;
}

export const rwSyscalls: SyscallTable = {
  [NR.read]: sysRead,
  [NR.write]: sysWrite,
  [NR.readv]: sysReadv,
  [NR.writev]: sysWritev,
  [NR.pread64]: sysPread64,
  [NR.pwrite64]: sysPwrite64,
  [NR.preadv]: sysPreadv,
  [NR.pwritev]: sysPwritev,
  [NR_LSEEK]: sysLseek,
  [NR_FTRUNCATE]: sysFtruncate,
  [NR_TRUNCATE]: sysTruncate,
  [NR.fsync]: sysFsync,
  [NR.fdatasync]: sysFsync,
  [NR.sync]: sysSync,
  [NR.syncfs]: sysSyncfs,
  [NR_FADVISE64]: sysFadvise64,
  [NR.fallocate]: sysFallocate,
  [NR_SENDFILE]: sysSendfile,
};
