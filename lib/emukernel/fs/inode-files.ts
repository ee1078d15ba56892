// Open files backed by memfs inodes: regular files, directories, symlinks (O_PATH) and /dev/{null,zero,full}.
import type { Link } from '@jsonjoy.com/fs-core';
import { EFAULT, EFBIG, EINVAL, EISDIR, ENOENT, ENOSPC, ENOTTY, ENXIO, KernelError } from '../errno';
import type { Task } from '../task';
import {
  DEV_FULL, DEV_NULL, DEV_ZERO, FIONREAD, MAX_FILE_SIZE, O_NOATIME, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM,
  S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, SEEK_CUR, SEEK_DATA, SEEK_END, SEEK_HOLE, SEEK_SET,
} from './constants';
import { forEachEntry } from './dentry';
import { DEFAULT_OPS, DirentBatch, FileOps, OpenFile, ReadTarget } from './file';
import type { Inode } from './inode';
import type { RootFs } from './rootfs';
import { StatInfo, statInode } from './stat';

/** What an inode-backed open file holds: the filesystem, the name it was opened by, the inode. */
export interface InodeRef {
  readonly fs: RootFs;
  readonly link: Link;
  readonly inode: Inode;
}

type InodeFile = OpenFile<InodeRef>;

const DEFAULT_POLLMASK = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;

function statOf(f: InodeFile): StatInfo {
  return statInode(f.priv.inode);
}

function releaseInodeFile(f: InodeFile): void {
  f.priv.fs.releaseInode(f.priv.inode);
}

/** d_path of the name the file was opened by; " (deleted)" once that name is gone. */
function describeInodeFile(f: InodeFile): string {
  const path = f.priv.fs.pathOf(f.priv.link);
  return path ?? `/${f.priv.link.name} (deleted)`;
}

function readRegular(f: InodeFile, _t: unknown, dst: ReadTarget, pos: number | null): number {
  const { inode, fs } = f.priv;
  const at = pos ?? f.pos;
  const data = inode.readAt(at, dst.room);
  if (data.length === 0) return 0;
  const n = dst.put(data);
  if (n === 0) return -EFAULT;
  if (pos === null) f.setPos(at + n);
  if (!(f.flags & O_NOATIME)) inode.stampAccessed(fs.now());
  return n;
}

function writeRegular(f: InodeFile, _t: unknown, data: Uint8Array, pos: number | null): number {
  const { inode, fs } = f.priv;
  if (data.length === 0) return 0;
  // O_APPEND wins even over pwrite's offset, as on Linux (pwrite(2), BUGS).
  const at = f.append ? inode.byteSize : pos ?? f.pos;
  if (at >= MAX_FILE_SIZE) return -EFBIG;
  const chunk = at + data.length > MAX_FILE_SIZE ? data.subarray(0, MAX_FILE_SIZE - at) : data;
  inode.writeAt(at, chunk);
  inode.stampModified(fs.now());
  if (pos === null) f.setPos(at + chunk.length);
  return chunk.length;
}

/** generic_file_llseek plus SEEK_DATA/SEEK_HOLE over the inode's written blocks. */
function llseekRegular(f: InodeFile, offset: number, whence: number): number {
  const inode = f.priv.inode;
  let p: number;
  switch (whence) {
    case SEEK_SET: p = offset; break;
    case SEEK_CUR: p = f.pos + offset; break;
    case SEEK_END: p = inode.byteSize + offset; break;
    case SEEK_DATA:
      p = inode.seekData(offset);
      if (p < 0) return -ENXIO;
      break;
    case SEEK_HOLE:
      p = inode.seekHole(offset);
      if (p < 0) return -ENXIO;
      break;
    default: return -EINVAL;
  }
  if (p < 0 || p > MAX_FILE_SIZE) return -EINVAL;
  f.setPos(p);
  return p;
}

/** FIONREAD on a regular file: the bytes between f_pos and EOF. */
function ioctlRegular(f: InodeFile, t: Task, cmd: number, arg: number): number {
  if (cmd !== FIONREAD) return -ENOTTY;
  const left = Math.max(0, f.priv.inode.byteSize - f.pos);
  return t.mm.writeU32(arg, Math.min(left, 0x7fffffff)) ? 0 : -EFAULT;
}

function truncateRegular(f: InodeFile, len: number): number {
  if (!f.writable) return -EINVAL;
  if (len > MAX_FILE_SIZE) return -EFBIG;
  const { inode, fs } = f.priv;
  inode.setSize(len);
  inode.stampModified(fs.now());
  return 0;
}

export const regularFileOps: FileOps<InodeRef> = {
  ...DEFAULT_OPS,
  kind: 'regular',
  positional: true,
  describe: describeInodeFile,
  read: readRegular,
  write: writeRegular,
  llseek: llseekRegular,
  ioctl: ioctlRegular,
  stat: statOf,
  truncate: truncateRegular,
  fsync: () => 0,
  poll: () => DEFAULT_POLLMASK,
  readAt: (f, offset, len) => f.priv.inode.readAt(offset, len),
  release: releaseInodeFile,
};

/** Directories seek only to positions readdir handed out (offset_dir_llseek: SEEK_SET/SEEK_CUR, >= 0). */
function llseekDir(f: InodeFile, offset: number, whence: number): number {
  const p = whence === SEEK_SET ? offset : whence === SEEK_CUR ? f.pos + offset : -1;
  if (p < 0) return -EINVAL;
  f.setPos(p);
  return p;
}

const DIRENT_HEADER = 19;

/** linux_dirent64 records from f_pos that fit in `max` bytes. EINVAL if not even one fits; ENOENT once the directory is removed. */
function readdirDir(f: InodeFile, max: number): DirentBatch | number {
  const { link, inode, fs } = f.priv;
  if (inode.nlink === 0) return -ENOENT;
  const chunks: Uint8Array[] = [];
  let used = 0;
  let pos = f.pos;
  let tooSmall = false;
  forEachEntry(link, fs.root, f.pos, (e) => {
    const name = Buffer.from(e.name, 'utf8');
    const reclen = (DIRENT_HEADER + name.length + 1 + 7) & ~7;
    if (used + reclen > max) {
      tooSmall = chunks.length === 0;
      return false;
    }
    const rec = new Uint8Array(reclen);
    const v = new DataView(rec.buffer);
    v.setBigUint64(0, BigInt(e.ino), true);
    v.setBigInt64(8, BigInt(e.next), true);
    v.setUint16(16, reclen, true);
    rec[18] = e.type;
    rec.set(name, DIRENT_HEADER);
    chunks.push(rec);
    used += reclen;
    pos = e.next;
    return true;
  });
  if (tooSmall) return -EINVAL;
  const bytes = new Uint8Array(used);
  let off = 0;
  for (const c of chunks) { bytes.set(c, off); off += c.length; }
  return { bytes, pos };
}

export const directoryOps: FileOps<InodeRef> = {
  ...DEFAULT_OPS,
  kind: 'directory',
  positional: true,
  describe: describeInodeFile,
  read: () => -EISDIR,
  write: () => -EISDIR,
  llseek: llseekDir,
  readdir: readdirDir,
  stat: statOf,
  fsync: () => 0,
  poll: () => DEFAULT_POLLMASK,
  release: releaseInodeFile,
};

/** A symlink opened with O_PATH|O_NOFOLLOW: only fstat, *at and close apply to it. */
export const symlinkOps: FileOps<InodeRef> = {
  ...DEFAULT_OPS,
  kind: 'symlink',
  positional: true,
  describe: describeInodeFile,
  read: () => -EINVAL,
  write: () => -EINVAL,
  stat: statOf,
  poll: () => 0,
  release: releaseInodeFile,
};

/** /dev/zero and /dev/full reads: zeros up to the room, in bounded chunks. */
function readZeros(_f: InodeFile, _t: unknown, dst: ReadTarget): number {
  let done = 0;
  while (done < dst.room) {
    const n = Math.min(dst.room - done, 65536);
    const got = dst.put(new Uint8Array(n));
    done += got;
    if (got < n) return done === 0 ? -EFAULT : done;
  }
  return done;
}

const charDevBase = {
  ...DEFAULT_OPS,
  kind: 'chardev' as const,
  positional: true,
  describe: describeInodeFile,
  llseek: (f: InodeFile) => { f.setPos(0); return 0; },
  stat: statOf,
  fsync: () => -EINVAL,
  poll: () => DEFAULT_POLLMASK,
  release: releaseInodeFile,
};

export const devNullOps: FileOps<InodeRef> = { ...charDevBase, read: () => 0, write: (_f, _t, data) => data.length };
export const devZeroOps: FileOps<InodeRef> = { ...charDevBase, read: readZeros, write: (_f, _t, data) => data.length };
export const devFullOps: FileOps<InodeRef> = { ...charDevBase, read: readZeros, write: () => -ENOSPC };

/**
 * The ops for an inode, decided once by its type (as ramfs_get_inode does). Throws KernelError
 * ENXIO for a device or FIFO the root does not implement.
 */
export function inodeFileOps(inode: Inode): FileOps<InodeRef> {
  switch (inode.mode & S_IFMT) {
    case S_IFREG: return regularFileOps;
    case S_IFDIR: return directoryOps;
    case S_IFLNK: return symlinkOps;
    case S_IFCHR:
      if (inode.rdev === DEV_NULL) return devNullOps;
      if (inode.rdev === DEV_ZERO) return devZeroOps;
      if (inode.rdev === DEV_FULL) return devFullOps;
      break;
    default: break;
  }
  throw new KernelError(ENXIO, 'open');
}

const INODE_OPS: ReadonlySet<unknown> = new Set([regularFileOps, directoryOps, symlinkOps, devNullOps, devZeroOps, devFullOps]);

/** The inode and dentry behind an open file, or null for pipes and host files. */
export function inodeRefOf(f: OpenFile): InodeRef | null {
  // Files opened with one of the inode ops were built by openInode with an InodeRef payload.
  return INODE_OPS.has(f.ops) ? (f.priv as InodeRef) : null;
}

/** Open `link` with `flags` (f_flags): a new OpenFile holding the inode. */
export function openInode(fs: RootFs, link: Link, inode: Inode, flags: number): OpenFile<InodeRef> {
  const ops = inodeFileOps(inode);
  fs.retainInode(inode);
  return new OpenFile(ops, { fs, link, inode }, flags);
}
