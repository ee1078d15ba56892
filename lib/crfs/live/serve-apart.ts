// A copy-mode checkpoint served by a child `crfs mount` process, so FUSE requests never wait for the container.
/*
 * Why: FUSE handlers run on the event loop that also runs the container, and each request costs
 * some 65-100 µs there; a `tar` of a checkpoint of one task is a few thousand requests, so archiving
 * one checkpoint a second in the same process takes a third of the container's time (BENCHMARKS.md,
 * issue 5). A copy-mode capture no longer needs the container once it is encoded: its blob goes to
 * a file, a child process mounts it (`crfs mount FILE DIR --done --lifeline`) and answers the
 * requests on the other core. What this process pays is the capture and one encoding of the blob.
 * The file is removed as soon as the child has read it; the child unmounts when `done` is written,
 * when DIR is unmounted, on SIGTERM, or when our end of its stdin closes (we died).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FdSink } from '../image/sinks';
import { encodeItems } from '../image/encode-items';
import type { ImageItem } from '../image/schema';
import { TailSink } from '../../emukernel/checkpoint/incremental';
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

/**
 * Encodes `items` (a whole capture) and has a child process serve them at `mount`. Resolves once the
 * mount is visible. Rejects with the child's one-line error (nothing left mounted, no file left).
 */
export async function serveApart(items: readonly ImageItem[], id: number, mount: string, opts: { allowOther?: boolean } = {}): Promise<ApartMount> {
  const file = scratchFile(id);
  const tail = new TailSink();
  try {
    const fd = fs.openSync(file, 'wx', 0o600);
    try {
      const sink = new FdSink(fd);
      encodeItems(items, { write: (chunk: Uint8Array): boolean => { tail.write(chunk); return sink.write(chunk); } });
      sink.flush();
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    fs.rmSync(file, { force: true });
    throw e;
  }
  const args = [CRFS_MAIN, 'mount', file, mount, '--done', '--lifeline', ...(opts.allowOther ? ['--allow-other'] : [])];
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  // Nothing is ever written to it: it is the child's lifeline (closed when this process dies).
  child.stdin.on('error', () => undefined);
  let requested: MountEnd | null = null;
  let reported: MountEnd | null = null;
  const exited = new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  const errText: string[] = [];
  child.stderr.setEncoding('utf8').on('data', (d: string) => { errText.push(d); });
  const mounted = await new Promise<string | null>((resolve) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const lines = out.split('\n');
      if (lines.length > 1) resolve(lines[0]);
      const m = /^ended (done|unmounted|SIGINT|SIGTERM)$/m.exec(out);
      if (m) reported = m[1] as MountEnd;
    });
    void exited.then(() => resolve(null));
  });
  fs.rmSync(file, { force: true });
  if (mounted === null) {
    const line = errText.join('').trim().split('\n').pop() ?? '';
    throw new Error(line.replace(/^crfs: /, '') || 'the crfs mount process ended before mounting');
  }
  return {
    path: mounted,
    bytes: tail.length,
    checksum: tail.checksum(),
    ended: exited.then(() => requested ?? reported ?? 'unmounted'),
    end(why: MountEnd): void {
      if (requested !== null) return;
      requested = why;
      child.kill('SIGTERM');
    },
  };
}
