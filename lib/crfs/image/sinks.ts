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
    while (bufs.length > 0) {
      let n = fs.writevSync(this.fd, bufs);
      let i = 0;
      while (i < bufs.length && n >= bufs[i].length) n -= bufs[i++].length;
      bufs = bufs.slice(i);
      if (n > 0) bufs[0] = bufs[0].subarray(n);
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
