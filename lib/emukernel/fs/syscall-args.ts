// What the file syscalls share: path and fd arguments, *at() start directories, user buffers as read targets.
import type { Link } from '@jsonjoy.com/fs-core';
import { EBADF, EFAULT, EINVAL, ENAMETOOLONG, ENOENT, ENOTDIR, KernelError } from '../errno';
import type { Kernel } from '../kernel';
import type { Mm } from '../mm/mm';
import type { Task } from '../task';
import { AT_FDCWD, MAX_RW_COUNT, NR_OPEN_DEFAULT, O_PATH, PATH_MAX, RLIMIT_NOFILE, UIO_MAXIOV } from './constants';
import type { OpenFile, ReadTarget } from './file';
import { inodeRefOf } from './inode-files';
import { ParentRef, lookupPath, resolveParent } from './namei';

/**
 * The NUL-terminated path at `addr` (getname). Throws KernelError EFAULT (unreadable) or
 * ENAMETOOLONG (no NUL within PATH_MAX bytes). The empty string is returned as is.
 */
export function readPath(t: Task, addr: number): string {
  const n = t.mm.strnlen(addr, PATH_MAX);
  if (n < 0) throw new KernelError(EFAULT, 'getname');
  if (n >= PATH_MAX) throw new KernelError(ENAMETOOLONG, 'getname');
  const bytes = t.mm.read(addr, n);
  if (bytes === null) throw new KernelError(EFAULT, 'getname');
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
}

/** The open file at `fd` for I/O (fdget): throws EBADF if not open or opened with O_PATH. */
export function fileOf(t: Task, fd: number): OpenFile {
  const f = t.files.get(fd);
  if (!f || (f.flags & O_PATH)) throw new KernelError(EBADF, 'fdget');
  return f;
}

/** The open file at `fd`, O_PATH files included (fdget_raw: fstat, fchdir, *at, fcntl). Throws EBADF. */
export function fileOfRaw(t: Task, fd: number): OpenFile {
  const f = t.files.get(fd);
  if (!f) throw new KernelError(EBADF, 'fdget');
  return f;
}

/** The directory dentry behind an open file, or null if it is not a directory of the root. */
export function dirOfFile(f: OpenFile): Link | null {
  const ref = inodeRefOf(f);
  return ref && ref.inode.isDir() ? ref.link : null;
}

/**
 * Where an *at() path starts: the root for an absolute path, the cwd for AT_FDCWD, else the
 * directory open at `dirfd`. Throws EBADF (bad dirfd), ENOTDIR (dirfd is not a directory).
 */
export function startDir(k: Kernel, t: Task, dirfd: number, path: string): Link {
  if (path.startsWith('/')) return k.rootfs.root;
  if (dirfd === AT_FDCWD) return t.fs.cwdDir(k.rootfs);
  const dir = dirOfFile(fileOfRaw(t, dirfd));
  if (!dir) throw new KernelError(ENOTDIR, 'openat');
  return dir;
}

/** RLIMIT_NOFILE's soft limit for `t`'s process: the fd numbers it may use. */
export function fdLimit(t: Task): number {
  const lim = t.proc.rlimits.get(RLIMIT_NOFILE);
  if (!lim) return NR_OPEN_DEFAULT;
  return lim[0] > 1048576n ? 1048576 : Number(lim[0]);
}

/** A count as read/write see it: MAX_RW_COUNT at most. */
export function clampCount(n: number): number {
  return n > MAX_RW_COUNT ? MAX_RW_COUNT : n;
}

/** One user buffer as a read target. */
export class UserBuffer implements ReadTarget {
  constructor(private readonly mm: Mm, private readonly addr: number, readonly room: number) {}

  put(data: Uint8Array): number {
    return this.mm.write(this.addr, data) ? data.length : 0;
  }
}

export interface Iovec {
  base: number;
  len: number;
}

/**
 * The iovec array at `addr` (struct iovec: u64 base, u64 len), total clamped to MAX_RW_COUNT.
 * Throws EINVAL (more than UIO_MAXIOV, or a length over 2^63), EFAULT (unreadable array).
 */
export function readIovecs(t: Task, addr: number, count: number): Iovec[] {
  if (count < 0 || count > UIO_MAXIOV) throw new KernelError(EINVAL, 'iovec');
  const out: Iovec[] = [];
  let total = 0;
  for (let i = 0; i < count; i++) {
    const base = t.mm.readU64Num(addr + 16 * i);
    const len = t.mm.readU64(addr + 16 * i + 8);
    if (base === null || len === null) throw new KernelError(EFAULT, 'iovec');
    if (len >= 1n << 63n) throw new KernelError(EINVAL, 'iovec');
    const n = Math.min(Number(len), MAX_RW_COUNT - total);
    total += n;
    out.push({ base, len: n });
  }
  return out;
}

/** Scatter into an iovec list (readv): fills segments in order, stopping at the first that faults. */
export class IovecTarget implements ReadTarget {
  readonly room: number;

  constructor(private readonly mm: Mm, private readonly iov: readonly Iovec[]) {
    this.room = iov.reduce((s, v) => s + v.len, 0);
  }

  put(data: Uint8Array): number {
    let done = 0;
    for (const v of this.iov) {
      if (done >= data.length) break;
      const n = Math.min(v.len, data.length - done);
      if (n === 0) continue;
      if (!this.mm.write(v.base, data.subarray(done, done + n))) break;
      done += n;
    }
    return done;
  }
}

/**
 * Gather an iovec list (writev) into one buffer, stopping at the first segment that cannot be read.
 * Returns null when the first non-empty segment already faults (EFAULT).
 */
export function gatherIovecs(mm: Mm, iov: readonly Iovec[]): Uint8Array | null {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const v of iov) {
    if (v.len === 0) continue;
    const b = mm.read(v.base, v.len);
    if (b === null) {
      if (parts.length === 0) return null;
      break;
    }
    parts.push(b);
    total += b.length;
  }
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) { out.set(p, off); off += p.length; }
  return out;
}

/**
 * The dentry `path` names relative to `dirfd` (getname + path_lookupat). The empty path is ENOENT
 * before anything else is looked at, as getname does without LOOKUP_EMPTY. Throws KernelError.
 */
export function lookupAt(k: Kernel, t: Task, dirfd: number, path: string, follow: boolean): Link {
  if (path === '') throw new KernelError(ENOENT, 'getname');
  return lookupPath(k.rootfs, startDir(k, t, dirfd, path), path, follow, t);
}

/** `path` resolved up to its last component relative to `dirfd` (for the calls that create or remove names). */
export function parentAt(k: Kernel, t: Task, dirfd: number, path: string): ParentRef {
  if (path === '') throw new KernelError(ENOENT, 'getname');
  return resolveParent(k.rootfs, startDir(k, t, dirfd, path), path, t);
}
