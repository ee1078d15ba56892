// What stat reports about a file, and the riscv64 layouts of struct stat, struct statx and struct statfs.
import { BLOCK_SIZE, ROOT_DEV } from './constants';
import type { Inode } from './inode';

/** Attributes of an open file or inode, whatever its kind (Linux's struct kstat). */
export interface StatInfo {
  dev: number;
  ino: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  blksize: number;
  /** 512-byte units allocated. */
  blocks: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  btimeNs: bigint;
}

/** The attributes of a memfs inode. */
export function statInode(inode: Inode): StatInfo {
  return {
    dev: ROOT_DEV,
    ino: inode.ino,
    mode: inode.mode,
    nlink: inode.nlink,
    uid: inode.uid,
    gid: inode.gid,
    rdev: inode.rdev,
    size: inode.isRegular() || inode.isLink() ? inode.byteSize : inode.isDir() ? dirSize(inode) : 0,
    blksize: BLOCK_SIZE,
    blocks: inode.blocks512(),
    atimeNs: inode.atimeNs,
    mtimeNs: inode.mtimeNs,
    ctimeNs: inode.ctimeNs,
    btimeNs: inode.btimeNs,
  };
}

/** tmpfs reports a directory's size as BOGO_DIRENT_SIZE (20) per entry, '.' and '..' included. */
function dirSize(inode: Inode): number {
  return (inode.entries + 2) * 20;
}

const NS = 1_000_000_000n;

/** Split ns since the epoch into (seconds, nanoseconds) with 0 <= ns < 1e9, as timespec wants. */
export function splitNs(ns: bigint): [number, number] {
  let sec = ns / NS;
  let rem = ns % NS;
  if (rem < 0n) { rem += NS; sec -= 1n; }
  return [Number(sec), Number(rem)];
}

function setU64(v: DataView, off: number, n: number): void {
  v.setBigUint64(off, BigInt.asUintN(64, BigInt(Math.trunc(n))), true);
}

/** struct stat (asm-generic/stat.h, 128 bytes), as newfstatat and fstat fill it. */
export function encodeStat(s: StatInfo): Uint8Array {
  const out = new Uint8Array(128);
  const v = new DataView(out.buffer);
  setU64(v, 0, s.dev);
  setU64(v, 8, s.ino);
  v.setUint32(16, s.mode, true);
  v.setUint32(20, s.nlink, true);
  v.setUint32(24, s.uid, true);
  v.setUint32(28, s.gid, true);
  setU64(v, 32, s.rdev);
  setU64(v, 48, s.size);
  v.setInt32(56, s.blksize, true);
  setU64(v, 64, s.blocks);
  const times = [s.atimeNs, s.mtimeNs, s.ctimeNs];
  for (let i = 0; i < 3; i++) {
    const [sec, nsec] = splitNs(times[i]);
    setU64(v, 72 + 16 * i, sec);
    setU64(v, 80 + 16 * i, nsec);
  }
  return out;
}

export const STATX_TYPE = 0x1, STATX_MODE = 0x2, STATX_NLINK = 0x4, STATX_UID = 0x8, STATX_GID = 0x10;
export const STATX_ATIME = 0x20, STATX_MTIME = 0x40, STATX_CTIME = 0x80, STATX_INO = 0x100;
export const STATX_SIZE = 0x200, STATX_BLOCKS = 0x400, STATX_BASIC_STATS = 0x7ff, STATX_BTIME = 0x800;

/** struct statx (256 bytes). We always fill the basic stats and the birth time, whatever was asked. */
export function encodeStatx(s: StatInfo): Uint8Array {
  const out = new Uint8Array(256);
  const v = new DataView(out.buffer);
  v.setUint32(0, STATX_BASIC_STATS | STATX_BTIME, true);
  v.setUint32(4, s.blksize, true);
  v.setUint32(16, s.nlink, true);
  v.setUint32(20, s.uid, true);
  v.setUint32(24, s.gid, true);
  v.setUint16(28, s.mode & 0xffff, true);
  setU64(v, 32, s.ino);
  setU64(v, 40, s.size);
  setU64(v, 48, s.blocks);
  const times = [s.atimeNs, s.btimeNs, s.ctimeNs, s.mtimeNs];
  for (let i = 0; i < 4; i++) {
    const [sec, nsec] = splitNs(times[i]);
    setU64(v, 64 + 16 * i, sec);
    v.setUint32(72 + 16 * i, nsec, true);
  }
  v.setUint32(128, devMajor(s.rdev), true);
  v.setUint32(132, devMinor(s.rdev), true);
  v.setUint32(136, devMajor(s.dev), true);
  v.setUint32(140, devMinor(s.dev), true);
  return out;
}

function devMajor(d: number): number {
  return (d >>> 8) & 0xfff;
}

function devMinor(d: number): number {
  return (d & 0xff) | ((d >>> 12) & 0xfff00);
}

/** TMPFS_MAGIC: what statfs says the root is. */
export const TMPFS_MAGIC = 0x01021994;

/** struct statfs (asm-generic/statfs.h on 64-bit, 120 bytes) for the memfs root: a tmpfs-like answer. */
export function encodeStatfs(freeBlocks: number, files: number): Uint8Array {
  const out = new Uint8Array(120);
  const v = new DataView(out.buffer);
  const totalBlocks = 1 << 20; // 4 GiB of 4 KiB blocks: a fixed, plausible size
  setU64(v, 0, TMPFS_MAGIC);
  setU64(v, 8, BLOCK_SIZE);
  setU64(v, 16, totalBlocks);
  setU64(v, 24, Math.max(0, Math.min(totalBlocks, freeBlocks)));
  setU64(v, 32, Math.max(0, Math.min(totalBlocks, freeBlocks)));
  setU64(v, 40, 1 << 20);
  setU64(v, 48, Math.max(0, (1 << 20) - files));
  setU64(v, 64, 255);
  setU64(v, 72, BLOCK_SIZE);
  setU64(v, 80, 0x20 /* ST_RELATIME */);
  return out;
}
