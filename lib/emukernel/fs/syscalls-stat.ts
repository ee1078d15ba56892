// Attributes: newfstatat, fstat, statx, faccessat(2), fchmod(at), fchown(at), utimensat, readlinkat, statfs.
import { EACCES, EFAULT, EINVAL, ENOENT, EPERM, KernelError } from '../errno';
import type { Kernel } from '../kernel';
import { argInt, argU32, argU64, SyscallTable } from '../syscall';
import { NR } from '../syscall-numbers';
import type { Task } from '../task';
import {
  AT_EACCESS, AT_EMPTY_PATH, AT_FDCWD, AT_NO_AUTOMOUNT, AT_STATX_SYNC_TYPE, AT_SYMLINK_NOFOLLOW, F_OK,
  NR_FSTAT, NR_FSTATFS, NR_NEWFSTATAT, NR_STATFS, S_IALLUGO, S_IFMT, S_ISGID, S_ISUID,
} from './constants';
import { inodeOf } from './dentry';
import type { OpenFile } from './file';
import type { Inode } from './inode';
import { inodeRefOf } from './inode-files';
import { StatInfo, encodeStat, encodeStatfs, encodeStatx, statInode } from './stat';
import { fileOf, fileOfRaw, lookupAt, readPath } from './syscall-args';

/** What an *at() attribute call operates on: an inode of the root, or (AT_EMPTY_PATH on a pipe...) just a file. */
interface AtTarget {
  inode: Inode | null;
  stat(): StatInfo;
}

function fileTarget(f: OpenFile): AtTarget {
  return { inode: inodeRefOf(f)?.inode ?? null, stat: () => f.ops.stat(f) };
}

function inodeTarget(inode: Inode): AtTarget {
  return { inode, stat: () => statInode(inode) };
}

/** Resolve (dirfd, path, flags) as the *at() attribute calls do; AT_EMPTY_PATH with "" (or NULL) means dirfd itself. */
function resolveTarget(k: Kernel, t: Task, dirfd: number, pathAddr: number, flags: number): AtTarget {
  const path = pathAddr === 0 && (flags & AT_EMPTY_PATH) ? '' : readPath(t, pathAddr);
  if (path === '' && (flags & AT_EMPTY_PATH)) {
    if (dirfd === AT_FDCWD) return inodeTarget(inodeOf(t.fs.cwdDir(k.rootfs)));
    return fileTarget(fileOfRaw(t, dirfd));
  }
  return inodeTarget(inodeOf(lookupAt(k, t, dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW))));
}

function writeOut(t: Task, addr: number, data: Uint8Array): number {
  return t.mm.write(addr, data) ? 0 : -EFAULT;
}

/** newfstatat(dirfd, path, statbuf, flags) — what glibc's stat, lstat and fstat all use on riscv64. */
function sysNewfstatat(k: Kernel, t: Task): number {
  const flags = argU32(t, 3);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH)) return -EINVAL;
  const target = resolveTarget(k, t, argInt(t, 0), argU64(t, 1), flags);
  return writeOut(t, argU64(t, 2), encodeStat(target.stat()));
}

function sysFstat(_k: Kernel, t: Task): number {
  const f = fileOfRaw(t, argInt(t, 0));
  return writeOut(t, argU64(t, 1), encodeStat(f.ops.stat(f)));
}

/** statx(dirfd, path, flags, mask, buf): every basic field plus btime is filled whatever the mask. */
function sysStatx(k: Kernel, t: Task): number {
  const flags = argU32(t, 2), mask = argU32(t, 3);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE)) return -EINVAL;
  if ((flags & AT_STATX_SYNC_TYPE) === AT_STATX_SYNC_TYPE || (mask & 0x80000000)) return -EINVAL;
  const target = resolveTarget(k, t, argInt(t, 0), argU64(t, 1), flags);
  return writeOut(t, argU64(t, 4), encodeStatx(target.stat()));
}

function doFaccessat(k: Kernel, t: Task, flags: number): number {
  const mode = argU32(t, 2);
  if (mode & ~7) return -EINVAL;
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EACCESS | AT_EMPTY_PATH)) return -EINVAL;
  const target = resolveTarget(k, t, argInt(t, 0), argU64(t, 1), flags);
  if (mode === F_OK || !target.inode) return 0;
  return target.inode.permits(mode, t.uid, t.gid) ? 0 : -EACCES;
}

function sysFaccessat(k: Kernel, t: Task): number {
  return doFaccessat(k, t, 0);
}

function sysFaccessat2(k: Kernel, t: Task): number {
  return doFaccessat(k, t, argU32(t, 3));
}

/** chmod on an inode: the owner or root may; only permission and special bits change. */
function chmodInode(k: Kernel, t: Task, inode: Inode | null, mode: number): number {
  if (!inode) return 0;
  if (t.uid !== 0 && t.uid !== inode.uid) return -EPERM;
  inode.mode = (inode.mode & S_IFMT) | (mode & S_IALLUGO);
  inode.stampChanged(k.rootfs.now());
  return 0;
}

function sysFchmod(k: Kernel, t: Task): number {
  const f = fileOf(t, argInt(t, 0));
  return chmodInode(k, t, inodeRefOf(f)?.inode ?? null, argU32(t, 1));
}

function sysFchmodat(k: Kernel, t: Task): number {
  const target = resolveTarget(k, t, argInt(t, 0), argU64(t, 1), 0);
  return chmodInode(k, t, target.inode, argU32(t, 2));
}

/** chown: root only (no capability model); -1 keeps an id; a regular file loses setuid (and group-exec setgid). */
function chownInode(k: Kernel, t: Task, inode: Inode | null, uid: number, gid: number): number {
  if (!inode) return 0;
  const keepUid = uid === 0xffffffff, keepGid = gid === 0xffffffff;
  if (t.uid !== 0 && !((keepUid || uid === inode.uid) && (keepGid || gid === inode.gid))) return -EPERM;
  if (!keepUid) inode.uid = uid;
  if (!keepGid) inode.gid = gid;
  if (inode.isRegular()) {
    inode.mode &= ~S_ISUID;
    if (inode.mode & 0o010) inode.mode &= ~S_ISGID;
  }
  inode.stampChanged(k.rootfs.now());
  return 0;
}

function sysFchownat(k: Kernel, t: Task): number {
  const flags = argU32(t, 4);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -EINVAL;
  const target = resolveTarget(k, t, argInt(t, 0), argU64(t, 1), flags);
  return chownInode(k, t, target.inode, argU32(t, 2), argU32(t, 3));
}

function sysFchown(k: Kernel, t: Task): number {
  const f = fileOf(t, argInt(t, 0));
  return chownInode(k, t, inodeRefOf(f)?.inode ?? null, argU32(t, 1), argU32(t, 2));
}

const UTIME_NOW = 0x3fffffff, UTIME_OMIT = 0x3ffffffe;

/** One timespec of utimensat: ns, or 'now' / 'omit'. Throws EFAULT, EINVAL (nsec out of range). */
function readUtime(t: Task, addr: number): bigint | 'now' | 'omit' {
  const sec = t.mm.readU64(addr), nsec = t.mm.readU64(addr + 8);
  if (sec === null || nsec === null) throw new KernelError(EFAULT, 'utimensat');
  const ns = BigInt.asIntN(64, nsec);
  if (ns === BigInt(UTIME_NOW)) return 'now';
  if (ns === BigInt(UTIME_OMIT)) return 'omit';
  if (ns < 0n || ns > 999_999_999n) throw new KernelError(EINVAL, 'utimensat');
  return BigInt.asIntN(64, sec) * 1_000_000_000n + ns;
}

/** utimensat(dirfd, path, times, flags); a NULL path means dirfd itself (Linux's futimens). */
function sysUtimensat(k: Kernel, t: Task): number {
  const dirfd = argInt(t, 0), pathAddr = argU64(t, 1), timesAddr = argU64(t, 2), flags = argU32(t, 3);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -EINVAL;
  let a: bigint | 'now' | 'omit' = 'now', m: bigint | 'now' | 'omit' = 'now';
  if (timesAddr !== 0) {
    a = readUtime(t, timesAddr);
    m = readUtime(t, timesAddr + 16);
    if (a === 'omit' && m === 'omit') return 0;
  }
  let target: AtTarget;
  if (pathAddr === 0) {
    if (dirfd === AT_FDCWD) return -EFAULT;
    target = fileTarget(fileOfRaw(t, dirfd));
  } else {
    target = resolveTarget(k, t, dirfd, pathAddr, flags);
  }
  const inode = target.inode;
  if (!inode) return 0;
  const explicit = (a !== 'now' && a !== 'omit') || (m !== 'now' && m !== 'omit');
  if (t.uid !== 0 && t.uid !== inode.uid && (explicit || !inode.permits(2, t.uid, t.gid))) return explicit ? -EPERM : -EACCES;
  const now = k.rootfs.now();
  if (a !== 'omit') inode.atimeNs = a === 'now' ? now : a;
  if (m !== 'omit') inode.mtimeNs = m === 'now' ? now : m;
  inode.stampChanged(now);
  return 0;
}

/** The target of a /proc/self/... magic link we emulate, or null if `path` is not one. */
function procLink(k: Kernel, t: Task, path: string): string | null {
  const m = /^\/proc\/(self|thread-self|\d+)\/(exe|fd\/(\d+)|cwd)$/.exec(path);
  if (!m || (m[1] !== 'self' && m[1] !== 'thread-self' && Number(m[1]) !== t.tgid)) return null;
  if (m[2] === 'exe') {
    if (t.mm.exePath === '') throw new KernelError(ENOENT, 'readlink', path);
    return t.mm.exePath;
  }
  if (m[2] === 'cwd') return k.rootfs.pathOf(t.fs.cwdDir(k.rootfs)) ?? '/ (deleted)';
  const f = t.files.get(Number(m[3]));
  if (!f) throw new KernelError(ENOENT, 'readlink', path);
  return f.ops.describe(f);
}

/** readlinkat(dirfd, path, buf, bufsiz): the target, truncated to bufsiz, no NUL. */
function sysReadlinkat(k: Kernel, t: Task): number {
  const dirfd = argInt(t, 0), path = readPath(t, argU64(t, 1)), buf = argU64(t, 2), size = argInt(t, 3);
  if (size <= 0) return -EINVAL;
  let target = procLink(k, t, path);
  if (target === null) {
    let inode: Inode;
    if (path === '' && dirfd !== AT_FDCWD) {
      const ref = inodeRefOf(fileOfRaw(t, dirfd));
      if (!ref || !ref.inode.isLink()) return -ENOENT;
      inode = ref.inode;
    } else {
      inode = inodeOf(lookupAt(k, t, dirfd, path, false));
    }
    if (!inode.isLink()) return -EINVAL;
    target = inode.symlink;
    inode.stampAccessed(k.rootfs.now());
  }
  const bytes = Buffer.from(target, 'utf8').subarray(0, size);
  return t.mm.write(buf, bytes) ? bytes.length : -EFAULT;
}

function statfsBytes(k: Kernel): Uint8Array {
  let used = 0;
  for (const node of Object.values(k.rootfs.sb.inodes)) used += Math.ceil(node.getSize() / 4096);
  return encodeStatfs((1 << 20) - used, k.rootfs.inodeCount());
}

function sysStatfs(k: Kernel, t: Task): number {
  lookupAt(k, t, AT_FDCWD, readPath(t, argU64(t, 0)), true);
  return writeOut(t, argU64(t, 1), statfsBytes(k));
}

function sysFstatfs(k: Kernel, t: Task): number {
  fileOfRaw(t, argInt(t, 0));
  return writeOut(t, argU64(t, 1), statfsBytes(k));
}

export const statSyscalls: SyscallTable = {
  [NR_NEWFSTATAT]: sysNewfstatat,
  [NR_FSTAT]: sysFstat,
  [NR.statx]: sysStatx,
  [NR.faccessat]: sysFaccessat,
  [NR.faccessat2]: sysFaccessat2,
  [NR.fchmod]: sysFchmod,
  [NR.fchmodat]: sysFchmodat,
  [NR.fchownat]: sysFchownat,
  [NR.fchown]: sysFchown,
  [NR.utimensat]: sysUtimensat,
  [NR.readlinkat]: sysReadlinkat,
  [NR_STATFS]: sysStatfs,
  [NR_FSTATFS]: sysFstatfs,
};
