// ImageWriter: records to a sink in {u32 type, u32 len} frames, small ones staged, page contents passed through as views.
import { crc32 } from './crc32';
import { encodePayloadInto, encodeStringPayload, EncodeError, payloadSize } from './encode';
import type { RecordSpec } from './record-spec';
import {
  FieldRecordName, MAGIC_TAIL, MAX_PAGES_PER_ARRAY, PAGE_SIZE, RecordValue, recordByName,
} from './schema';
import type { ImageSink } from './sinks';
import type { ObjType } from './record-spec';

const STAGE_BYTES = 64 * 1024;
/** Views at least this big go to the sink as they are; smaller ones are copied into the stage. */
const DIRECT_BYTES = 2048;
const ZERO8 = new Uint8Array(8);
const align8 = (n: number): number => (n + 7) & ~7;

/**
 * What a checkpoint writes records through: ImageWriter encodes them to bytes, ItemWriter
 * (item-writer.ts) keeps them as decoded items for a live tree. Both give the same records.
 */
export interface RecordWriter {
  /** Bytes of the image so far (the offset the next record will have). */
  readonly offset: number;
  readonly recordCount: number;
  record<N extends FieldRecordName>(name: N, value: RecordValue<N>): void;
  string(text: string, name?: 'string' | 'file_name'): void;
  buffer(data: Uint8Array): void;
  objref(objtype: ObjType, ref: number): void;
  pages(addrs: readonly number[], pages: readonly Uint8Array[]): void;
  /**
   * The same records as pages(), for `count` pages that `collect` enumerates: called once, at once by
   * a writer of bytes, and only when the pages are first read by a live tree (ItemWriter), so a
   * checkpoint need not walk a big address space while the container waits.
   */
  pagesFrom(count: number, collect: PageCollector): void;
  pageRefsFrom(pid: number, count: number, collect: () => readonly number[]): void;
  /** Pages of the current VMA unchanged since the parent image, in the parent's mm of `pid` (pgref records). */
  pageRefs(pid: number, addrs: readonly number[]): void;
  endVma(): void;
  error(errno: number, message: string): void;
  finish(): void;
}

/** Enumerates pages for RecordWriter.pagesFrom: byte addresses ascending, and a PAGE_SIZE view of each. */
export type PageCollector = () => { readonly addrs: readonly number[]; readonly views: readonly Uint8Array[] };

/**
 * Writes one image. Methods are synchronous; when `backlogged` is true the caller should
 * `await waitDrain()` before writing more (a stream sink's backpressure). Throws EncodeError for a
 * value the schema cannot hold, and whatever the sink throws.
 */
/** What every RecordWriter derives from record, string and finish, written once. */
export abstract class RecordWriterBase implements RecordWriter {
  abstract get offset(): number;
  abstract get recordCount(): number;
  abstract record<N extends FieldRecordName>(name: N, value: RecordValue<N>): void;
  abstract string(text: string, name?: 'string' | 'file_name'): void;
  abstract buffer(data: Uint8Array): void;
  abstract pages(addrs: readonly number[], pages: readonly Uint8Array[]): void;
  abstract finish(): void;

  pagesFrom(count: number, collect: PageCollector): void {
    if (count === 0) return;
    const { addrs, views } = collect();
    if (addrs.length !== count) throw new EncodeError(`pages: ${count} pages announced, ${addrs.length} given`);
    this.pages(addrs, views);
  }
  /** A buffer record of page addresses (little-endian u64), the role a record before it announced. */
  protected abstract addressBuffer(addrs: readonly number[]): void;

  /** pageRefs() for `count` addresses `collect` lists (when it is called: as for pagesFrom). */
  pageRefsFrom(pid: number, count: number, collect: () => readonly number[]): void {
    if (count === 0) return;
    const addrs = collect();
    if (addrs.length !== count) throw new EncodeError(`pageRefs: ${count} pages announced, ${addrs.length} given`);
    this.pageRefs(pid, addrs);
  }

  /** pgref records of at most MAX_PAGES_PER_ARRAY addresses each, like page arrays. */
  pageRefs(pid: number, addrs: readonly number[]): void {
    for (let i = 0; i < addrs.length; i += MAX_PAGES_PER_ARRAY) {
      const a = addrs.slice(i, i + MAX_PAGES_PER_ARRAY);
      for (const addr of a) if (!Number.isSafeInteger(addr) || addr < 0) throw new EncodeError(`pageRefs: bad address ${addr}`);
      this.record('pgref', { nr_pages: a.length, pid });
      this.addressBuffer(a);
    }
  }

  /** Announces that the next record defines shared object `ref` of `objtype`. */
  objref(objtype: ObjType, ref: number): void {
    this.record('objref', { objtype, objref: ref });
  }

  /** Ends the current VMA's pages (a zero-count page array). */
  endVma(): void {
    this.record('pgarr', { nr_pages: 0 });
  }

  /** Records a failed checkpoint: an error record, its message, then the tail. */
  error(errno: number, message: string): void {
    this.record('error', { errno });
    this.string(message);
    this.finish();
  }
}

export class ImageWriter extends RecordWriterBase {
  private stage = new Uint8Array(STAGE_BYTES);
  private used = 0;
  private emitted = 0;
  private crc = 0;
  private records = 0;
  private finished = false;
  private wantDrain = false;
  /**
   * Direct views not yet emitted, joined while each starts where the last ended in the same
   * ArrayBuffer (pool pages of one slab usually do): one CRC call and one iovec per run, not per page.
   */
  private runBuf: ArrayBufferLike | null = null;
  /** The run's first view, emitted itself when nothing joined it (the sink sees the caller's view). */
  private runFirst: Uint8Array | null = null;
  private runStart = 0;
  private runEnd = 0;

  /**
   * `sealed: false` leaves the CRC to whoever reads the bytes next (sealImage): the tail's checksum
   * is written as 0 and nothing is checksummed here. For a blob handed to the serving process, which
   * reads every byte anyway, so the container's process does not pay for the checksum too.
   */
  constructor(private readonly sink: ImageSink, private readonly opts: { sealed?: boolean } = {}) {
    super();
  }

  /** Bytes of the image so far (the offset the next record will have). */
  get offset(): number {
    return this.emitted + (this.runEnd - this.runStart) + this.used;
  }

  /** Records written so far. */
  get recordCount(): number {
    return this.records;
  }

  /** True when the sink asked the producer to wait. */
  get backlogged(): boolean {
    return this.wantDrain;
  }

  /** Resolves when the sink can take more. */
  async waitDrain(): Promise<void> {
    this.flushStage();
    this.flushRun();
    if (this.wantDrain && this.sink.drained) await this.sink.drained();
    this.wantDrain = false;
  }

  /** Writes a field record. */
  record<N extends FieldRecordName>(name: N, value: RecordValue<N>): void {
    const spec: RecordSpec = recordByName(name);
    const v = value as unknown as Readonly<Record<string, unknown>>;
    const len = 8 + payloadSize(spec, v);
    const out = this.reserve(align8(len));
    this.header(out.buf, out.at, spec.type, len);
    encodePayloadInto(spec, v, out.buf, out.at + 8);
  }

  /** Writes a string record (type 5) or a file name record (303). */
  string(text: string, name: 'string' | 'file_name' = 'string'): void {
    this.raw(recordByName(name).type, encodeStringPayload(text));
  }

  /** Writes a buffer record (type 4) holding `data`; large views go to the sink without a copy. */
  buffer(data: Uint8Array): void {
    this.raw(4, data);
  }

  /**
   * Writes the pages of the current VMA as page arrays of at most MAX_PAGES_PER_ARRAY: for each, a
   * pgarr record, a buffer of addresses, a buffer of the pages (each view exactly PAGE_SIZE bytes,
   * passed through uncopied). Call `endVma` after the last. Throws EncodeError on mismatched inputs.
   */
  pages(addrs: readonly number[], pages: readonly Uint8Array[]): void {
    if (addrs.length !== pages.length) throw new EncodeError(`pages: ${addrs.length} addresses, ${pages.length} pages`);
    for (let i = 0; i < addrs.length; i += MAX_PAGES_PER_ARRAY) {
      const n = Math.min(MAX_PAGES_PER_ARRAY, addrs.length - i);
      this.record('pgarr', { nr_pages: n });
      const a = this.reserve(8 + n * 8);
      this.header(a.buf, a.at, 4, 8 + n * 8);
      const dv = new DataView(a.buf.buffer, a.buf.byteOffset);
      for (let j = 0; j < n; j++) {
        const addr = addrs[i + j];
        if (!Number.isSafeInteger(addr) || addr < 0) throw new EncodeError(`pages: bad address ${addr}`);
        // The low word by subtraction: % on a double above 2^31 is a call to fmod, once per page.
        const hi = Math.floor(addr / 4294967296);
        dv.setUint32(a.at + 8 + j * 8, addr - hi * 4294967296, true);
        dv.setUint32(a.at + 12 + j * 8, hi, true);
      }
      const h = this.reserve(8);
      this.header(h.buf, h.at, 4, 8 + n * PAGE_SIZE);
      this.flushStage();
      // direct() inlined for whole pages (no padding): this loop runs once per page of the image.
      for (let j = 0; j < n; j++) {
        const p = pages[i + j];
        if (p.length !== PAGE_SIZE) throw new EncodeError(`pages: page ${i + j} is ${p.length} bytes, not ${PAGE_SIZE}`);
        const buf = p.buffer, at = p.byteOffset;
        if (buf === this.runBuf && at === this.runEnd) {
          this.runEnd += PAGE_SIZE;
          continue;
        }
        this.flushRun();
        this.runBuf = buf;
        this.runFirst = p;
        this.runStart = at;
        this.runEnd = at + PAGE_SIZE;
      }
    }
  }

  protected addressBuffer(addrs: readonly number[]): void {
    const b = new Uint8Array(addrs.length * 8);
    const dv = new DataView(b.buffer);
    for (let j = 0; j < addrs.length; j++) {
      const hi = Math.floor(addrs[j] / 4294967296);
      dv.setUint32(j * 8, addrs[j] - hi * 4294967296, true);
      dv.setUint32(j * 8 + 4, hi, true);
    }
    this.buffer(b);
  }

  /** Writes the tail (record count and CRC-32 of all preceding bytes) and flushes the sink. Idempotent. */
  finish(): void {
    if (this.finished) return;
    this.flushStage();
    this.flushRun();
    const spec = recordByName('tail');
    const out = new Uint8Array(align8(8 + spec.layout.fixedSize));
    this.header(out, 0, spec.type, 8 + spec.layout.fixedSize);
    encodePayloadInto(spec, { magic: MAGIC_TAIL, nr_records: this.records - 1, checksum: this.crc }, out, 8);
    this.emit(out);
    this.finished = true;
    this.sink.flush?.();
  }

  private raw(type: number, payload: Uint8Array): void {
    const len = 8 + payload.length;
    if (len > 0xffffffff) throw new EncodeError(`record ${type}: payload of ${payload.length} bytes does not fit a u32 length`);
    if (payload.length >= DIRECT_BYTES) {
      const h = this.reserve(8);
      this.header(h.buf, h.at, type, len);
      this.direct(payload);
      return;
    }
    // Header, payload and padding in one reservation; the stage is zeroed, so the padding is written.
    const out = this.reserve(align8(len));
    this.header(out.buf, out.at, type, len);
    out.buf.set(payload, out.at + 8);
  }

  private header(buf: Uint8Array, at: number, type: number, len: number): void {
    if (this.finished) throw new EncodeError('image already finished');
    const dv = new DataView(buf.buffer, buf.byteOffset);
    dv.setUint32(at, type, true);
    dv.setUint32(at + 4, len, true);
    this.records++;
  }

  /** Space for n bytes in the stage (zeroed); returns the buffer and offset to write at. */
  private reserve(n: number): { buf: Uint8Array; at: number } {
    if (this.used + n > this.stage.length) {
      this.flushStage();
      if (n > this.stage.length) this.stage = new Uint8Array(n);
    }
    const at = this.used;
    this.used += n;
    return { buf: this.stage, at };
  }

  private direct(view: Uint8Array): void {
    this.flushStage();
    const padLen = align8(view.length) - view.length;
    if (padLen === 0 && view.buffer === this.runBuf && view.byteOffset === this.runEnd) {
      this.runEnd += view.length;
      return;
    }
    this.flushRun();
    if (padLen) {
      this.emit(view);
      this.emit(ZERO8.subarray(0, padLen));
      return;
    }
    this.runBuf = view.buffer;
    this.runFirst = view;
    this.runStart = view.byteOffset;
    this.runEnd = view.byteOffset + view.length;
  }

  private flushRun(): void {
    if (this.runBuf === null) return;
    const first = this.runFirst as Uint8Array;
    const run = first.length === this.runEnd - this.runStart ? first : new Uint8Array(this.runBuf, this.runStart, this.runEnd - this.runStart);
    this.runBuf = null;
    this.runFirst = null;
    this.runStart = this.runEnd = 0;
    this.emit(run);
  }

  private flushStage(): void {
    if (this.used === 0) return;
    this.flushRun();
    const chunk = this.stage.subarray(0, this.used);
    // The sink owns what it is given, so the stage is never reused after a flush.
    this.stage = new Uint8Array(STAGE_BYTES);
    this.used = 0;
    this.emit(chunk);
  }

  private emit(chunk: Uint8Array): void {
    if (this.opts.sealed !== false) this.crc = crc32(chunk, this.crc);
    this.emitted += chunk.length;
    if (!this.sink.write(chunk)) this.wantDrain = true;
  }
}
