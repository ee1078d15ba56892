// Incremental checkpoints: what a parent image holds, by mm and page, to write pgref records against and to resolve them on restore.
/*
 * An image with a `parent` record names its parent by checkpoint id, tail checksum and length, and
 * its `pgref` records say "these pages hold what the parent holds at the same address in the mm of
 * task `pid`". An mm is named by the pid of the first task in image order that uses it (the task in
 * whose records the mm is written). A parent's page may itself be a pgref to its own parent: every
 * index here is resolved through the whole chain, so one lookup finds the bytes.
 *
 * Writing: a pre-dump is a copy-mode capture, whose PagePins make every later write by the container
 * copy the page. So a page is unchanged since the parent exactly when the mm still has the very
 * view object the parent captured at that address (the pool makes a new view for every new or
 * reused page); mm/checkpoint-incremental.ts compares identities, never bytes. That holds only while
 * the parent's pins are held (only the immediate parent's matter: its snapshots hold every page it
 * saw, including those it took from its own parent). A parent whose pins were let go early (its
 * bytes were encoded for another process) is asked through the page tables' write marks instead.
 */
import { CollectSink } from '../../crfs/image/codec';
import type { ImageSink } from '../../crfs/image/sinks';
import { encodeItems } from '../../crfs/image/encode-items';
import { ImageError } from '../../crfs/image/errors';
import { readImageItems } from '../../crfs/image/codec';
import { PAGE_SIZE, type ImageItem, type RecordValue } from '../../crfs/image/schema';
import type { PagePins } from '../mm/page';
import { RestoreContext, RestoreError } from './context';

/** An image's pages: mm (the pid of its first task) -> page number -> the page's bytes (a view). */
export type PageIndex = ReadonlyMap<number, ReadonlyMap<number, Uint8Array>>;

/** What an incremental checkpoint needs of its parent (CheckpointOptions.parent). */
export interface ParentCapture {
  /** The parent's checkpoint id, tail checksum and length: its `parent` record in the child. */
  readonly id: number;
  readonly checksum: number;
  readonly bytes: number;
  /** The pids that name the parent's mms (whose pages a child may refer to). */
  readonly mms: ReadonlySet<number>;
  /**
   * The parent's pins (its page-table snapshots hold every page it saw, those it took from its own
   * parent included): while held, a view the mm still has is a page nobody wrote since. Once
   * released, the write epochs they recorded still let a child ask its mms' write marks.
   */
  readonly pins: PagePins;
}

const hex = (n: number): string => `0x${n.toString(16)}`;

/**
 * Indexes the pages of an image's items; pgref pages are looked up in `parent` (the index of the
 * image's parent). Throws RestoreError naming the record (and `where`, for a parent) for a pgref
 * the parent cannot resolve.
 */
export function indexImagePages(items: readonly ImageItem[], parent: PageIndex | null, where = 'image'): Map<number, Map<number, Uint8Array>> {
  const index = new Map<number, Map<number, Uint8Array>>();
  let taskPid = 0;
  let cur: Map<number, Uint8Array> | null = null;
  let ref: { pid: number; item: ImageItem } | null = null;
  for (const it of items) {
    if (it.kind === 'record') {
      if (it.name === 'task') taskPid = it.value.pid;
      else if (it.name === 'mm') {
        cur = new Map();
        index.set(taskPid, cur);
      } else if (it.name === 'pgref') ref = { pid: it.value.pid, item: it };
    } else if (it.kind === 'pages' && cur !== null) {
      for (let i = 0; i < it.addrs.length; i++) cur.set(it.addrs[i] / PAGE_SIZE, it.pages[i]);
    } else if (it.kind === 'addresses' && ref !== null) {
      const from = parent?.get(ref.pid);
      for (const addr of it.addrs) {
        const view = from?.get(addr / PAGE_SIZE);
        if (view === undefined) {
          const why = parent === null ? 'but no parent image was given' : `not in the parent's mm of pid ${ref.pid}`;
          throw new RestoreError(`${where}: record 'pgref' at offset ${ref.item.offset}: page ${hex(addr)} is ${why}`);
        }
        cur?.set(addr / PAGE_SIZE, view);
      }
      ref = null;
    }
  }
  return index;
}

/**
 * A pre-dump as a parent: its items (an ItemWriter's, copy mode) and the pins holding its pages.
 * Encodes the items once for the checksum (unless `encoded` gives it) and returns those bytes too,
 * on demand: they are the parent image restart will need (readable only while the pins hold).
 */
export function captureParent(
  items: readonly ImageItem[], pins: PagePins, encoded?: { readonly checksum: number; readonly bytes: number },
): { capture: ParentCapture; readonly image: Buffer } {
  const tail = items[items.length - 1];
  const container = items.find((i) => i.kind === 'record' && i.name === 'container');
  if (tail?.kind !== 'record' || tail.name !== 'tail' || container?.kind !== 'record' || container.name !== 'container') {
    throw new Error('captureParent: the items are not a whole image');
  }
  // The checksum needs the bytes encoded, not kept: a child's capture comes once a second (and a
  // caller that has encoded them already passes what it found).
  let tailSum = encoded;
  if (tailSum === undefined) {
    const end = new TailSink();
    encodeItems(items, end);
    tailSum = { checksum: end.checksum(), bytes: end.length };
  }
  const mms = new Set<number>();
  let taskPid = 0;
  for (const it of items) {
    if (it.kind !== 'record') continue;
    if (it.name === 'task') taskPid = it.value.pid;
    else if (it.name === 'mm') mms.add(taskPid);
  }
  const capture: ParentCapture = { id: container.value.checkpoint_id, checksum: tailSum.checksum, bytes: tailSum.bytes, mms, pins };
  let image: Buffer | null = null;
  return {
    capture,
    get image(): Buffer {
      if (image === null) {
        const sink = new CollectSink();
        encodeItems(items, sink);
        image = sink.bytes();
      }
      return image;
    },
  };
}

/** A sink that keeps only the length and the last bytes: the tail's checksum is the image's last 4. */
export class TailSink implements ImageSink {
  length = 0;
  private last: Uint8Array = new Uint8Array(0);
  private prev: Uint8Array = new Uint8Array(0);

  write(chunk: Uint8Array): boolean {
    this.length += chunk.length;
    if (chunk.length > 0) {
      this.prev = this.last;
      this.last = chunk;
    }
    return true;
  }

  checksum(): number {
    const tail = new Uint8Array(8);
    const a = this.last.subarray(Math.max(0, this.last.length - 4));
    const b = this.prev.subarray(Math.max(0, this.prev.length - (4 - a.length)));
    tail.set(b, 0);
    tail.set(a, b.length);
    return new DataView(tail.buffer).getUint32(0, true);
  }
}

/** The restore's parent chain, resolved (restoreKernel sets it before the mm restorers run). */
const parentPages = new WeakMap<RestoreContext, PageIndex>();

export function setParentPages(r: RestoreContext, index: PageIndex): void {
  parentPages.set(r, index);
}

/** The index of the image's parent for a restore of an incremental image, else null. */
export function parentPagesOf(r: RestoreContext): PageIndex | null {
  return parentPages.get(r) ?? null;
}

interface Decoded { readonly items: readonly ImageItem[]; readonly id: number; readonly checksum: number; readonly bytes: number; used: boolean }

function parentLink(items: readonly ImageItem[]): { value: RecordValue<'parent'>; offset: number } | null {
  for (const it of items) {
    if (it.kind === 'record' && it.name === 'parent') return { value: it.value, offset: it.offset };
    if (it.kind === 'record' && it.name === 'sched') return null;
  }
  return null;
}

/**
 * Checks the whole parent chain of `items` among `parents` (images in any order, matched by id,
 * checksum and length) and every pgref of the chain and of the image itself, before anything is
 * restored. Returns the index of the image's parent, or null for a complete image. Throws
 * RestoreError (one line naming the record and offset) for a missing or mismatched parent, or a
 * page reference no parent resolves; a parent that does not decode is named by its position.
 */
export function resolveParentChain(items: readonly ImageItem[], parents: readonly Uint8Array[]): PageIndex | null {
  const first = parentLink(items);
  if (first === null) {
    if (parents.length > 0) throw new RestoreError('image: has no parent record (it is complete), but parent images were given');
    return null;
  }
  const decoded: Decoded[] = parents.map((p, i) => {
    let its: ImageItem[];
    try {
      its = readImageItems(p);
    } catch (e) {
      if (e instanceof ImageError) throw new RestoreError(`parent image ${i + 1}: ${e.message}`);
      throw e;
    }
    const c = its.find((x) => x.kind === 'record' && x.name === 'container');
    const t = its[its.length - 1];
    const id = c?.kind === 'record' && c.name === 'container' ? c.value.checkpoint_id : -1;
    const checksum = t?.kind === 'record' && t.name === 'tail' ? t.value.checksum : -1;
    return { items: its, id, checksum, bytes: p.length, used: false };
  });
  const chain: Decoded[] = [];
  let link: ReturnType<typeof parentLink> = first;
  let where = 'image';
  while (link !== null) {
    const want = link.value;
    const at = `${where}: record 'parent' at offset ${link.offset}`;
    const same = decoded.filter((d) => d.id === want.parent_id);
    if (same.length === 0) throw new RestoreError(`${at}: parent checkpoint ${want.parent_id} is not among the ${parents.length} parent image(s) given`);
    const match = same.find((d) => d.checksum === want.parent_checksum && d.bytes === want.parent_bytes);
    if (match === undefined) {
      const d = same[0];
      throw new RestoreError(`${at}: parent checkpoint ${want.parent_id} given has checksum ${hex(d.checksum)} and ${d.bytes} bytes, this image names checksum ${hex(want.parent_checksum)} and ${want.parent_bytes} bytes`);
    }
    if (match.used) throw new RestoreError(`${at}: parent checkpoint ${want.parent_id} is already in the chain (a cycle)`);
    match.used = true;
    chain.push(match);
    where = `parent checkpoint ${match.id}`;
    link = parentLink(match.items);
  }
  let index: PageIndex | null = null;
  for (let i = chain.length - 1; i >= 0; i--) index = indexImagePages(chain[i].items, index, `parent checkpoint ${chain[i].id}`);
  // The image's own references, checked now so that a bad one fails before anything is built.
  indexImagePages(items, index);
  return index;
}
