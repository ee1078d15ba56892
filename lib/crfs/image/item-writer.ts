// ItemWriter: a checkpoint's records kept as decoded items (what the reader would yield), for a live tree.
import { decodePayload, decodeStringPayload } from './decode';
import { EncodeError, encodePayloadInto, encodeStringPayload, payloadSize } from './encode';
import type { FollowSpec, ObjType, RecordSpec } from './record-spec';
import {
  FieldRecordName, ImageItem, MAGIC_TAIL, MAX_PAGES_PER_ARRAY, PAGE_SIZE, RecordValue, recordByName,
} from './schema';
import { PageCollector, RecordWriterBase } from './writer';

const align8 = (n: number): number => (n + 7) & ~7;
/** Record payloads are carved from slabs this big (see carve()). */
const SLAB_BYTES = 64 * 1024;

export interface ItemWriterOptions {
  /**
   * Copy buffers (pipe bytes, file contents) instead of keeping views of them: needed when the
   * container runs on while the items live (copy mode). Page views are never copied; the caller
   * pins the pages instead.
   */
  readonly copyBuffers?: boolean;
}

/**
 * The same records ImageWriter would encode, as the items readImageItems would decode from those
 * bytes: each field record is encoded and decoded again (so values have exactly the reader's
 * shape and the schema's limits are enforced), strings likewise; buffers and pages stay views.
 * Offsets are those of the blob. The tail's checksum is left 0: nothing here produces bytes, and
 * the blob of a tree (lib/crfs/convert) computes its own.
 */
export class ItemWriter extends RecordWriterBase {
  readonly items: ImageItem[] = [];
  private at = 0;
  private records = 0;
  private finished = false;
  /** Followers the last field records announced, in order (as the parser queues them). */
  private follow: FollowSpec[] = [];
  private slab = new Uint8Array(0);
  private slabAt = 0;

  constructor(private readonly opts: ItemWriterOptions = {}) {
    super();
  }

  get offset(): number {
    return this.at;
  }

  get recordCount(): number {
    return this.records;
  }

  record<N extends FieldRecordName>(name: N, value: RecordValue<N>): void {
    const spec: RecordSpec = recordByName(name);
    const v = value as unknown as Readonly<Record<string, unknown>>;
    const plen = payloadSize(spec, v);
    // Decoded byte arrays (registers) are views of this buffer: a slice of the slab, never reused.
    const buf = this.carve(plen);
    encodePayloadInto(spec, v, buf, 0);
    const decoded = decodePayload(spec, buf, this.at);
    this.push({ kind: 'record', name: spec.name, type: spec.type, offset: this.at, len: 8 + plen, value: decoded } as ImageItem);
    const queued: FollowSpec[] = [];
    for (const f of spec.followedBy) {
      if (f.length && (decoded[f.length.field] as number) === 0) continue;
      queued.push(f);
    }
    this.follow.unshift(...queued);
  }

  string(text: string, name: 'string' | 'file_name' = 'string'): void {
    const payload = encodeStringPayload(text);
    const spec = recordByName(name);
    const role = this.role();
    this.push({
      kind: 'string', name, type: spec.type as 5 | 303, offset: this.at, len: 8 + payload.length, role,
      text: decodeStringPayload(name, payload, this.at),
    });
  }

  buffer(data: Uint8Array): void {
    const role = this.role();
    // Uint8Array.from, not slice: Buffer#slice (memfs's file contents are Buffers) is a view.
    const view = this.opts.copyBuffers ? Uint8Array.from(data) : data;
    this.push({ kind: 'buffer', name: 'buffer', type: 4, offset: this.at, len: 8 + data.length, role, data: view });
  }

  pages(addrs: readonly number[], pages: readonly Uint8Array[]): void {
    if (addrs.length !== pages.length) throw new EncodeError(`pages: ${addrs.length} addresses, ${pages.length} pages`);
    for (let i = 0; i < addrs.length; i += MAX_PAGES_PER_ARRAY) {
      const n = Math.min(MAX_PAGES_PER_ARRAY, addrs.length - i);
      this.record('pgarr', { nr_pages: n });
      const a = addrs.slice(i, i + n);
      for (const addr of a) if (!Number.isSafeInteger(addr) || addr < 0) throw new EncodeError(`pages: bad address ${addr}`);
      this.role();
      this.push({ kind: 'addresses', name: 'buffer', type: 4, offset: this.at, len: 8 + n * 8, role: 'addresses', addrs: a });
      const p = pages.slice(i, i + n);
      for (let j = 0; j < n; j++) {
        if (p[j].length !== PAGE_SIZE) throw new EncodeError(`pages: page ${i + j} is ${p[j].length} bytes, not ${PAGE_SIZE}`);
      }
      this.role();
      this.push({ kind: 'pages', name: 'buffer', type: 4, offset: this.at, len: 8 + n * PAGE_SIZE, role: 'pages', addrs: a, pages: p });
    }
  }

  /**
   * Page arrays whose addresses and views are enumerated on first use (see LazyPages): sizes and
   * offsets follow from `count` alone, so the items exist before any page is looked at.
   */
  override pagesFrom(count: number, collect: PageCollector): void {
    if (count === 0) return;
    const src = new LazyPages(count, collect);
    for (let i = 0; i < count; i += MAX_PAGES_PER_ARRAY) {
      const n = Math.min(MAX_PAGES_PER_ARRAY, count - i);
      this.record('pgarr', { nr_pages: n });
      this.role();
      this.push(new LazyAddressesItem(this.at, src, i, n));
      this.role();
      this.push(new LazyPagesItem(this.at, src, i, n));
    }
  }

  /** pgref records whose addresses are listed on first use, as pagesFrom's are. */
  override pageRefsFrom(pid: number, count: number, collect: () => readonly number[]): void {
    if (count === 0) return;
    const src = new LazyPages(count, () => ({ addrs: collect(), views: [] }), false);
    for (let i = 0; i < count; i += MAX_PAGES_PER_ARRAY) {
      const n = Math.min(MAX_PAGES_PER_ARRAY, count - i);
      this.record('pgref', { nr_pages: n, pid });
      const role = this.role();
      if (role !== 'addresses') throw new EncodeError(`page references: an address buffer where '${role ?? 'no follower'}' was expected`);
      this.push(new LazyAddressesItem(this.at, src, i, n));
    }
  }

  protected addressBuffer(addrs: readonly number[]): void {
    const role = this.role();
    this.push({ kind: 'addresses', name: 'buffer', type: 4, offset: this.at, len: 8 + addrs.length * 8, role: 'addresses', addrs: addrs.slice() });
    if (role !== 'addresses') throw new EncodeError(`page references: an address buffer where '${role ?? 'no follower'}' was expected`);
  }

  finish(): void {
    if (this.finished) return;
    this.record('tail', { magic: MAGIC_TAIL, nr_records: this.records, checksum: 0 });
    this.finished = true;
  }

  /**
   * `n` zeroed bytes of their own, carved from a slab: an ArrayBuffer per record (allocation and
   * GC) cost a 1,000-task checkpoint, 64,000 records, 10-15% of its capture time.
   */
  private carve(n: number): Uint8Array {
    if (this.slabAt + n > this.slab.length) {
      this.slab = new Uint8Array(Math.max(SLAB_BYTES, n));
      this.slabAt = 0;
    }
    const b = this.slab.subarray(this.slabAt, this.slabAt + n);
    this.slabAt += n;
    return b;
  }

  private role(): string | null {
    return this.follow.shift()?.role ?? null;
  }

  private push(item: ImageItem): void {
    if (this.finished) throw new EncodeError('image already finished');
    this.items.push(item);
    this.at += align8(item.len);
    this.records++;
  }
}

/**
 * The pages of one pagesFrom call, enumerated once, when an item first needs them, and cut into the
 * arrays' slices. Checked as pages() checks them; a mismatch then is a bug in the collector (the
 * checkpoint announced another count), reported as EncodeError to whoever reads.
 */
class LazyPages {
  private chunks: { addrs: readonly number[]; pages: readonly Uint8Array[] }[] | null = null;

  /** `withViews` false: addresses only (pgref records), the views the collector gives are ignored. */
  constructor(private readonly count: number, private collect: PageCollector | null, private readonly withViews = true) {}

  chunk(from: number): { addrs: readonly number[]; pages: readonly Uint8Array[] } {
    if (this.chunks === null) this.chunks = this.enumerate();
    return this.chunks[from / MAX_PAGES_PER_ARRAY];
  }

  private enumerate(): { addrs: readonly number[]; pages: readonly Uint8Array[] }[] {
    const { addrs, views } = (this.collect as PageCollector)();
    this.collect = null;
    if (addrs.length !== this.count || (this.withViews && views.length !== this.count)) {
      throw new EncodeError(`pages: ${this.count} pages announced, ${addrs.length} addresses and ${views.length} pages found`);
    }
    for (let i = 0; i < addrs.length; i++) {
      if (!Number.isSafeInteger(addrs[i]) || addrs[i] < 0) throw new EncodeError(`pages: bad address ${addrs[i]}`);
      if (this.withViews && views[i].length !== PAGE_SIZE) throw new EncodeError(`pages: page ${i} is ${views[i].length} bytes, not ${PAGE_SIZE}`);
    }
    if (addrs.length <= MAX_PAGES_PER_ARRAY) return [{ addrs, pages: views }];
    const out: { addrs: readonly number[]; pages: readonly Uint8Array[] }[] = [];
    for (let i = 0; i < addrs.length; i += MAX_PAGES_PER_ARRAY) {
      out.push({ addrs: addrs.slice(i, i + MAX_PAGES_PER_ARRAY), pages: this.withViews ? views.slice(i, i + MAX_PAGES_PER_ARRAY) : [] });
    }
    return out;
  }
}

/** What the two buffer items of one lazily enumerated page array share: their place and their addresses. */
abstract class LazyArrayItem {
  readonly name = 'buffer' as const;
  readonly type = 4 as const;

  constructor(readonly offset: number, readonly len: number, protected readonly src: LazyPages, protected readonly from: number) {}

  get addrs(): readonly number[] {
    return this.src.chunk(this.from).addrs;
  }
}

/** The addresses item of one lazily enumerated page array (an ImageItem of kind 'addresses'). */
class LazyAddressesItem extends LazyArrayItem {
  readonly kind = 'addresses' as const;
  readonly role = 'addresses' as const;

  constructor(offset: number, src: LazyPages, from: number, n: number) {
    super(offset, 8 + n * 8, src, from);
  }
}

/** The pages item of one lazily enumerated page array (an ImageItem of kind 'pages'). */
class LazyPagesItem extends LazyArrayItem {
  readonly kind = 'pages' as const;
  readonly role = 'pages' as const;

  constructor(offset: number, src: LazyPages, from: number, n: number) {
    super(offset, 8 + n * PAGE_SIZE, src, from);
  }

  get pages(): readonly Uint8Array[] {
    return this.src.chunk(this.from).pages;
  }
}
