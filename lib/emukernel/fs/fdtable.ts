// The file descriptor table (Linux's files_struct): fd -> open file + close-on-exec, lowest free fd first.
import { EBADF, EMFILE } from '../errno';
import { NR_OPEN_DEFAULT } from './constants';
import type { OpenFile } from './file';

export interface FdEntry {
  readonly file: OpenFile;
  cloexec: boolean;
}

/**
 * One table per process unless CLONE_FILES shares it (then several tasks hold this same object).
 * Each entry holds one reference on its OpenFile; dup'ed fds share the OpenFile (and so f_pos).
 */
export class FdTable {
  private readonly slots: (FdEntry | null)[] = [];
  /** RLIMIT_NOFILE used when a caller gives no limit of its own. */
  limit = NR_OPEN_DEFAULT;

  /** The open file at `fd`, or null if `fd` is not open. */
  get(fd: number): OpenFile | null {
    return this.entry(fd)?.file ?? null;
  }

  /** The entry at `fd` (file and close-on-exec flag), or null. */
  entry(fd: number): FdEntry | null {
    return Number.isInteger(fd) && fd >= 0 && fd < this.slots.length ? this.slots[fd] : null;
  }

  /**
   * Install `file` at the lowest free fd >= `minFd` below `limit`. The table takes over the caller's
   * reference in every case: returns the fd, or -EMFILE after dropping the reference.
   */
  install(file: OpenFile, cloexec = false, minFd = 0, limit = this.limit): number {
    let fd = minFd;
    while (fd < this.slots.length && this.slots[fd] !== null) fd++;
    if (fd >= limit) {
      file.put();
      return -EMFILE;
    }
    while (this.slots.length <= fd) this.slots.push(null);
    this.slots[fd] = { file, cloexec };
    return fd;
  }

  /** dup2/dup3: put `file` at `fd` (taking over the caller's reference), closing whatever was there. */
  installAt(fd: number, file: OpenFile, cloexec: boolean): void {
    while (this.slots.length <= fd) this.slots.push(null);
    const old = this.slots[fd];
    this.slots[fd] = { file, cloexec };
    old?.file.put();
  }

  /** close: 0, or -EBADF if `fd` is not open. */
  close(fd: number): number {
    const e = this.entry(fd);
    if (!e) return -EBADF;
    this.slots[fd] = null;
    while (this.slots.length > 0 && this.slots[this.slots.length - 1] === null) this.slots.pop();
    e.file.put();
    return 0;
  }

  /** Close every fd marked close-on-exec (execve). */
  closeOnExec(): void {
    for (let fd = 0; fd < this.slots.length; fd++) if (this.slots[fd]?.cloexec) this.close(fd);
  }

  /** Close everything (the last task using the table exited). */
  closeAll(): void {
    for (let fd = this.slots.length - 1; fd >= 0; fd--) if (this.slots[fd]) this.close(fd);
  }

  /** A copy for fork: same fds and flags, each sharing its OpenFile (one more reference each). */
  clone(): FdTable {
    const t = new FdTable();
    t.limit = this.limit;
    for (const e of this.slots) t.slots.push(e ? { file: e.file.get(), cloexec: e.cloexec } : null);
    return t;
  }

  /** Open fds in increasing order, for checkpoints and close_range. */
  *entries(): IterableIterator<[number, FdEntry]> {
    for (let fd = 0; fd < this.slots.length; fd++) {
      const e = this.slots[fd];
      if (e) yield [fd, e];
    }
  }

  /** One past the highest open fd. */
  get size(): number {
    return this.slots.length;
  }
}
