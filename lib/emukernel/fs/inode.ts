// An inode of the memfs root: memfs's Node plus what Linux keeps and memfs does not (ns times, holes, open count).
import { Node } from '@jsonjoy.com/fs-core';
import { BLOCK_SIZE, R_OK, S_IFDIR, S_IFMT, S_IFREG, S_IFLNK, W_OK, X_OK } from './constants';

const EMPTY = new Uint8Array(0);
const DAY_NS = 86_400_000_000_000n;
/** Block states (see Inode.dataBlocks). */
const WRITTEN = 1, ALLOCATED = 2;

/**
 * memfs's Node holds the bytes, mode, nlink, ino, owner and symlink target; this subclass adds
 * nanosecond timestamps from the kernel's virtual clock (memfs stamps host Dates, which we never
 * read), the set of 4 KiB blocks that were ever written (so SEEK_DATA/SEEK_HOLE and st_blocks match
 * tmpfs and ext4, which do not allocate blocks for holes), and a count of open files and mappings
 * so that an unlinked inode lives on while it is open.
 */
export class Inode extends Node {
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  btimeNs: bigint;
  /** Open files and mappings holding the inode; with nlink 0 it is freed when this drops to 0. */
  openCount = 0;
  /** Directories: the next readdir cookie to hand out (0 and 1 are '.' and '..'). */
  nextCookie = 2;
  /** Directories: entries other than '.' and '..'. */
  entries = 0;
  /**
   * One byte per 4 KiB block: WRITTEN where data was written, ALLOCATED where fallocate reserved it
   * (counted in st_blocks but still a hole to SEEK_DATA, as tmpfs and ext4 unwritten extents are),
   * 0 in a hole. Grown on demand.
   */
  private dataBlocks: Uint8Array = EMPTY;

  constructor(ino: number, mode: number, uid: number, gid: number, nowNs: bigint) {
    super(ino, mode, uid, gid);
    this.atimeNs = this.mtimeNs = this.ctimeNs = this.btimeNs = nowNs;
  }

  get type(): number {
    return this.mode & S_IFMT;
  }

  isDir(): boolean {
    return (this.mode & S_IFMT) === S_IFDIR;
  }

  isRegular(): boolean {
    return (this.mode & S_IFMT) === S_IFREG;
  }

  isLink(): boolean {
    return (this.mode & S_IFMT) === S_IFLNK;
  }

  /** st_size: the content length (a symlink's is its target's length). */
  get byteSize(): number {
    return this.isLink() ? Buffer.byteLength(this.symlink) : this.getSize();
  }

  /** Up to `len` bytes from `pos` (fewer at end of file, none past it), as a fresh copy. */
  readAt(pos: number, len: number): Uint8Array {
    const size = this.getSize();
    if (pos >= size || len <= 0) return EMPTY;
    const n = Math.min(len, size - pos);
    const out = new Uint8Array(n);
    this.read(out, 0, n, pos);
    return out;
  }

  /** Store `data` at `pos`, growing the file; the blocks it touches become data. Caller checks limits. */
  writeAt(pos: number, data: Uint8Array): void {
    if (data.length === 0) return;
    this.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength), 0, data.length, pos);
    this.markBlocks(pos, data.length, WRITTEN);
  }

  /** ftruncate: shrinking drops whole blocks past the end; growing adds a hole. */
  setSize(len: number): void {
    if (len === this.getSize()) return;
    this.truncate(len);
    const keep = Math.ceil(len / BLOCK_SIZE);
    if (keep < this.dataBlocks.length) this.dataBlocks.fill(0, keep);
  }

  /** Replace the whole content (import, O_TRUNC followed by data): every block becomes data. */
  setContent(data: Uint8Array): void {
    this.setSize(0);
    this.writeAt(0, data);
  }

  /** fallocate mode 0 / KEEP_SIZE: the blocks of [pos, pos+len) become data (zeros where unwritten). */
  allocate(pos: number, len: number, keepSize: boolean): void {
    if (!keepSize && pos + len > this.getSize()) this.truncate(pos + len);
    this.markBlocks(pos, len, ALLOCATED);
  }

  /** fallocate PUNCH_HOLE: [pos, pos+len) reads as zeros; blocks wholly inside it become holes again. */
  punchHole(pos: number, len: number): void {
    const end = Math.min(pos + len, this.getSize());
    if (end <= pos) return;
    this.write(Buffer.alloc(end - pos), 0, end - pos, pos);
    // A block partly past EOF counts as wholly punched when the hole reaches EOF.
    const first = Math.ceil(pos / BLOCK_SIZE);
    const last = end === this.getSize() ? Math.ceil(end / BLOCK_SIZE) : Math.floor(end / BLOCK_SIZE);
    if (last > first) this.dataBlocks.fill(0, first, Math.min(last, this.dataBlocks.length));
  }

  /** SEEK_DATA: the first offset >= pos inside a written block, or -1 (ENXIO) when none is before EOF. */
  seekData(pos: number): number {
    const size = this.getSize();
    if (pos < 0 || pos >= size) return -1;
    const last = Math.ceil(size / BLOCK_SIZE);
    for (let b = Math.floor(pos / BLOCK_SIZE); b < last; b++) {
      if (this.isDataBlock(b)) return Math.max(pos, b * BLOCK_SIZE);
    }
    return -1;
  }

  /** SEEK_HOLE: the first offset >= pos in a hole (EOF counts as one), or -1 (ENXIO) past EOF. */
  seekHole(pos: number): number {
    const size = this.getSize();
    if (pos < 0 || pos >= size) return -1;
    const last = Math.ceil(size / BLOCK_SIZE);
    for (let b = Math.floor(pos / BLOCK_SIZE); b < last; b++) {
      if (!this.isDataBlock(b)) return Math.min(size, Math.max(pos, b * BLOCK_SIZE));
    }
    return size;
  }

  /** st_blocks: 512-byte units allocated: the written blocks of a regular file (0 otherwise, as tmpfs reports). */
  blocks512(): number {
    if (!this.isRegular()) return 0;
    let n = 0;
    const last = Math.min(this.dataBlocks.length, Math.ceil(this.getSize() / BLOCK_SIZE));
    for (let b = 0; b < last; b++) if (this.dataBlocks[b] !== 0) n++;
    return n * (BLOCK_SIZE / 512);
  }

  private isDataBlock(b: number): boolean {
    return b < this.dataBlocks.length && this.dataBlocks[b] === WRITTEN;
  }

  /** Mark the blocks [pos, pos+len) touches; ALLOCATED never downgrades a WRITTEN block. */
  private markBlocks(pos: number, len: number, state: number): void {
    const first = Math.floor(pos / BLOCK_SIZE);
    const end = Math.ceil((pos + len) / BLOCK_SIZE);
    if (end > this.dataBlocks.length) {
      const grown = new Uint8Array(Math.max(end, this.dataBlocks.length * 2));
      grown.set(this.dataBlocks);
      this.dataBlocks = grown;
    }
    if (state === WRITTEN) this.dataBlocks.fill(WRITTEN, first, end);
    else for (let b = first; b < end; b++) if (this.dataBlocks[b] === 0) this.dataBlocks[b] = state;
  }

  /** A write or truncate: mtime and ctime move (file_update_time). */
  stampModified(nowNs: bigint): void {
    this.mtimeNs = this.ctimeNs = nowNs;
  }

  /** An attribute or link-count change: ctime moves. */
  stampChanged(nowNs: bigint): void {
    this.ctimeNs = nowNs;
  }

  /** A read, under relatime: atime moves when it is not newer than mtime/ctime or is a day old. */
  stampAccessed(nowNs: bigint): void {
    if (this.atimeNs <= this.mtimeNs || this.atimeNs <= this.ctimeNs || nowNs - this.atimeNs >= DAY_NS) {
      this.atimeNs = nowNs;
    }
  }

  /**
   * May a caller with (uid, gid) access this inode for `mask` (R_OK|W_OK|X_OK)? Root passes every
   * read/write check and needs one x bit to execute a non-directory (generic_permission).
   */
  permits(mask: number, uid: number, gid: number): boolean {
    const perm = this.mode & 0o777;
    if (uid === 0) return (mask & X_OK) === 0 || this.isDir() || (perm & 0o111) !== 0;
    const bits = uid === this.uid ? perm >> 6 : gid === this.gid ? perm >> 3 : perm;
    const want = ((mask & R_OK) ? 4 : 0) | ((mask & W_OK) ? 2 : 0) | ((mask & X_OK) ? 1 : 0);
    return (bits & want) === want;
  }
}
