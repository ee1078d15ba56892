// Record sinks for emitModel: one writes the image bytes, one checks the records against an image's items.
import { ImageWriter } from '../image/codec';
import { EncodeError } from '../image/encode';
import type { RecordSpec } from '../image/record-spec';
import { PAGE_SIZE } from '../image/schema';
import type { FieldRecordName, ImageItem, RecordValue } from '../image/schema';
import type { ImageSink } from '../image/sinks';
import type { RecordSink } from './emit-image';
import { TreeError } from './errors';
import { specOf } from './layout';
import type { PageArray, Value } from './model';

/** Writes through an ImageWriter, remembering where each record came from (for errors found later). */
export class WriterRecordSink implements RecordSink {
  readonly w: ImageWriter;
  /** [offset in the output, where the record came from], ascending. */
  readonly origins: Array<[number, string]> = [];

  constructor(sink: ImageSink) {
    this.w = new ImageWriter(sink);
  }

  record(spec: RecordSpec, value: Value, where: string): void {
    this.origins.push([this.w.offset, where]);
    try {
      this.w.record(spec.name as FieldRecordName, value as unknown as RecordValue<FieldRecordName>);
    } catch (e) {
      if (e instanceof EncodeError) throw new TreeError(where, e.message);
      throw e;
    }
  }

  string(name: 'string' | 'file_name', text: string): void {
    this.w.string(text, name);
  }

  buffer(data: Uint8Array): void {
    this.w.buffer(data);
  }

  pages(arr: PageArray, where: string): void {
    this.origins.push([this.w.offset, where]);
    if (arr.ref !== undefined) this.w.pageRefs(arr.ref, arr.addrs);
    else this.w.pages(arr.addrs, arr.pages);
  }

  finish(): void {
    this.w.finish();
  }

  /** Where the record at or before image offset `offset` came from. */
  originOf(offset: number): string | undefined {
    let lo = 0, hi = this.origins.length - 1, best: string | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.origins[mid][0] <= offset) { best = this.origins[mid][1]; lo = mid + 1; } else hi = mid - 1;
    }
    return best;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return sameBytes(a, b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a).filter((k) => (a as Value)[k] !== undefined);
    const kb = Object.keys(b).filter((k) => (b as Value)[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => sameValue((a as Value)[k], (b as Value)[k]));
  }
  return false;
}

/**
 * Checks emitted records against an image's items, one by one: the proof that the tree of that
 * image converts back to exactly its bytes. Throws TreeError at the first difference.
 */
export class VerifyRecordSink implements RecordSink {
  private i = 0;
  constructor(private readonly items: readonly ImageItem[]) {}

  private next(what: string): ImageItem {
    const it = this.items[this.i++];
    if (!it) throw new TreeError('image', `the tree would write ${what} after the image's end; the crfs tree cannot show this image`);
    return it;
  }

  private mismatch(it: ImageItem, what: string): never {
    throw new TreeError('image', `record '${it.name}' at offset ${it.offset}: the tree would write ${what} here; the crfs tree cannot show this image exactly`);
  }

  record(spec: RecordSpec, value: Value): void {
    const it = this.next(`'${spec.name}'`);
    if (it.kind !== 'record' || it.name !== spec.name) this.mismatch(it, `'${spec.name}'`);
    if (!sameValue(value, it.value)) this.mismatch(it, `'${spec.name}' with other values`);
  }

  string(name: 'string' | 'file_name', text: string): void {
    const it = this.next(`a ${name}`);
    if (it.kind !== 'string' || it.name !== name || it.text !== text) this.mismatch(it, `${name} '${text.slice(0, 40)}'`);
  }

  buffer(data: Uint8Array): void {
    const it = this.next('a buffer');
    if (it.kind !== 'buffer' || !sameBytes(it.data, data)) this.mismatch(it, `a buffer of ${data.length} bytes`);
  }

  pages(arr: PageArray): void {
    if (arr.ref !== undefined) {
      this.record(specOf('pgref'), { nr_pages: arr.addrs.length, pid: arr.ref });
      const r = this.next('page addresses');
      if (r.kind !== 'addresses' || (r.addrs !== arr.addrs && !sameValue(r.addrs, arr.addrs))) this.mismatch(r, `${arr.addrs.length} page addresses`);
      return;
    }
    const it = this.items[this.i + 2];
    // A model parsed from these very items holds their pages items as its arrays: nothing to
    // compare, and nothing to enumerate (a live capture's pages are listed on first read only).
    if (it === arr && it.kind === 'pages') {
      this.record(specOf('pgarr'), { nr_pages: (it.len - 8) / PAGE_SIZE });
      const a = this.next('page addresses');
      if (a.kind !== 'addresses' || a.len !== 8 + ((it.len - 8) / PAGE_SIZE) * 8) this.mismatch(a, 'the page addresses');
      this.next('pages');
      return;
    }
    const { addrs, pages } = arr;
    this.record(specOf('pgarr'), { nr_pages: addrs.length });
    const a = this.next('page addresses');
    if (a.kind !== 'addresses' || (a.addrs !== addrs && !sameValue(a.addrs, addrs))) this.mismatch(a, `${addrs.length} page addresses`);
    const p = this.next(`${pages.length} pages`);
    if (p.kind !== 'pages' || p.pages.length !== pages.length) this.mismatch(p, `${pages.length} pages`);
    for (let i = 0; i < pages.length; i++) {
      if (p.pages[i] !== pages[i] && !sameBytes(p.pages[i], pages[i])) this.mismatch(p, `other bytes in page ${i}`);
    }
  }

  finish(): void {
    const it = this.next('the tail');
    if (it.kind !== 'record' || it.name !== 'tail') this.mismatch(it, 'the tail');
    const extra = this.items[this.i];
    if (extra) this.mismatch(extra, 'nothing (the tail came first)');
  }
}
