// The namespace calls: mkdirat, unlinkat, renameat2, linkat, symlinkat; and getdents64, getcwd, chdir, fchdir, umask.
import { EACCES, EFAULT, EINVAL, ENOENT, ENOTDIR, ERANGE } from '../errno';
import type { Kernel } from '../kernel';
import { argInt, argU32, argU64, SyscallTable } from '../syscall';
import { NR } from '../syscall-numbers';
import type { Task } from '../task';
import { AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, X_OK } from './constants';
import { inodeOf } from './dentry';
import { inodeRefOf } from './inode-files';
import { linkAt, mkdirAt, renameAt, rmdirAt, symlinkAt, unlinkAt } from './namespace';
import { clampCount, dirOfFile, fileOf, fileOfRaw, lookupAt, parentAt, readPath } from './syscall-args';

/** mkdirat(dirfd, path, mode): mode & 01777 & ~umask (setuid/setgid bits are not taken from mode). */
function sysMkdirat(k: Kernel, t: Task): number {
  const ref = parentAt(k, t, argInt(t, 0), readPath(t, argU64(t, 1)));
  mkdirAt(k.rootfs, ref, argU32(t, 2) & 0o1777 & ~t.fs.umask, t);
  return 0;
}

function sysUnlinkat(k: Kernel, t: Task): number {
  const flags = argU32(t, 2);
  if (flags & ~AT_REMOVEDIR) return -EINVAL;
  const ref = parentAt(k, t, argInt(t, 0), readPath(t, argU64(t, 1)));
  if (flags & AT_REMOVEDIR) rmdirAt(k.rootfs, ref, t);
  else unlinkAt(k.rootfs, ref, t);
  return 0;
}

function sysRenameat2(k: Kernel, t: Task): number {
  const oldPath = readPath(t, argU64(t, 1)), newPath = readPath(t, argU64(t, 3));
  const from = parentAt(k, t, argInt(t, 0), oldPath);
  const to = parentAt(k, t, argInt(t, 2), newPath);
  renameAt(k.rootfs, from, to, argU32(t, 4), t);
  return 0;
}

/** linkat(olddirfd, oldpath, newdirfd, newpath, flags): AT_EMPTY_PATH links the open file itself. */
function sysLinkat(k: Kernel, t: Task): number {
  const flags = argU32(t, 4);
  if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) return -EINVAL;
  const oldPath = readPath(t, argU64(t, 1));
  let target;
  if (oldPath === '' && (flags & AT_EMPTY_PATH)) {
    const ref = inodeRefOf(fileOfRaw(t, argInt(t, 0)));
    if (!ref) return -ENOENT;
    target = ref.link;
  } else {
    target = lookupAt(k, t, argInt(t, 0), oldPath, (flags & AT_SYMLINK_FOLLOW) !== 0);
  }
  linkAt(k.rootfs, target, parentAt(k, t, argInt(t, 2), readPath(t, argU64(t, 3))), t);
  return 0;
}

function sysSymlinkat(k: Kernel, t: Task): number {
  const target = readPath(t, argU64(t, 0));
  symlinkAt(k.rootfs, target, parentAt(k, t, argInt(t, 1), readPath(t, argU64(t, 2))), t);
  return 0;
}

/** getdents64(fd, dirp, count): entries from f_pos; f_pos moves only when they reached user memory. */
function sysGetdents64(k: Kernel, t: Task): number {
  const f = fileOf(t, argInt(t, 0));
  const batch = f.ops.readdir(f, clampCount(argU32(t, 2)));
  if (typeof batch === 'number') return batch;
  if (batch.bytes.length > 0 && !t.mm.write(argU64(t, 1), batch.bytes)) return -EFAULT;
  f.setPos(batch.pos);
  inodeRefOf(f)?.inode.stampAccessed(k.rootfs.now());
  return batch.bytes.length;
}

/** getcwd(buf, size): the length including the NUL; ENOENT once the cwd was removed, ERANGE if it does not fit. */
function sysGetcwd(k: Kernel, t: Task): number {
  const path = k.rootfs.pathOf(t.fs.cwdDir(k.rootfs));
  if (path === null) return -ENOENT;
  const bytes = Buffer.from(path + '\0', 'utf8');
  if (argU64(t, 1) < bytes.length) return -ERANGE;
  return t.mm.write(argU64(t, 0), bytes) ? bytes.length : -EFAULT;
}

function sysChdir(k: Kernel, t: Task): number {
  const link = lookupAt(k, t, AT_FDCWD, readPath(t, argU64(t, 0)), true);
  const inode = inodeOf(link);
  if (!inode.isDir()) return -ENOTDIR;
  if (!inode.permits(X_OK, t.uid, t.gid)) return -EACCES;
  t.fs.cwd = link;
  return 0;
}

function sysFchdir(_k: Kernel, t: Task): number {
  const dir = dirOfFile(fileOfRaw(t, argInt(t, 0)));
  if (!dir) return -ENOTDIR;
  if (!inodeOf(dir).permits(X_OK, t.uid, t.gid)) return -EACCES;
  t.fs.cwd = dir;
  return 0;
}

function sysUmask(_k: Kernel, t: Task): number {
  const old = t.fs.umask;
  t.fs.umask = argU32(t, 0) & 0o777;
  return old;
}

export const nameSyscalls: SyscallTable = {
  [NR.mkdirat]: sysMkdirat,
  [NR.unlinkat]: sysUnlinkat,
  [NR.renameat2]: sysRenameat2,
  [NR.linkat]: sysLinkat,
  [NR.symlinkat]: sysSymlinkat,
  [NR.getdents64]: sysGetdents64,
  [NR.getcwd]: sysGetcwd,
  [NR.chdir]: sysChdir,
  [NR.fchdir]: sysFchdir,
  [NR.umask]: sysUmask,
};
