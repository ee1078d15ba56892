// struct file: an open file description (f_pos, f_flags, f_mode, f_version, refcount) and its ops table.
import { EINVAL, ENODEV, ENOTDIR, ENOTTY, ESPIPE, KernelError } from '../errno';
import type { SyscallOutcome } from '../syscall';
import type { Task } from '../task';
import type { WaitQueue } from '../wait-queue';
import { FMODE_READ, FMODE_WRITE, O_ACCMODE, O_APPEND, O_NONBLOCK, O_PATH } from './constants';
import type { StatInfo } from './stat';

/** The kind of object behind an open file; names what a checkpoint records (fd_type). Only grows. */
export type FileKind = 'regular' | 'directory' | 'symlink' | 'chardev' | 'pipe' | 'host';

/**
 * Where read data goes (user memory: one buffer or an iovec list). A reader copies into it and
 * consumes from its source only what `put` accepted, so a fault loses no pipe data.
 */
export interface ReadTarget {
  /** Bytes the target can take. */
  readonly room: number;
  /** Copy `data` at the target's cursor; returns the bytes stored (fewer only on a fault: EFAULT). */
  put(data: Uint8Array): number;
}

/** One batch of directory entries in linux_dirent64 layout and the position after the last one. */
export interface DirentBatch {
  bytes: Uint8Array;
  pos: number;
}

/**
 * The operations of one kind of open file, chosen once when the file is opened (Linux's
 * file_operations). Every syscall goes through these; no handler tests the kind. `P` is the
 * per-kind payload (an inode, a pipe end, a host stream).
 */
export interface FileOps<P> {
  readonly kind: FileKind;
  /** pread/pwrite/sendfile offsets apply (Linux's FMODE_PREAD/FMODE_PWRITE); otherwise they are ESPIPE. */
  readonly positional: boolean;
  /** read/pread: `pos` null means at f_pos, advancing it. Returns a count, -errno, or BLOCKED. */
  read(f: OpenFile<P>, t: Task, dst: ReadTarget, pos: number | null): SyscallOutcome;
  /** write/pwrite: `pos` null means at f_pos (or the end, with O_APPEND). Returns a count, -errno, or BLOCKED. */
  write(f: OpenFile<P>, t: Task, data: Uint8Array, pos: number | null): SyscallOutcome;
  /** lseek: the new position or -errno. */
  llseek(f: OpenFile<P>, offset: number, whence: number): number;
  /** getdents64: entries fitting in `max` bytes from f_pos (not yet committed), or -errno. */
  readdir(f: OpenFile<P>, max: number): DirentBatch | number;
  /** ioctl after the generic requests (FIOCLEX, FIONBIO...): a result or -errno (ENOTTY if unknown). */
  ioctl(f: OpenFile<P>, t: Task, cmd: number, arg: number): number;
  stat(f: OpenFile<P>): StatInfo;
  /** ftruncate to `len` (>= 0): 0 or -errno. */
  truncate(f: OpenFile<P>, len: number): number;
  /** fsync/fdatasync: 0 or -errno. */
  fsync(f: OpenFile<P>): number;
  /** Current poll events (POLLIN/POLLOUT/POLLHUP/POLLERR). */
  poll(f: OpenFile<P>): number;
  /** Queues woken when poll's answer may have changed. */
  pollQueues(f: OpenFile<P>): readonly WaitQueue[];
  /** mmap's page source: up to `len` bytes at `offset` (fewer at EOF). Throws KernelError ENODEV if unmappable. */
  readAt(f: OpenFile<P>, offset: number, len: number): Uint8Array;
  /** What /proc/self/fd/N would show: a path (with " (deleted)" once unlinked), "pipe:[ino]", ... */
  describe(f: OpenFile<P>): string;
  /** The last reference went away. */
  release(f: OpenFile<P>): void;
}

/** Sensible answers for operations a kind does not support; kinds spread this and override. */
export const DEFAULT_OPS = {
  llseek: (): number => -ESPIPE,
  readdir: (): number => -ENOTDIR,
  ioctl: (): number => -ENOTTY,
  truncate: (): number => -EINVAL,
  fsync: (): number => -EINVAL,
  pollQueues: (): readonly WaitQueue[] => [],
  readAt: (): Uint8Array => { throw new KernelError(ENODEV, 'mmap'); },
  release: (): void => {},
} as const;

/**
 * An open file description, shared by dup'ed fds and across fork. `refs` counts fd-table entries
 * and mappings; the ops' `release` runs when it drops to zero.
 */
export class OpenFile<P = unknown> {
  /** f_pos: the offset the next read/write uses. */
  pos = 0;
  /** f_version: reset whenever the position moves (kept for checkpoints; Linux uses it for readdir caching). */
  version = 0;
  refs = 1;
  /** True for objects outside the container (the host's stdio): a checkpoint records them as external. */
  external = false;

  constructor(
    readonly ops: FileOps<P>,
    readonly priv: P,
    /** f_flags: access mode, O_APPEND, O_NONBLOCK, O_LARGEFILE, ... (never O_CLOEXEC or open-only flags). */
    public flags: number,
  ) {}

  get kind(): FileKind {
    return this.ops.kind;
  }

  /** f_mode, derived from the access mode as Linux's OPEN_FMODE does (O_ACCMODE 3 gives neither, O_PATH nothing). */
  get mode(): number {
    return this.flags & O_PATH ? 0 : (this.flags + 1) & O_ACCMODE;
  }

  get readable(): boolean {
    return (this.mode & FMODE_READ) !== 0;
  }

  get writable(): boolean {
    return (this.mode & FMODE_WRITE) !== 0;
  }

  get append(): boolean {
    return (this.flags & O_APPEND) !== 0;
  }

  get nonblocking(): boolean {
    return (this.flags & O_NONBLOCK) !== 0;
  }

  /** Take a reference (dup, fork, mmap). Returns this. */
  get(): this {
    this.refs++;
    return this;
  }

  /** Drop a reference; the last one releases the object behind the file. */
  put(): void {
    if (--this.refs === 0) this.ops.release(this);
  }

  /** mmap's view of a regular file: up to `len` bytes at `offset`, fewer at EOF. Throws KernelError ENODEV otherwise. */
  readAt(offset: number, len: number): Uint8Array {
    return this.ops.readAt(this, offset, len);
  }

  /** Move f_pos (lseek and friends); f_version resets as Linux's vfs_setpos does. */
  setPos(pos: number): void {
    if (pos !== this.pos) {
      this.pos = pos;
      this.version = 0;
    }
  }
}
