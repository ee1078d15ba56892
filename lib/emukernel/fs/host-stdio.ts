// fds 0/1/2 of init bound to the host's stdio: external open files, direct writes, lazily buffered stdin.
import { EAGAIN, EFAULT, EINVAL, ENOTTY, EPIPE, ESPIPE } from '../errno';
import type { Kernel } from '../kernel';
import { BLOCKED, SyscallOutcome } from '../syscall';
import type { Task } from '../task';
import { WaitQueue } from '../wait-queue';
import {
  FIONREAD, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, S_IFMT, S_IFREG,
  TCGETS, TCSETS, TCSETSF, TCSETSW, TIOCGWINSZ, TIOCSWINSZ, makeDev,
} from './constants';
import type { FdTable } from './fdtable';
import { DEFAULT_OPS, FileOps, OpenFile, ReadTarget } from './file';
import { HostFdInfo, HostInputSink, HostIo, RealHostIo } from './host-io';
import { raiseSigpipe } from './sigpipe';
import type { StatInfo } from './stat';

/** Buffered host input above which the host source pauses (a guest that reads slowly from /dev/zero). */
const INPUT_HIGH_WATER = 1 << 20;
/** st_dev reported for host objects: they live outside the container's filesystem. */
const HOST_DEV = makeDev(0, 0x01);

/**
 * The container's connection to the host's stdio. Output is written through at once; input is
 * read from host fd 0 only after the guest's first read, buffered, and handed out as the guest
 * reads. Tasks waiting for input sleep on `inputWait`; the scheduler awaits `inputPending()`.
 */
export class HostStdio implements HostInputSink {
  readonly inputWait = new WaitQueue();
  private readonly chunks: Uint8Array[] = [];
  private chunkOff = 0;
  private buffered = 0;
  private started = false;
  private eof = false;
  private arrivals: (() => void)[] = [];

  constructor(readonly io: HostIo, readonly onBrokenPipe: (t: Task) => void, readonly now: () => bigint) {}

  /** Begin reading host stdin (idempotent). */
  startInput(): void {
    if (this.started) return;
    this.started = true;
    this.io.startInput(this);
  }

  push(chunk: Uint8Array): boolean {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    this.notify();
    return this.buffered < INPUT_HIGH_WATER;
  }

  end(): void {
    this.eof = true;
    this.notify();
  }

  private notify(): void {
    this.inputWait.wakeAll();
    const a = this.arrivals;
    this.arrivals = [];
    for (const resolve of a) resolve();
  }

  /** Bytes buffered and not yet read by the guest. */
  get available(): number {
    return this.buffered;
  }

  get ended(): boolean {
    return this.eof;
  }

  /**
   * Up to `max` buffered bytes (not consumed). A terminal hands out at most the rest of one host read,
   * as a canonical-mode tty returns one line per read.
   */
  peek(max: number, oneChunk: boolean): Uint8Array {
    const n = Math.min(max, oneChunk && this.chunks.length > 0 ? this.chunks[0].length - this.chunkOff : this.buffered);
    const out = new Uint8Array(n);
    let done = 0;
    let off = this.chunkOff;
    for (let i = 0; done < n; i++) {
      const c = this.chunks[i];
      const k = Math.min(c.length - off, n - done);
      out.set(c.subarray(off, off + k), done);
      done += k;
      off = 0;
    }
    return out;
  }

  consume(n: number): void {
    this.buffered -= n;
    while (n > 0) {
      const left = this.chunks[0].length - this.chunkOff;
      if (n < left) { this.chunkOff += n; return; }
      n -= left;
      this.chunks.shift();
      this.chunkOff = 0;
    }
    if (this.buffered < INPUT_HIGH_WATER) this.io.resumeInput();
  }

  /**
   * For the scheduler when nothing can run: a promise that settles when host input arrives or ends,
   * or null when no task is waiting for host input (so there is nothing to await).
   */
  inputPending(): Promise<void> | null {
    if (!this.started || this.eof || this.inputWait.size === 0) return null;
    return new Promise((resolve) => { this.arrivals.push(resolve); });
  }

  /** Stop reading the host (the container is gone). */
  shutdown(): void {
    this.io.stopInput();
    this.eof = true;
    this.notify();
  }
}

/** The payload of a host stdio open file. */
export interface HostEnd {
  readonly stdio: HostStdio;
  /** The host fd this file stands for (0, 1 or 2). */
  readonly hostFd: number;
  readonly info: HostFdInfo;
  readonly openedNs: bigint;
}

type HostFile = OpenFile<HostEnd>;

function readHost(f: HostFile, t: Task, dst: ReadTarget, pos: number | null): SyscallOutcome {
  if (pos !== null) return -ESPIPE;
  if (dst.room === 0) return 0;
  const s = f.priv.stdio;
  s.startInput();
  if (s.available > 0) {
    const n = dst.put(s.peek(dst.room, f.priv.info.isTty));
    if (n === 0) return -EFAULT;
    s.consume(n);
    return n;
  }
  if (s.ended) return 0;
  if (f.nonblocking) return -EAGAIN;
  t.sleepOn([s.inputWait]);
  return BLOCKED;
}

function writeHost(f: HostFile, t: Task, data: Uint8Array, pos: number | null): SyscallOutcome {
  if (pos !== null) return -ESPIPE;
  if (data.length === 0) return 0;
  const err = f.priv.stdio.io.write(f.priv.hostFd, data);
  if (err === 0) return data.length;
  if (err === EPIPE) f.priv.stdio.onBrokenPipe(t);
  return -err;
}

/** Termios a fresh Linux terminal has (cooked mode, 38400 baud, the default control characters). */
function encodeTermios(): Uint8Array {
  const out = new Uint8Array(36);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0o2400, true); // c_iflag: ICRNL | IXON
  v.setUint32(4, 0o5, true); // c_oflag: OPOST | ONLCR
  v.setUint32(8, 0o2277, true); // c_cflag: B38400 | CS8 | CREAD | HUPCL
  v.setUint32(12, 0o105073, true); // c_lflag: ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN
  out.set([3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0x0f, 0x17, 0x16, 0], 17); // c_cc (INIT_C_CC)
  return out;
}

function ioctlHost(f: HostFile, t: Task, cmd: number, arg: number): number {
  const tty = f.priv.info.isTty;
  switch (cmd) {
    case TCGETS:
      if (!tty) return -ENOTTY;
      return t.mm.write(arg, encodeTermios()) ? 0 : -EFAULT;
    case TCSETS: case TCSETSW: case TCSETSF: case TIOCSWINSZ:
      // Accepted but not applied: the guest must not change the host terminal's modes.
      return tty ? 0 : -ENOTTY;
    case TIOCGWINSZ: {
      if (!tty) return -ENOTTY;
      const ws = new Uint8Array(8);
      new DataView(ws.buffer).setUint16(0, 24, true);
      new DataView(ws.buffer).setUint16(2, 80, true);
      return t.mm.write(arg, ws) ? 0 : -EFAULT;
    }
    case FIONREAD:
      return t.mm.writeU32(arg, f.priv.hostFd === 0 ? f.priv.stdio.available : 0) ? 0 : -EFAULT;
    default:
      return -ENOTTY;
  }
}

function statHost(f: HostFile): StatInfo {
  const { info, hostFd, openedNs } = f.priv;
  return {
    dev: HOST_DEV, ino: hostFd + 1, mode: info.mode, nlink: 1, uid: 0, gid: 0, rdev: info.rdev,
    size: (info.mode & S_IFMT) === S_IFREG ? info.size : 0, blksize: info.blksize, blocks: 0,
    atimeNs: openedNs, mtimeNs: openedNs, ctimeNs: openedNs, btimeNs: openedNs,
  };
}

function pollHost(f: HostFile): number {
  if (f.priv.hostFd !== 0) return POLLOUT | POLLWRNORM;
  const s = f.priv.stdio;
  s.startInput();
  return (s.available > 0 || s.ended ? POLLIN | POLLRDNORM : 0) | (s.ended && !f.priv.info.isTty ? POLLHUP : 0);
}

export const hostStdioOps: FileOps<HostEnd> = {
  ...DEFAULT_OPS,
  kind: 'host',
  positional: false,
  describe: (f) => `host:[${f.priv.hostFd}]`,
  read: readHost,
  write: writeHost,
  ioctl: ioctlHost,
  stat: statHost,
  fsync: (f) => ((f.priv.info.mode & S_IFMT) === S_IFREG ? 0 : -EINVAL),
  poll: pollHost,
  pollQueues: (f) => (f.priv.hostFd === 0 ? [f.priv.stdio.inputWait] : []),
};

/** Each kernel's one HostStdio: host input is registered with its scheduler exactly once. */
const kernelStdio = new WeakMap<Kernel, HostStdio>();

/**
 * The kernel's connection to the host stdio, made on the first call over `io` (default: the real
 * host), which also registers host input with the scheduler; later calls return the same one and
 * ignore `io`. A restart calls it first with the host it should re-bind external files to.
 */
export function hostStdioOf(k: Kernel, io?: HostIo): HostStdio {
  let stdio = kernelStdio.get(k);
  if (!stdio) {
    const made = new HostStdio(io ?? new RealHostIo(), (t) => raiseSigpipe(k, t), () => k.rootfs.now());
    kernelStdio.set(k, made);
    k.scheduler.addExternalWaker(() => made.inputPending());
    stdio = made;
  }
  return stdio;
}

/**
 * A new external open file (refs 1, f_flags `flags`, default the host's) standing for host fd
 * `hostFd` (0, 1 or 2) of `stdio`, or null when the host has that fd closed.
 */
export function openHostStdioFile(stdio: HostStdio, hostFd: number, openedNs: bigint, flags?: number): OpenFile<HostEnd> | null {
  const info = stdio.io.describe(hostFd);
  if (!info) return null;
  const f = new OpenFile(hostStdioOps, { stdio, hostFd, info, openedNs }, flags ?? info.flags);
  f.external = true;
  return f;
}

/**
 * Install fds 0, 1, 2 in `table` as external open files standing for the host's fds 0, 1, 2 (a host
 * fd that is closed is left out), over the kernel's HostStdio (see hostStdioOf). Returns the HostStdio:
 * call its shutdown() when the container is done, so a pending stdin read does not keep Node alive.
 */
export function bindHostStdio(k: Kernel, table: FdTable, io?: HostIo): HostStdio {
  const stdio = hostStdioOf(k, io);
  const openedNs = k.rootfs.now();
  for (const hostFd of [0, 1, 2]) {
    const f = openHostStdioFile(stdio, hostFd, openedNs);
    if (f) table.installAt(hostFd, f, false);
  }
  return stdio;
}
