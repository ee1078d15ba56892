// Operations on names (create, mkdir, unlink, rmdir, rename, link, symlink) with Linux's checks and errnos.
import type { Link } from '@jsonjoy.com/fs-core';
import {
  EACCES, EBUSY, EEXIST, EINVAL, EISDIR, ENOENT, ENOTDIR, ENOTEMPTY, EPERM, KernelError,
} from '../errno';
import { RENAME_EXCHANGE, RENAME_NOREPLACE, S_IALLUGO, S_IFDIR, S_IFLNK, S_IFREG, S_ISVTX, W_OK, X_OK } from './constants';
import { attachEntry, childOf, detachEntry, inodeOf, isAncestor, newDentry } from './dentry';
import type { Inode } from './inode';
import type { Creds, ParentRef } from './namei';
import type { RootFs } from './rootfs';

function fail(errno: number, op: string, name: string): never {
  throw new KernelError(errno, op, name);
}

/** may_create: the directory still exists and the caller may write and search it. */
function checkCreate(dir: Inode, creds: Creds, op: string, name: string): void {
  if (dir.nlink === 0) fail(ENOENT, op, name);
  if (!dir.permits(W_OK | X_OK, creds.uid, creds.gid)) fail(EACCES, op, name);
}

/** may_delete: write+search on the directory, and the sticky bit's owner rule. */
function checkDelete(dir: Inode, victim: Inode, creds: Creds, op: string, name: string): void {
  if (!dir.permits(W_OK | X_OK, creds.uid, creds.gid)) fail(EACCES, op, name);
  if ((dir.mode & S_ISVTX) && creds.uid !== 0 && creds.uid !== victim.uid && creds.uid !== dir.uid) fail(EPERM, op, name);
}

/** Give up one name of `inode`: a directory loses both its links, anything else one. */
function dropName(fs: RootFs, inode: Inode): void {
  inode.nlink = inode.isDir() ? 0 : inode.nlink - 1;
  inode.stampChanged(fs.now());
  fs.freeIfUnused(inode);
}

/** Stamp a directory whose entries changed. */
function touchDir(fs: RootFs, dir: Link): void {
  inodeOf(dir).stampModified(fs.now());
}

/** A new regular file, directory or symlink named by `ref` (which must be a 'norm' name not present). */
function createNode(fs: RootFs, ref: ParentRef, mode: number, creds: Creds, op: string): Link {
  const dirInode = inodeOf(ref.dir);
  checkCreate(dirInode, creds, op, ref.name);
  const link = newDentry(fs.sb, fs.allocInode(mode, creds, dirInode));
  attachEntry(ref.dir, ref.name, link);
  touchDir(fs, ref.dir);
  return link;
}

/** open(O_CREAT) of a missing name: a regular file with `perm` (already masked by umask). */
export function createFileAt(fs: RootFs, ref: ParentRef, perm: number, creds: Creds): Link {
  return createNode(fs, ref, S_IFREG | (perm & S_IALLUGO), creds, 'open');
}

/** mkdirat. Throws EEXIST (the name exists, or is '.', '..', '/'), ENOENT, EACCES. */
export function mkdirAt(fs: RootFs, ref: ParentRef, perm: number, creds: Creds): Link {
  if (ref.last !== 'norm' || childOf(ref.dir, ref.name)) fail(EEXIST, 'mkdir', ref.name);
  return createNode(fs, ref, S_IFDIR | (perm & S_IALLUGO), creds, 'mkdir');
}

/** symlinkat. Throws ENOENT (empty target, or a trailing slash on a missing name), EEXIST, EACCES. */
export function symlinkAt(fs: RootFs, target: string, ref: ParentRef, creds: Creds): void {
  if (target === '') fail(ENOENT, 'symlink', target);
  if (ref.last !== 'norm' || childOf(ref.dir, ref.name)) fail(EEXIST, 'symlink', ref.name);
  if (ref.slash) fail(ENOENT, 'symlink', ref.name);
  const link = createNode(fs, ref, S_IFLNK | 0o777, creds, 'symlink');
  inodeOf(link).symlink = target;
}

/** linkat: a new name for `target`'s inode. Throws EEXIST, ENOENT, EACCES, EPERM (a directory). */
export function linkAt(fs: RootFs, target: Link, ref: ParentRef, creds: Creds): void {
  if (ref.last !== 'norm' || childOf(ref.dir, ref.name)) fail(EEXIST, 'link', ref.name);
  if (ref.slash) fail(ENOENT, 'link', ref.name);
  const dirInode = inodeOf(ref.dir);
  checkCreate(dirInode, creds, 'link', ref.name);
  const inode = inodeOf(target);
  if (inode.isDir()) fail(EPERM, 'link', ref.name);
  if (inode.nlink === 0) fail(ENOENT, 'link', ref.name);
  const link = newDentry(fs.sb, inode);
  inode.nlink++;
  inode.stampChanged(fs.now());
  attachEntry(ref.dir, ref.name, link);
  touchDir(fs, ref.dir);
}

/** unlinkat without AT_REMOVEDIR. Throws EISDIR, ENOENT, ENOTDIR (trailing slash on a file), EACCES, EPERM. */
export function unlinkAt(fs: RootFs, ref: ParentRef, creds: Creds): void {
  if (ref.last !== 'norm') fail(EISDIR, 'unlink', ref.name);
  const child = childOf(ref.dir, ref.name);
  if (!child) fail(ENOENT, 'unlink', ref.name);
  const inode = inodeOf(child);
  if (ref.slash) fail(inode.isDir() ? EISDIR : ENOTDIR, 'unlink', ref.name);
  checkDelete(inodeOf(ref.dir), inode, creds, 'unlink', ref.name);
  if (inode.isDir()) fail(EISDIR, 'unlink', ref.name);
  detachEntry(ref.dir, child);
  touchDir(fs, ref.dir);
  dropName(fs, inode);
}

/** unlinkat with AT_REMOVEDIR. Throws EINVAL ('.'), ENOTEMPTY ('..' or entries), EBUSY ('/'), ENOENT, ENOTDIR, EACCES. */
export function rmdirAt(fs: RootFs, ref: ParentRef, creds: Creds): void {
  if (ref.last === 'dot') fail(EINVAL, 'rmdir', ref.name);
  if (ref.last === 'dotdot') fail(ENOTEMPTY, 'rmdir', ref.name);
  if (ref.last === 'root') fail(EBUSY, 'rmdir', '/');
  const child = childOf(ref.dir, ref.name);
  if (!child) fail(ENOENT, 'rmdir', ref.name);
  const inode = inodeOf(child);
  if (!inode.isDir()) fail(ENOTDIR, 'rmdir', ref.name);
  checkDelete(inodeOf(ref.dir), inode, creds, 'rmdir', ref.name);
  if (inode.entries > 0) fail(ENOTEMPTY, 'rmdir', ref.name);
  detachEntry(ref.dir, child);
  touchDir(fs, ref.dir);
  dropName(fs, inode);
}

/**
 * renameat2 with flags 0, RENAME_NOREPLACE or RENAME_EXCHANGE, checked in Linux's order:
 * EINVAL (flags, or moving a directory into itself), EBUSY ('.'/'..'/'/'), ENOENT, EEXIST,
 * ENOTDIR/EISDIR (kind mismatch, trailing slash on a file), ENOTEMPTY, EACCES.
 * Renaming a name onto another name of the same inode does nothing and succeeds.
 */
export function renameAt(fs: RootFs, from: ParentRef, to: ParentRef, flags: number, creds: Creds): void {
  if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) fail(EINVAL, 'rename', from.name);
  if ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE)) fail(EINVAL, 'rename', from.name);
  const exchange = (flags & RENAME_EXCHANGE) !== 0;
  if (from.last !== 'norm') fail(EBUSY, 'rename', from.name);
  if (to.last !== 'norm') fail(flags & RENAME_NOREPLACE ? EEXIST : EBUSY, 'rename', to.name);
  const src = childOf(from.dir, from.name);
  if (!src) fail(ENOENT, 'rename', from.name);
  const srcInode = inodeOf(src);
  if (!srcInode.isDir() && (from.slash || (!exchange && to.slash))) fail(ENOTDIR, 'rename', from.name);
  if (isAncestor(src, to.dir, fs.root)) fail(EINVAL, 'rename', from.name);
  const dst = childOf(to.dir, to.name);
  if (exchange) {
    if (!dst) fail(ENOENT, 'rename', to.name);
    if (!inodeOf(dst).isDir() && to.slash) fail(ENOTDIR, 'rename', to.name);
  }
  if (dst && (flags & RENAME_NOREPLACE)) fail(EEXIST, 'rename', to.name);
  if (dst && isAncestor(dst, from.dir, fs.root)) fail(exchange ? EINVAL : ENOTEMPTY, 'rename', to.name);
  if (dst && inodeOf(dst) === srcInode) return;
  checkDelete(inodeOf(from.dir), srcInode, creds, 'rename', from.name);
  if (dst) {
    const dstInode = inodeOf(dst);
    if (!exchange) {
      if (srcInode.isDir() && !dstInode.isDir()) fail(ENOTDIR, 'rename', to.name);
      if (!srcInode.isDir() && dstInode.isDir()) fail(EISDIR, 'rename', to.name);
    }
    checkDelete(inodeOf(to.dir), dstInode, creds, 'rename', to.name);
    if (!exchange && dstInode.isDir() && dstInode.entries > 0) fail(ENOTEMPTY, 'rename', to.name);
  } else {
    checkCreate(inodeOf(to.dir), creds, 'rename', to.name);
  }
  const now = fs.now();
  detachEntry(from.dir, src);
  if (dst) detachEntry(to.dir, dst);
  attachEntry(to.dir, to.name, src);
  if (dst && exchange) {
    attachEntry(from.dir, from.name, dst);
    inodeOf(dst).stampChanged(now);
  } else if (dst) {
    dropName(fs, inodeOf(dst));
  }
  srcInode.stampChanged(now);
  touchDir(fs, from.dir);
  if (to.dir !== from.dir) touchDir(fs, to.dir);
}
