// openat, close, close_range, dup, dup3, fcntl, pipe2: creating, sharing and dropping open files.
import type { Link } from '@jsonjoy.com/fs-core';
import { EACCES, EBADF, EEXIST, EFAULT, EINVAL, EISDIR, ELOOP, ENOTDIR, KernelError } from '../errno';
import type { Kernel } from '../kernel';
import { argInt, argU32, argU64, SyscallTable } from '../syscall';
import { NR } from '../syscall-numbers';
import type { Task } from '../task';
import {
  F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_GETFL, F_GETOWN, F_SETFD, F_SETFL, F_SETOWN, FD_CLOEXEC, NR_FCNTL,
  O_ACCMODE, O_CLOEXEC, O_CREAT, O_DIRECT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_PATH,
  O_RDONLY, O_TMPFILE, O_TRUNC, OPEN_ONLY_FLAGS, R_OK, S_IALLUGO, S_IFREG, SETFL_MASK, W_OK,
} from './constants';
import { childOf, inodeOf, newDentry } from './dentry';
import type { OpenFile } from './file';
import { openInode } from './inode-files';
import { finishLookup, resolveParent, symlinkParent } from './namei';
import { createFileAt } from './namespace';
import { createPipe } from './pipe';
import { raiseSigpipe } from './sigpipe';
import { fdLimit, fileOfRaw, readPath, startDir } from './syscall-args';

/**
 * Bits open(2) knows (VALID_OPEN_FLAGS); others are ignored, as Linux's open does. f_flags gets no
 * O_LARGEFILE: a 64-bit Linux adds it, but qemu-riscv64 (our reference) reports F_GETFL without it.
 */
const VALID_OPEN_FLAGS = 0o37777703;
const F_GETSIG = 11, F_SETSIG = 10;
const CLOSE_RANGE_UNSHARE = 2, CLOSE_RANGE_CLOEXEC = 4;

/** Find or create the file an O_CREAT open names, following symlinks (even dangling ones) unless O_NOFOLLOW. */
function lookupForCreate(k: Kernel, t: Task, start: Link, path: string, flags: number, mode: number): { link: Link; created: boolean } {
  const fs = k.rootfs;
  const budget = { followed: 0 };
  let ref = resolveParent(fs, start, path, t, budget);
  for (;;) {
    if (ref.last !== 'norm') throw new KernelError(flags & O_EXCL ? EEXIST : EISDIR, 'open', path);
    if (ref.slash) throw new KernelError(EISDIR, 'open', path);
    const child = childOf(ref.dir, ref.name);
    if (!child) {
      return { link: createFileAt(fs, ref, mode & ~t.fs.umask, t), created: true };
    }
    if (flags & O_EXCL) throw new KernelError(EEXIST, 'open', path);
    if (!inodeOf(child).isLink()) return { link: child, created: false };
    if (flags & O_NOFOLLOW) throw new KernelError(ELOOP, 'open', path);
    ref = symlinkParent(fs, ref.dir, child, t, budget);
  }
}

/** O_TMPFILE: an unnamed regular file in the directory `path` names. */
function openTmpfile(k: Kernel, t: Task, start: Link, path: string, flags: number, mode: number): OpenFile {
  const fs = k.rootfs;
  if ((flags & O_ACCMODE) === O_RDONLY) throw new KernelError(EINVAL, 'open', path);
  const dir = finishLookup(fs, resolveParent(fs, start, path, t), true, t, { followed: 0 });
  const dirInode = inodeOf(dir);
  if (!dirInode.isDir()) throw new KernelError(ENOTDIR, 'open', path);
  if (!dirInode.permits(W_OK, t.uid, t.gid)) throw new KernelError(EACCES, 'open', path);
  const inode = fs.allocInode(S_IFREG | (mode & ~t.fs.umask & S_IALLUGO), t, dirInode);
  inode.nlink = 0;
  return openInode(fs, newDentry(fs.sb, inode), inode, flags & ~(OPEN_ONLY_FLAGS | O_TMPFILE));
}

/**
 * The open file `openat(dirfd, path, flags, mode)` creates, checked in Linux's order. Throws
 * KernelError: ENOENT, ENOTDIR, EISDIR, EEXIST, ELOOP, EACCES, EINVAL, ENAMETOOLONG, EBADF, ENXIO.
 */
export function openPath(k: Kernel, t: Task, dirfd: number, path: string, rawFlags: number, rawMode: number): OpenFile {
  const fs = k.rootfs;
  let flags = rawFlags & VALID_OPEN_FLAGS;
  const mode = flags & (O_CREAT | O_TMPFILE) ? rawMode & S_IALLUGO : 0;
  if ((flags & O_CREAT) && (flags & O_DIRECTORY)) throw new KernelError(EINVAL, 'open', path);
  if (flags & O_PATH) flags &= O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC;
  const start = startDir(k, t, dirfd, path);
  if ((flags & O_TMPFILE) === O_TMPFILE) return openTmpfile(k, t, start, path, flags, mode);
  let link: Link;
  let created = false;
  if (flags & O_CREAT) {
    ({ link, created } = lookupForCreate(k, t, start, path, flags, mode));
  } else {
    const budget = { followed: 0 };
    link = finishLookup(fs, resolveParent(fs, start, path, t, budget), !(flags & O_NOFOLLOW), t, budget);
  }
  const inode = inodeOf(link);
  if (inode.isLink() && !(flags & O_PATH)) throw new KernelError(ELOOP, 'open', path);
  if ((flags & O_DIRECTORY) && !inode.isDir()) throw new KernelError(ENOTDIR, 'open', path);
  const acc = flags & O_ACCMODE;
  const wantsWrite = acc === 1 || acc === 2 || (flags & O_TRUNC) !== 0;
  if (!(flags & O_PATH)) {
    if (inode.isDir() && (wantsWrite || (flags & O_CREAT))) throw new KernelError(EISDIR, 'open', path);
    if (!created) {
      const want = (acc === 0 || acc === 2 || acc === 3 ? R_OK : 0) | (wantsWrite || acc === 3 ? W_OK : 0);
      if (!inode.permits(want, t.uid, t.gid)) throw new KernelError(EACCES, 'open', path);
      if ((flags & O_TRUNC) && inode.isRegular() && inode.byteSize > 0) {
        inode.setSize(0);
        inode.stampModified(fs.now());
      }
    }
  }
  return openInode(fs, link, inode, flags & ~OPEN_ONLY_FLAGS);
}

function sysOpenat(k: Kernel, t: Task): number {
  const path = readPath(t, argU64(t, 1));
  const flags = argU32(t, 2);
  const f = openPath(k, t, argInt(t, 0), path, flags, argU32(t, 3));
  return t.files.install(f, (flags & O_CLOEXEC) !== 0, 0, fdLimit(t));
}

function sysClose(_k: Kernel, t: Task): number {
  return t.files.close(argInt(t, 0));
}

/** close_range(first, last, flags): CLOSE_RANGE_UNSHARE gives the task a private table first. */
function sysCloseRange(k: Kernel, t: Task): number {
  const first = argU32(t, 0), last = argU32(t, 1), flags = argU32(t, 2);
  if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) || first > last) return -EINVAL;
  if (flags & CLOSE_RANGE_UNSHARE) {
    const old = t.files;
    t.files = old.clone();
    let shared = false;
    for (const o of k.tasks.values()) if (o !== t && o.files === old) { shared = true; break; }
    if (!shared) old.closeAll();
  }
  for (const [fd, e] of [...t.files.entries()]) {
    if (fd < first || fd > last) continue;
    if (flags & CLOSE_RANGE_CLOEXEC) e.cloexec = true;
    else t.files.close(fd);
  }
  return 0;
}

function sysDup(_k: Kernel, t: Task): number {
  const f = fileOfRaw(t, argInt(t, 0));
  return t.files.install(f.get(), false, 0, fdLimit(t));
}

function sysDup3(_k: Kernel, t: Task): number {
  const oldfd = argInt(t, 0), newfd = argInt(t, 1), flags = argU32(t, 2);
  if (flags & ~O_CLOEXEC) return -EINVAL;
  if (oldfd === newfd) return -EINVAL;
  if (newfd < 0 || newfd >= fdLimit(t)) return -EBADF;
  const f = fileOfRaw(t, oldfd);
  t.files.installAt(newfd, f.get(), (flags & O_CLOEXEC) !== 0);
  return newfd;
}

function sysFcntl(_k: Kernel, t: Task): number {
  const fd = argInt(t, 0), cmd = argU32(t, 1), arg = argU64(t, 2);
  const e = t.files.entry(fd);
  if (!e) return -EBADF;
  const f = e.file;
  switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: {
      const limit = fdLimit(t);
      if (arg >= limit) return -EINVAL;
      return t.files.install(f.get(), cmd === F_DUPFD_CLOEXEC, arg, limit);
    }
    case F_GETFD: return e.cloexec ? FD_CLOEXEC : 0;
    case F_SETFD: e.cloexec = (arg & FD_CLOEXEC) !== 0; return 0;
    case F_GETFL: return f.flags;
    case F_SETFL:
      if (f.flags & O_PATH) return -EBADF;
      f.flags = (f.flags & ~SETFL_MASK) | (arg & SETFL_MASK);
      return 0;
    case F_GETOWN: case F_GETSIG: return 0;
    case F_SETOWN: case F_SETSIG: return 0;
    default:
      // Record locks (F_GETLK/F_SETLK/F_SETLKW, OFD locks), leases, notify, seals, pipe sizing: not emulated.
      return -EINVAL;
  }
}

const PIPE2_FLAGS = O_CLOEXEC | O_NONBLOCK | O_DIRECT;

/** pipe2(fds, flags): both fds appear only if writing them to user memory succeeds. */
function sysPipe2(k: Kernel, t: Task): number {
  const addr = argU64(t, 0), flags = argU32(t, 1);
  if (flags & ~PIPE2_FLAGS) return -EINVAL;
  const [r, w] = createPipe(k.rootfs.allocIno(), k.rootfs.now, flags & (O_NONBLOCK | O_DIRECT), (task) => raiseSigpipe(k, task));
  const cloexec = (flags & O_CLOEXEC) !== 0;
  const limit = fdLimit(t);
  const rfd = t.files.install(r, cloexec, 0, limit);
  if (rfd < 0) { w.put(); return rfd; }
  const wfd = t.files.install(w, cloexec, 0, limit);
  if (wfd < 0) { t.files.close(rfd); return wfd; }
  if (!t.mm.writeU32(addr, rfd) || !t.mm.writeU32(addr + 4, wfd)) {
    t.files.close(rfd);
    t.files.close(wfd);
    return -EFAULT;
  }
  return 0;
}

export const openSyscalls: SyscallTable = {
  [NR.openat]: sysOpenat,
  [NR.close]: sysClose,
  [NR.close_range]: sysCloseRange,
  [NR.dup]: sysDup,
  [NR.dup3]: sysDup3,
  [NR_FCNTL]: sysFcntl,
  [NR.pipe2]: sysPipe2,
};
