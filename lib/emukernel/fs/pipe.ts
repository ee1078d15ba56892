// Pipes: Linux's 16-slot page ring (64 KiB), blocking and O_NONBLOCK I/O, PIPE_BUF atomicity, EOF, EPIPE + SIGPIPE.
import { EAGAIN, EBADF, EFAULT, ENOTTY, EPIPE, ESPIPE } from '../errno';
import { BLOCKED, SyscallOutcome, syscallNumber } from '../syscall';
import type { Task } from '../task';
import { WaitQueue } from '../wait-queue';
import {
  FIONREAD, O_RDONLY, O_WRONLY, PIPEFS_DEV, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, S_IFIFO,
} from './constants';
import { DEFAULT_OPS, FileOps, OpenFile, ReadTarget } from './file';
import type { StatInfo } from './stat';

/** Slots of one page each: Linux's default pipe (PIPE_DEF_BUFFERS). */
export const PIPE_SLOTS = 16;
export const PIPE_PAGE = 4096;
export const PIPE_CAPACITY = PIPE_SLOTS * PIPE_PAGE;

/**
 * The pipe object both ends share. Data sits in up to 16 page slots as in Linux's pipe_inode_info:
 * a write merges into the last slot only the sub-page remainder of its length and only when it fits,
 * otherwise it takes fresh slots, so writes of at most PIPE_BUF bytes are never split and a full pipe
 * holds exactly what Linux's would.
 */
export class Pipe {
  /** Open files of each end (struct files, not fds: dup shares one). */
  readers = 0;
  writers = 0;
  /** Readers sleep here until data or EOF; writers until space or no readers. */
  readonly readWait = new WaitQueue();
  readonly writeWait = new WaitQueue();
  private readonly pages: Uint8Array[] = [];
  private readonly offs = new Int32Array(PIPE_SLOTS);
  private readonly lens = new Int32Array(PIPE_SLOTS);
  /** Slot counters as in Linux: slots tail..head-1 hold data. */
  private head = 0;
  private tail = 0;
  private bytes = 0;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;

  constructor(
    readonly ino: number,
    /** CLOCK_REALTIME in ns, for the pipe inode's times. */
    readonly now: () => bigint,
    /** What a write with no readers does besides failing: send SIGPIPE to the writer. */
    readonly onBrokenPipe: (t: Task) => void,
  ) {
    this.atimeNs = this.mtimeNs = this.ctimeNs = now();
  }

  /** Bytes buffered (FIONREAD). */
  get size(): number {
    return this.bytes;
  }

  get empty(): boolean {
    return this.head === this.tail;
  }

  get full(): boolean {
    return this.head - this.tail >= PIPE_SLOTS;
  }

  /** Copy of up to `max` buffered bytes from the front, not consumed. */
  peek(max: number): Uint8Array {
    const n = Math.min(max, this.bytes);
    const out = new Uint8Array(n);
    let done = 0;
    for (let s = this.tail; done < n; s++) {
      const i = s % PIPE_SLOTS;
      const k = Math.min(this.lens[i], n - done);
      out.set(this.pages[i].subarray(this.offs[i], this.offs[i] + k), done);
      done += k;
    }
    return out;
  }

  /** Drop `n` bytes from the front (n <= size); emptied slots are freed. */
  consume(n: number): void {
    this.bytes -= n;
    while (n > 0) {
      const i = this.tail % PIPE_SLOTS;
      const k = Math.min(this.lens[i], n);
      this.offs[i] += k;
      this.lens[i] -= k;
      n -= k;
      if (this.lens[i] === 0) this.tail++;
    }
  }

  /** pipe_write's merge step: append `data` to the last slot if it fits there entirely. */
  tryMerge(data: Uint8Array): boolean {
    if (this.empty) return false;
    const i = (this.head - 1) % PIPE_SLOTS;
    const end = this.offs[i] + this.lens[i];
    if (end + data.length > PIPE_PAGE) return false;
    this.pages[i].set(data, end);
    this.lens[i] += data.length;
    this.bytes += data.length;
    return true;
  }

  /** Fill fresh slots from `data` while any is free; returns the bytes taken (whole pages, then the rest). */
  fillSlots(data: Uint8Array): number {
    let done = 0;
    while (done < data.length && !this.full) {
      const i = this.head % PIPE_SLOTS;
      const k = Math.min(PIPE_PAGE, data.length - done);
      const page = this.pages[i] ?? (this.pages[i] = new Uint8Array(PIPE_PAGE));
      page.set(data.subarray(done, done + k), 0);
      this.offs[i] = 0;
      this.lens[i] = k;
      this.head++;
      this.bytes += k;
      done += k;
    }
    return done;
  }

  /** Wake both sides: something changed (data, space, an end closed). */
  wakeAll(): void {
    this.readWait.wakeAll();
    this.writeWait.wakeAll();
  }
}

/** The payload of a pipe's open file: which pipe, which end. */
export interface PipeEnd {
  readonly pipe: Pipe;
  readonly writer: boolean;
}

type PipeFile = OpenFile<PipeEnd>;

/** pipe_read: whatever is buffered up to the room; EOF with no writers; else EAGAIN or sleep. */
function readPipe(f: PipeFile, t: Task, dst: ReadTarget, pos: number | null): SyscallOutcome {
  if (pos !== null) return -ESPIPE;
  const pipe = f.priv.pipe;
  if (dst.room === 0) return 0;
  if (!pipe.empty) {
    const n = dst.put(pipe.peek(dst.room));
    if (n === 0) return -EFAULT;
    pipe.consume(n);
    pipe.atimeNs = pipe.now();
    pipe.writeWait.wakeAll();
    return n;
  }
  if (pipe.writers === 0) return 0;
  if (f.nonblocking) return -EAGAIN;
  t.sleepOn([pipe.readWait]);
  return BLOCKED;
}

/**
 * pipe_write. A blocking write returns only when all of `data` is in (or with the partial count when
 * the readers go); progress across re-executions is kept in t.restart.done. A restart block also
 * marks "not the first pass", when Linux no longer tries to merge into the last slot.
 */
function writePipe(f: PipeFile, t: Task, data: Uint8Array, pos: number | null): SyscallOutcome {
  if (pos !== null) return -ESPIPE;
  const pipe = f.priv.pipe;
  if (data.length === 0) return 0;
  const nr = syscallNumber(t.cpu);
  const resumed = t.restart !== null && t.restart.nr === nr;
  let done = resumed ? t.restart?.done ?? 0 : 0;
  if (pipe.readers === 0) {
    pipe.onBrokenPipe(t);
    return done > 0 ? done : -EPIPE;
  }
  if (!resumed) {
    const chars = data.length & (PIPE_PAGE - 1);
    if (chars !== 0 && pipe.tryMerge(data.subarray(0, chars))) done = chars;
  }
  if (done < data.length) done += pipe.fillSlots(data.subarray(done));
  if (done > 0) {
    pipe.mtimeNs = pipe.ctimeNs = pipe.now();
    pipe.readWait.wakeAll();
  }
  if (done === data.length) return done;
  if (f.nonblocking) return done > 0 ? done : -EAGAIN;
  t.restart = { nr, done };
  t.sleepOn([pipe.writeWait]);
  return BLOCKED;
}

function statPipe(f: PipeFile): StatInfo {
  const p = f.priv.pipe;
  return {
    dev: PIPEFS_DEV, ino: p.ino, mode: S_IFIFO | 0o600, nlink: 1, uid: 0, gid: 0, rdev: 0,
    size: 0, blksize: PIPE_PAGE, blocks: 0, atimeNs: p.atimeNs, mtimeNs: p.mtimeNs, ctimeNs: p.ctimeNs, btimeNs: p.ctimeNs,
  };
}

function ioctlPipe(f: PipeFile, t: Task, cmd: number, arg: number): number {
  if (cmd !== FIONREAD) return -ENOTTY;
  return t.mm.writeU32(arg, f.priv.pipe.size) ? 0 : -EFAULT;
}

function releasePipeEnd(f: PipeFile): void {
  const { pipe, writer } = f.priv;
  if (writer) pipe.writers--;
  else pipe.readers--;
  pipe.wakeAll();
}

const pipeBase = {
  ...DEFAULT_OPS,
  kind: 'pipe' as const,
  positional: false,
  describe: (f: PipeFile) => `pipe:[${f.priv.pipe.ino}]`,
  stat: statPipe,
  ioctl: ioctlPipe,
  pollQueues: (f: PipeFile) => [f.priv.pipe.readWait, f.priv.pipe.writeWait],
  release: releasePipeEnd,
};

export const pipeReadOps: FileOps<PipeEnd> = {
  ...pipeBase,
  read: readPipe,
  write: () => -EBADF,
  poll: (f) => {
    const p = f.priv.pipe;
    return (p.empty ? 0 : POLLIN | POLLRDNORM) | (p.writers === 0 ? POLLHUP : 0);
  },
};

export const pipeWriteOps: FileOps<PipeEnd> = {
  ...pipeBase,
  read: () => -EBADF,
  write: writePipe,
  poll: (f) => {
    const p = f.priv.pipe;
    return (p.full ? 0 : POLLOUT | POLLWRNORM) | (p.readers === 0 ? POLLERR : 0);
  },
};

/**
 * A new pipe's two open files, [read end, write end], each with refs 1 (the caller installs them).
 * `extraFlags` may carry O_NONBLOCK (and O_DIRECT, which we accept and ignore).
 */
export function createPipe(
  ino: number, now: () => bigint, extraFlags: number, onBrokenPipe: (t: Task) => void,
): [OpenFile<PipeEnd>, OpenFile<PipeEnd>] {
  const pipe = new Pipe(ino, now, onBrokenPipe);
  pipe.readers = 1;
  pipe.writers = 1;
  return [
    new OpenFile(pipeReadOps, { pipe, writer: false }, O_RDONLY | extraFlags),
    new OpenFile(pipeWriteOps, { pipe, writer: true }, O_WRONLY | extraFlags),
  ];
}
