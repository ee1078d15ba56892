// The image codec: ImageWriter (in writer.ts) and ImageReader, which drives the parser from a buffer, a fd or chunks.
import * as fs from 'node:fs';
import { ParseOptions, ParseStep, parseImage } from './parse';
import type { ImageItem } from './schema';

export { ImageWriter } from './writer';
export { CollectSink, FdSink, StreamSink } from './sinks';
export type { ImageSink } from './sinks';
export { ImageError } from './errors';

/** A source the parser can pull from synchronously: exactly n bytes, fewer only at the end. */
interface SyncSource { readonly total: number | null; read(n: number): Uint8Array }

class BufferSource implements SyncSource {
  private pos = 0;
  constructor(private readonly buf: Uint8Array) {}
  get total(): number { return this.buf.length; }
  read(n: number): Uint8Array {
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += out.length;
    return out;
  }
}

/** Reads a file descriptor through fresh read-ahead blocks (views handed out are never overwritten). */
class FdSource implements SyncSource {
  private block = new Uint8Array(0);
  private at = 0;
  private filePos: number;
  readonly total: number;
  constructor(private readonly fd: number, private readonly blockBytes = 1 << 20) {
    this.total = fs.fstatSync(fd).size;
    this.filePos = 0;
  }
  read(n: number): Uint8Array {
    if (this.block.length - this.at >= n) {
      const out = this.block.subarray(this.at, this.at + n);
      this.at += n;
      return out;
    }
    const have = this.block.subarray(this.at);
    const size = Math.max(n, this.blockBytes);
    const next = new Uint8Array(Math.min(size, have.length + Math.max(0, this.total - this.filePos)));
    next.set(have);
    let filled = have.length;
    while (filled < next.length) {
      const r = fs.readSync(this.fd, next, filled, next.length - filled, this.filePos);
      if (r === 0) break;
      filled += r;
      this.filePos += r;
    }
    this.block = next.subarray(0, filled);
    this.at = Math.min(n, filled);
    return this.block.subarray(0, this.at);
  }
}

/** Pulls from an async iterable of chunks; memory grows only with bytes that actually arrived. */
class ChunkSource {
  private chunks: Uint8Array[] = [];
  private head = 0;
  private buffered = 0;
  private done = false;
  private readonly it: AsyncIterator<Uint8Array>;
  constructor(src: AsyncIterable<Uint8Array>) { this.it = src[Symbol.asyncIterator](); }
  async read(n: number): Promise<Uint8Array> {
    while (this.buffered < n && !this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else if (r.value.length) { this.chunks.push(r.value); this.buffered += r.value.length; }
    }
    const want = Math.min(n, this.buffered);
    const first = this.chunks[0];
    if (first && first.length - this.head >= want) {
      const out = first.subarray(this.head, this.head + want);
      this.consume(want);
      return out;
    }
    const out = new Uint8Array(want);
    let filled = 0;
    while (filled < want) {
      const c = this.chunks[0];
      const k = Math.min(c.length - this.head, want - filled);
      out.set(c.subarray(this.head, this.head + k), filled);
      filled += k;
      this.consume(k);
    }
    return out;
  }
  private consume(k: number): void {
    this.head += k;
    this.buffered -= k;
    if (this.chunks.length && this.head === this.chunks[0].length) { this.chunks.shift(); this.head = 0; }
  }
}

function* driveSync(src: SyncSource, opts: ParseOptions): Generator<ImageItem, void, undefined> {
  const p = parseImage(src.total, opts);
  let input: Uint8Array | undefined;
  for (;;) {
    const r = p.next(input);
    if (r.done) return;
    const step: ParseStep = r.value;
    if (typeof step === 'number') input = src.read(step);
    else { input = undefined; yield step; }
  }
}

async function* driveAsync(src: ChunkSource, opts: ParseOptions): AsyncGenerator<ImageItem, void, undefined> {
  const p = parseImage(null, opts);
  let input: Uint8Array | undefined;
  for (;;) {
    const r = p.next(input);
    if (r.done) return;
    const step = r.value;
    if (typeof step === 'number') input = await src.read(step);
    else { input = undefined; yield step; }
  }
}

/**
 * Reads an image as ImageItems, in order. Iterating throws ImageError at the first malformed byte;
 * items before it have already been yielded, so a restorer that must not act on a bad image reads it
 * twice (validate, then restore) or buffers. Page and buffer views from a Buffer point into it; from a
 * fd or chunks they stay valid (they are never overwritten) but hold their block alive.
 */
export class ImageReader implements AsyncIterable<ImageItem> {
  private constructor(private readonly sync: SyncSource | null, private readonly chunks: ChunkSource | null, private readonly opts: ParseOptions) {}

  static fromBuffer(buf: Uint8Array, opts: ParseOptions = {}): ImageReader {
    return new ImageReader(new BufferSource(buf), null, opts);
  }
  /** Reads from offset 0 of a regular file's descriptor (its size is the image's). */
  static fromFd(fd: number, opts: ParseOptions = {}): ImageReader {
    return new ImageReader(new FdSource(fd), null, opts);
  }
  /** Reads from a stream of unknown length (stdin, a socket): async iteration only. */
  static fromChunks(src: AsyncIterable<Uint8Array>, opts: ParseOptions = {}): ImageReader {
    return new ImageReader(null, new ChunkSource(src), opts);
  }

  /** Synchronous iteration; throws Error for a chunk source, ImageError for a bad image. */
  [Symbol.iterator](): Iterator<ImageItem> {
    if (!this.sync) throw new Error('ImageReader: a chunk source can only be read asynchronously');
    return driveSync(this.sync, this.opts);
  }

  [Symbol.asyncIterator](): AsyncIterator<ImageItem> {
    if (this.chunks) return driveAsync(this.chunks, this.opts);
    const it = this[Symbol.iterator]();
    return { next: async () => it.next() };
  }
}

/** Reads a whole in-memory image into an array of items; throws ImageError on a bad one. */
export function readImageItems(buf: Uint8Array, opts: ParseOptions = {}): ImageItem[] {
  return [...ImageReader.fromBuffer(buf, opts)];
}
