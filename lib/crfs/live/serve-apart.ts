// A copy-mode checkpoint served by another process, so FUSE requests never wait for the container.
/*
 * Why: FUSE handlers run on the event loop that also runs the container, and each request costs
 * some 65-100 µs there; a `tar` of a checkpoint of one task is a few thousand requests, so archiving
 * one checkpoint a second in the same process takes a third of the container's time (BENCHMARKS.md,
 * issue 5). A copy-mode capture no longer needs the container once it is encoded: its blob goes to
 * a tmpfs file, and one long-lived child (`crfs serve-checkpoints`, checkpoint-server.ts) mounts it
 * and answers the requests on the other core. What this process pays is the capture and one
 * encoding of the blob, unsealed: the child, which reads every byte anyway, computes its checksum.
 * The file is removed as soon as the child has read it. The child is started
 * once, at the first such checkpoint, and serves every later one: a process start from one holding
 * the guest's memory is a fork of all of it. It unmounts a checkpoint when `done` is written, when
 * it is unmounted, when asked to end it, and all of them when its stdin (our lifeline) closes.
 */
import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { Socket } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { FdSink } from '../image/sinks';
import { encodeItems } from '../image/encode-items';
import type { ImageItem } from '../image/schema';
import { lazyUnmount } from '../fs/mount-registry';
import { parseReply, ServerRequest } from './checkpoint-server';
import type { MountEnd } from './mount-watch';

const CRFS_MAIN = path.resolve(__dirname, '..', 'cli', 'main.js');

export interface ApartMount {
  /** The mount point, as the child printed it. */
  readonly path: string;
  /** Bytes of the blob the child serves, and its tail checksum (to be its children's parent). */
  readonly bytes: number;
  readonly checksum: number;
  /** Resolves once the child has unmounted and exited: 'done' if it exited cleanly after `done` or unmount. */
  readonly ended: Promise<MountEnd>;
  /** Ends it (SIGTERM to the child, which unmounts); `ended` resolves with `why`. */
  end(why: MountEnd): void;
}

/** Where blobs wait for their child: tmpfs if there is one (they live there only until read). */
function scratchFile(id: number): string {
  const dir = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  return path.join(dir, `crfs-${process.pid}-${id}-${Date.now()}.img`);
}

interface Waiter {
  mounted(path: string, checksum: number): void;
  failed(line: string): void;
  ended(why: MountEnd): void;
}

/**
 * The child that serves this process's apart checkpoints. It keeps this process alive only while
 * it serves something; if it dies, its mounts are unmounted lazily, each ends as 'unmounted', and
 * the next request starts a new one.
 */
class CheckpointServer {
  private readonly waiters = new Map<number, Waiter>();
  private nextReq = 1;
  private readonly errText: string[] = [];
  private readonly live = new Map<number, string>();
  readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    // Nothing is written but requests; our end closing is the child's lifeline.
    child.stdin.on('error', () => undefined);
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      this.errText.push(d);
      if (this.errText.length > 20) this.errText.shift();
    });
    let buf = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        this.onReply(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    void this.exited.then(() => this.onExit());
    this.idle();
  }

  private static current: CheckpointServer | null = null;

  static get(): CheckpointServer {
    if (CheckpointServer.current === null || CheckpointServer.current.gone) {
      const child = spawn(process.execPath, [CRFS_MAIN, 'serve-checkpoints'], { stdio: ['pipe', 'pipe', 'pipe'] });
      CheckpointServer.current = new CheckpointServer(child);
    }
    return CheckpointServer.current;
  }

  private gone = false;

  private onReply(line: string): void {
    const r = parseReply(line);
    if (r === null) return;
    const w = this.waiters.get(r.req);
    if (w === undefined) return;
    if ('mounted' in r) {
      this.live.set(r.req, r.mounted);
      w.mounted(r.mounted, r.checksum);
    } else if ('error' in r) {
      this.waiters.delete(r.req);
      w.failed(r.error);
    } else {
      this.waiters.delete(r.req);
      this.live.delete(r.req);
      w.ended(r.ended);
    }
    this.idle();
  }

  private onExit(): void {
    this.gone = true;
    const line = this.errText.join('').trim().split('\n').pop()?.replace(/^crfs: /, '') ?? '';
    for (const [req, w] of this.waiters) {
      const where = this.live.get(req);
      if (where === undefined) {
        w.failed(line || 'the crfs serving process ended before mounting');
      } else {
        // Its server is gone: clear what would be left as "Transport endpoint is not connected".
        void lazyUnmount(where).then(() => w.ended('unmounted'));
      }
    }
    this.waiters.clear();
    this.live.clear();
  }

  /** Keeps this process alive exactly while a request or a mount is outstanding. */
  private idle(): void {
    const busy = this.waiters.size > 0;
    // Pipes to a child are sockets, though typed as plain streams.
    for (const s of [this.child.stdout, this.child.stderr, this.child.stdin]) {
      if (!(s instanceof Socket)) continue;
      if (busy) s.ref(); else s.unref();
    }
    if (busy) this.child.ref(); else this.child.unref();
  }

  private send(r: ServerRequest): void {
    this.child.stdin.write(`${JSON.stringify(r)}\n`);
  }

  /**
   * Mounts the unsealed blob in `file` (the child seals it and removes the file) at `dir`; resolves
   * with the path and the tail's checksum once mounted, and `ended` once it is gone.
   */
  mount(file: string, dir: string, allowOther: boolean): {
    mounted: Promise<{ path: string; checksum: number }>; ended: Promise<MountEnd>; end(why: MountEnd): void;
  } {
    const req = this.nextReq++;
    let onMounted!: (m: { path: string; checksum: number }) => void, onFailed!: (e: Error) => void, onEnded!: (w: MountEnd) => void;
    const mounted = new Promise<{ path: string; checksum: number }>((res, rej) => { onMounted = res; onFailed = rej; });
    const ended = new Promise<MountEnd>((res) => { onEnded = res; });
    this.waiters.set(req, { mounted: (path, checksum) => onMounted({ path, checksum }), failed: (line) => onFailed(new Error(line)), ended: onEnded });
    this.idle();
    if (this.gone) this.onExit();
    else this.send({ op: 'mount', req, file, dir, allowOther });
    return {
      mounted,
      ended,
      end: (why) => { if (!this.gone) this.send({ op: 'end', req, why }); },
    };
  }
}

/**
 * Encodes `items` (a whole capture) and has the serving child mount them at `mount`; `onEncoded`
 * runs once the bytes are written (nothing reads the items' pages after it). Resolves once the
 * mount is visible. Rejects with the child's one-line error (nothing left mounted, no file left).
 */
export async function serveApart(
  items: readonly ImageItem[], id: number, mount: string, opts: { allowOther?: boolean; onEncoded?: () => void } = {},
): Promise<ApartMount> {
  const file = scratchFile(id);
  let bytes = 0;
  try {
    const fd = fs.openSync(file, 'wx', 0o600);
    try {
      const sink = new FdSink(fd);
      encodeItems(items, { write: (chunk: Uint8Array): boolean => { bytes += chunk.length; return sink.write(chunk); } }, { sealed: false });
      sink.flush();
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    fs.rmSync(file, { force: true });
    throw e;
  }
  opts.onEncoded?.();
  const served = CheckpointServer.get().mount(file, path.resolve(mount), opts.allowOther === true);
  let where: { path: string; checksum: number };
  try {
    where = await served.mounted;
  } catch (e) {
    // The child removes it once read; not if it died first.
    fs.rmSync(file, { force: true });
    throw e;
  }
  let requested: MountEnd | null = null;
  return {
    path: where.path,
    bytes,
    checksum: where.checksum,
    ended: served.ended.then((why) => requested ?? why),
    end(why: MountEnd): void {
      if (requested !== null) return;
      requested = why;
      served.end(why);
    },
  };
}
