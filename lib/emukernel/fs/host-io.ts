// The host side of the container's stdio: what a host fd is, synchronous writes, lazy asynchronous stdin.
import * as fs from 'fs';
import * as net from 'net';
import * as tty from 'tty';
import { constants as osConstants } from 'os';
import { EIO } from '../errno';
import { O_ACCMODE, O_APPEND, O_RDONLY, O_WRONLY, S_IFIFO, S_IFMT, S_IFSOCK } from './constants';

/** What the guest may learn about a host fd (the parts fstat, F_GETFL and TCGETS report). */
export interface HostFdInfo {
  /** st_mode of the host object (type and permission bits). */
  mode: number;
  rdev: number;
  size: number;
  blksize: number;
  /** Access mode and O_APPEND as the host open file has them. */
  flags: number;
  isTty: boolean;
}

/** Receives host stdin. `push` returns false when enough is buffered: the source pauses until resumeInput. */
export interface HostInputSink {
  push(chunk: Uint8Array): boolean;
  end(): void;
}

/** The host operations host stdio needs; injectable so tests never touch the real terminal. */
export interface HostIo {
  /** The host fd's attributes, or null when it is not open. */
  describe(fd: number): HostFdInfo | null;
  /** Write all of `data` to host fd `fd`, synchronously. Returns 0, or the host errno (EPIPE...) on failure. */
  write(fd: number, data: Uint8Array): number;
  /** Start delivering host fd 0 to `sink` (called at most once, on the guest's first read). */
  startInput(sink: HostInputSink): void;
  /** The guest consumed buffered input: a paused source may continue. */
  resumeInput(): void;
  /** Stop reading host stdin and release what reading holds (streams, pending reads). */
  stopInput(): void;
}

const HOST_ERRNO: Record<string, number> = osConstants.errno as Record<string, number>;

function errnoOf(e: unknown): number {
  const code = e instanceof Error && 'code' in e && typeof e.code === 'string' ? e.code : '';
  return HOST_ERRNO[code] ?? EIO;
}

/** The host open file's flags from /proc/self/fdinfo (Linux hosts); a default by fd number elsewhere. */
function hostFlags(fd: number): number {
  try {
    const m = /^flags:\s*([0-7]+)/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
    if (m) return parseInt(m[1], 8) & (O_ACCMODE | O_APPEND);
  } catch {
    // not Linux, or no procfs: fall through
  }
  return fd === 0 ? O_RDONLY : O_WRONLY;
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** The real host: fds 0, 1, 2 of this process. Writes never go through process.stdout/stderr streams. */
export class RealHostIo implements HostIo {
  private stream: net.Socket | tty.ReadStream | null = null;
  private reading = false;
  private stopped = false;
  private paused = false;
  private sink: HostInputSink | null = null;

  describe(fd: number): HostFdInfo | null {
    let st: fs.Stats;
    try {
      st = fs.fstatSync(fd);
    } catch {
      return null;
    }
    return { mode: st.mode, rdev: st.rdev, size: st.size, blksize: st.blksize, flags: hostFlags(fd), isTty: tty.isatty(fd) };
  }

  write(fd: number, data: Uint8Array): number {
    let off = 0;
    while (off < data.length) {
      try {
        off += fs.writeSync(fd, data, off, data.length - off);
      } catch (e) {
        const errno = errnoOf(e);
        // The host fd may be non-blocking (a shared terminal or pipe): wait a little and retry.
        if (errno === HOST_ERRNO.EAGAIN) { Atomics.wait(sleepCell, 0, 0, 1); continue; }
        if (errno === HOST_ERRNO.EINTR) continue;
        return errno;
      }
    }
    return 0;
  }

  startInput(sink: HostInputSink): void {
    if (this.sink) return;
    this.sink = sink;
    let type = 0;
    try { type = fs.fstatSync(0).mode & S_IFMT; } catch { sink.end(); return; }
    if (tty.isatty(0)) this.attachStream(new tty.ReadStream(0));
    else if (type === S_IFIFO || type === S_IFSOCK) this.attachStream(new net.Socket({ fd: 0, readable: true, writable: false }));
    else this.readLoop();
  }

  /** Pipes, sockets and terminals: a libuv stream, which can be paused and destroyed. */
  private attachStream(s: net.Socket | tty.ReadStream): void {
    this.stream = s;
    let ended = false;
    const end = (): void => { if (!ended) { ended = true; this.sink?.end(); } };
    s.on('data', (chunk: Buffer) => {
      if (!this.sink?.push(new Uint8Array(chunk))) { this.paused = true; s.pause(); }
    });
    s.on('end', end);
    s.on('close', end);
    s.on('error', end);
  }

  /** Regular files and devices: fs.read at the host file offset, one read in flight at a time. */
  private readLoop(): void {
    if (this.reading || this.stopped || this.paused) return;
    this.reading = true;
    const buf = Buffer.alloc(65536);
    fs.read(0, buf, 0, buf.length, null, (err, n) => {
      this.reading = false;
      if (this.stopped) return;
      if (err && errnoOf(err) === HOST_ERRNO.EAGAIN) { setTimeout(() => this.readLoop(), 5); return; }
      if (err || n === 0) { this.sink?.end(); return; }
      if (!this.sink?.push(new Uint8Array(buf.subarray(0, n)))) { this.paused = true; return; }
      this.readLoop();
    });
  }

  resumeInput(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.stream) this.stream.resume();
    else this.readLoop();
  }

  stopInput(): void {
    this.stopped = true;
    this.stream?.destroy();
    this.stream = null;
  }
}
