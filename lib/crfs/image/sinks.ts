// Where an ImageWriter's bytes go: in memory, a file descriptor (batched writev), or a Node stream.
import * as fs from 'node:fs';
import type { Writable } from 'node:stream';

/**
 * A byte sink. `write` takes ownership of the chunk (the writer never reuses it; page views belong to
 * the caller, which must not change them until `flush`/`drained` resolves). It returns false when the
 * consumer wants the producer to wait for `drained()`.
 */
export interface ImageSink {
  write(chunk: Uint8Array): boolean;
  drained?(): Promise<void>;
  /** Called by ImageWriter.finish: push out anything batched. */
  flush?(): void;
}

/** Keeps every chunk; `bytes()` joins them (tests, small images). */
export class CollectSink implements ImageSink {
  readonly chunks: Uint8Array[] = [];
  length = 0;
  write(chunk: Uint8Array): boolean {
    this.chunks.push(chunk);
    this.length += chunk.length;
    return true;
  }
  /** The whole image as one Buffer (copies once). */
  bytes(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

/** Writes to a file descriptor with writev in batches of up to `batchBytes`; synchronous, so never backlogged. */
export class FdSink implements ImageSink {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  constructor(private readonly fd: number, private readonly batchBytes = 1 << 20) {}
  write(chunk: Uint8Array): boolean {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= this.batchBytes || this.pending.length >= 1024) this.flush();
    return true;
  }
  /** Writes everything batched; throws the fs error (e.g. ENOSPC) if the fd refuses. */
  flush(): void {
    let bufs = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    while (bufs.length > 0) bufs = unwritten(bufs, fs.writevSync(this.fd, bufs));
  }
}

/** What is left of `bufs` once `n` bytes of them were written (writev may write less than asked). */
function unwritten(bufs: Uint8Array[], n: number): Uint8Array[] {
  let i = 0;
  while (i < bufs.length && n >= bufs[i].length) n -= bufs[i++].length;
  const rest = bufs.slice(i);
  if (n > 0) rest[0] = rest[0].subarray(n);
  return rest;
}

/** Buffers per writev: Linux's IOV_MAX. */
const IOV_MAX = 1024;

/**
 * Writes `chunks` to `fd` in order with asynchronous writev: the copy into the kernel runs on
 * libuv's thread pool, so this thread only lists the buffers (which must not change until the
 * promise resolves). Rejects with the fs error (e.g. ENOSPC).
 */
export async function writeChunks(fd: number, chunks: readonly Uint8Array[]): Promise<void> {
  for (let at = 0; at < chunks.length; at += IOV_MAX) {
    let bufs = chunks.slice(at, at + IOV_MAX);
    while (bufs.length > 0) {
      const batch = bufs;
      const n = await new Promise<number>((resolve, reject) => {
        fs.writev(fd, batch, (e, written) => (e ? reject(e) : resolve(written)));
      });
      bufs = unwritten(batch, n);
    }
  }
}

/** Writes to a Node Writable; reports backpressure from `write`'s return and resolves `drained` on 'drain'. */
export class StreamSink implements ImageSink {
  constructor(private readonly stream: Writable) {}
  write(chunk: Uint8Array): boolean {
    return this.stream.write(chunk);
  }
  drained(): Promise<void> {
    return new Promise((resolve) => this.stream.once('drain', () => resolve()));
  }
}
