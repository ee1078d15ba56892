// An mm's page table: a two-level radix of 512-entry leaves that can be shared copy-on-write.
/*
 * Why leaves that are shared, not only pages:
 * - A copy-mode checkpoint must keep the pages it captured while the container runs on. Holding each
 *   page (refs++) costs one step per page: 262,144 for 1 GiB, tens of milliseconds of downtime.
 *   Holding each leaf costs one step per 2 MiB: 512 for 1 GiB. The snapshot's pages are enumerated
 *   later, when someone reads them, from leaves nothing can change any more.
 * - fork shares leaves the same way, so fork of a big process is O(leaves) too.
 *
 * The rule that makes it safe: a leaf is changed only by a table that holds it alone
 * (holders === 1). A table about to change a shared leaf first takes a private copy of it
 * (unshareLeaf): the copy's slots take one more reference on each page, so a private page that was
 * in a shared leaf now has refs > 1 and the next write copies it (Mm.breakCow), exactly as if every
 * page had been held one by one. Page.refs therefore counts leaves (and shm objects, and pins)
 * holding the page, never how many tables share one leaf.
 *
 * Why writes are also tracked (as Linux's soft-dirty bits, which CRIU's pre-dump reads): a snapshot
 * must be held for the pages it captured to stay as they were, and while it is held every write
 * copies a page. A checkpoint whose bytes have gone elsewhere (encoded for another process to
 * serve) lets its snapshot go at once, and the next incremental checkpoint learns what changed
 * from the written marks instead: from the first snapshot on, a table marks every page it changes
 * or that is written through it (Mm marks in-place writes; a snapshot drops the harts' writable
 * views, so each page's first write after it comes through the Mm), and each snapshot takes the
 * marks made since the one before and starts an empty set under a new epoch.
 */
import type { Page, PagePool } from './page';

export const LEAF_SHIFT = 9;
/** Pages per leaf: 2 MiB of address space. */
export const LEAF_PAGES = 1 << LEAF_SHIFT;
const LEAF_MASK = LEAF_PAGES - 1;

export class Leaf {
  /** Tables and snapshots holding this leaf; only a sole holder may change it. */
  holders = 1;
  present = 0;
  readonly slots: (Page | undefined)[];

  constructor(from?: Leaf) {
    // A packed array of 512 (never a holey one): lookups stay on V8's fast elements path.
    this.slots = from ? from.slots.slice() : new Array<Page | undefined>(LEAF_PAGES).fill(undefined);
    if (from) this.present = from.present;
  }
}

/** What checkpoint code reads pages through: a live table (frozen container) or a snapshot of one. */
export interface PageLookup {
  get(vpn: number): Page | undefined;
  /** Present pages with vpn in [first, end). O(leaves), plus the slots of at most two partial leaves. */
  countIn(first: number, end: number): number;
  /** The present pages in [first, end), in address order, as byte addresses and the pages' views. */
  collect(first: number, end: number, pageSize: number): { addrs: number[]; views: Uint8Array[] };
  /**
   * The present pages of [first, end) cut into runs of pages all unchanged since `base` (it holds
   * the very same page at that address: nothing wrote it since base was taken, as every write
   * copies a page base holds) or all not. A leaf both hold is unchanged as a whole, so an unchanged
   * 2 MiB costs one step; only leaves written since are compared page by page. Each run's pages
   * are collect(run.from, run.to).
   */
  compareRuns(base: PageTableSnapshot, first: number, end: number): PageRun[];
  /**
   * The present pages of [first, end) cut into runs of pages not written since the snapshot that
   * began write epoch `epoch` (same) or written (not same), as compareRuns; null if the marks here
   * do not start at that epoch (another snapshot came between, or none was ever taken).
   */
  writtenRuns(epoch: number, first: number, end: number): PageRun[] | null;
}

/** Written marks: leaf key -> one byte per slot (1: written), for the leaves with any mark. */
type WrittenMarks = Map<number, Uint8Array>;

/** Epochs are unique in the process, so a mark set can never be mistaken for another table's. */
let lastEpoch = 0;

/** Present pages with vpn in [from, to): `count` of them, all unchanged since a base or all not. */
export interface PageRun {
  readonly from: number;
  to: number;
  count: number;
  readonly same: boolean;
}

/**
 * The present pages of [first, end) as runs of pages that are `same` or not: a leaf for which
 * `leafSame` holds is same as a whole (one step); in any other, slot i is same when `slotSame`.
 */
function classifyRuns(
  leaves: Map<number, Leaf>, first: number, end: number,
  leafSame: (key: number, l: Leaf) => boolean, slotSame: (key: number, l: Leaf, i: number) => boolean,
): PageRun[] {
  const runs: PageRun[] = [];
  const add = (from: number, to: number, count: number, same: boolean): void => {
    const last = runs[runs.length - 1];
    if (last !== undefined && last.same === same) {
      last.to = to;
      last.count += count;
    } else {
      runs.push({ from, to, count, same });
    }
  };
  if (end <= first) return runs;
  for (const key of leafKeysIn(leaves, first >> LEAF_SHIFT, (end - 1) >> LEAF_SHIFT)) {
    const l = leaves.get(key) as Leaf;
    const at = key << LEAF_SHIFT;
    const from = Math.max(first, at), to = Math.min(end, at + LEAF_PAGES);
    if (leafSame(key, l)) {
      const n = countLeaf(l, key, from, to);
      if (n > 0) add(from, to, n, true);
      continue;
    }
    for (let vpn = from; vpn < to; vpn++) {
      if (l.slots[vpn - at] !== undefined) add(vpn, vpn + 1, 1, slotSame(key, l, vpn - at));
    }
  }
  return runs;
}

/** Same: the very page `base` holds at that address (a leaf both hold is same as a whole). */
function compareRuns(leaves: Map<number, Leaf>, base: Map<number, Leaf>, first: number, end: number): PageRun[] {
  return classifyRuns(leaves, first, end, (key, l) => base.get(key) === l, (key, l, i) => base.get(key)?.slots[i] === l.slots[i]);
}

/** Same: not marked written (a leaf with no marks is same as a whole). */
function writtenRuns(leaves: Map<number, Leaf>, marks: WrittenMarks, first: number, end: number): PageRun[] {
  return classifyRuns(leaves, first, end, (key) => !marks.has(key), (key, _l, i) => (marks.get(key) as Uint8Array)[i] === 0);
}

/** The keys of the leaves present in [lo, hi], ascending: by probing when the span is small, else by sorting. */
function leafKeysIn(leaves: Map<number, Leaf>, lo: number, hi: number): number[] {
  return hi - lo + 1 <= leaves.size * 4
    ? Array.from({ length: hi - lo + 1 }, (_, i) => lo + i).filter((k) => leaves.has(k))
    : sortedLeaves(leaves)[0].filter((k) => k >= lo && k <= hi);
}

/** Leaf keys in ascending order, and the leaves, for an ordered walk. */
function sortedLeaves(leaves: Map<number, Leaf>): [number[], Leaf[]] {
  const keys = [...leaves.keys()].sort((a, b) => a - b);
  return [keys, keys.map((k) => leaves.get(k) as Leaf)];
}

function countIn(leaves: Map<number, Leaf>, first: number, end: number): number {
  if (end <= first) return 0;
  const lo = first >> LEAF_SHIFT, hi = (end - 1) >> LEAF_SHIFT;
  let n = 0;
  const span = hi - lo + 1;
  if (span <= leaves.size) {
    for (let key = lo; key <= hi; key++) {
      const l = leaves.get(key);
      if (l !== undefined) n += countLeaf(l, key, first, end);
    }
  } else {
    for (const [key, l] of leaves) if (key >= lo && key <= hi) n += countLeaf(l, key, first, end);
  }
  return n;
}

function countLeaf(l: Leaf, key: number, first: number, end: number): number {
  const base = key << LEAF_SHIFT;
  if (base >= first && base + LEAF_PAGES <= end) return l.present;
  let n = 0;
  const from = Math.max(first, base) - base, to = Math.min(end, base + LEAF_PAGES) - base;
  for (let i = from; i < to; i++) if (l.slots[i] !== undefined) n++;
  return n;
}

function collect(leaves: Map<number, Leaf>, first: number, end: number, pageSize: number): { addrs: number[]; views: Uint8Array[] } {
  const addrs: number[] = [], views: Uint8Array[] = [];
  if (end <= first) return { addrs, views };
  const lo = first >> LEAF_SHIFT, hi = (end - 1) >> LEAF_SHIFT;
  let keys: number[], ls: Leaf[];
  if (hi - lo + 1 <= leaves.size * 4) {
    keys = [];
    ls = [];
    for (let key = lo; key <= hi; key++) {
      const l = leaves.get(key);
      if (l !== undefined) { keys.push(key); ls.push(l); }
    }
  } else {
    [keys, ls] = sortedLeaves(leaves);
  }
  for (let j = 0; j < keys.length; j++) {
    const key = keys[j];
    if (key < lo || key > hi) continue;
    const base = key << LEAF_SHIFT;
    const from = Math.max(first, base) - base, to = Math.min(end, base + LEAF_PAGES) - base;
    const slots = ls[j].slots;
    for (let i = from; i < to; i++) {
      const p = slots[i];
      if (p === undefined) continue;
      addrs.push((base + i) * pageSize);
      views.push(p.bytes);
    }
  }
  return { addrs, views };
}

/** Drops one holder of `l`; the last one gives its pages back. */
function releaseLeaf(pool: PagePool, l: Leaf): void {
  if (--l.holders > 0) return;
  for (const p of l.slots) if (p !== undefined) pool.put(p);
}

export class PageTable implements PageLookup {
  private readonly leaves: Map<number, Leaf>;
  private count = 0;
  /** The write epoch the marks belong to (0: no snapshot yet, nothing is marked). */
  private epoch = 0;
  private marks: WrittenMarks | null = null;

  constructor(readonly pool: PagePool, shareFrom?: PageTable) {
    this.leaves = new Map();
    if (shareFrom) {
      for (const [key, l] of shareFrom.leaves) {
        l.holders++;
        this.leaves.set(key, l);
      }
      this.count = shareFrom.count;
    }
  }

  /** Present pages. */
  get size(): number {
    return this.count;
  }

  get(vpn: number): Page | undefined {
    const l = this.leaves.get(vpn >> LEAF_SHIFT);
    return l === undefined ? undefined : l.slots[vpn & LEAF_MASK];
  }

  has(vpn: number): boolean {
    return this.get(vpn) !== undefined;
  }

  /** True when the leaf of `vpn` is held by someone else too (a fork, a checkpoint): changing it needs a copy. */
  isShared(vpn: number): boolean {
    const l = this.leaves.get(vpn >> LEAF_SHIFT);
    return l !== undefined && l.holders > 1;
  }

  /**
   * Puts `p` at `vpn`, whose reference the table takes over. Returns the page that was there (its
   * reference now the caller's, to put or keep), or undefined.
   */
  set(vpn: number, p: Page): Page | undefined {
    this.markWritten(vpn);
    const l = this.ownLeaf(vpn >> LEAF_SHIFT, true) as Leaf;
    const i = vpn & LEAF_MASK;
    const old = l.slots[i];
    l.slots[i] = p;
    if (old === undefined) {
      l.present++;
      this.count++;
    }
    return old;
  }

  /** Removes the entry at `vpn`; returns its page (the caller's reference now), or undefined. */
  take(vpn: number): Page | undefined {
    const key = vpn >> LEAF_SHIFT;
    if (this.get(vpn) === undefined) return undefined;
    this.markWritten(vpn);
    const l = this.ownLeaf(key, false) as Leaf;
    const i = vpn & LEAF_MASK;
    const old = l.slots[i] as Page;
    l.slots[i] = undefined;
    l.present--;
    this.count--;
    if (l.present === 0) {
      this.leaves.delete(key);
      releaseLeaf(this.pool, l);
    }
    return old;
  }

  /** Notes that the page at `vpn` is being written (or replaced, or removed), once a snapshot has been taken. */
  markWritten(vpn: number): void {
    const marks = this.marks;
    if (marks === null) return;
    const key = vpn >> LEAF_SHIFT;
    let m = marks.get(key);
    if (m === undefined) {
      m = new Uint8Array(LEAF_PAGES);
      marks.set(key, m);
    }
    m[vpn & LEAF_MASK] = 1;
  }

  writtenRuns(epoch: number, first: number, end: number): PageRun[] | null {
    if (epoch === 0 || epoch !== this.epoch || this.marks === null) return null;
    return writtenRuns(this.leaves, this.marks, first, end);
  }

  /** Ensures this table holds the leaf of `vpn` alone (see the header), so a page there may be replaced. */
  unshare(vpn: number): void {
    this.ownLeaf(vpn >> LEAF_SHIFT, false);
  }

  /** Present vpns in [first, end), ascending. */
  vpnsIn(first: number, end: number): number[] {
    return collect(this.leaves, first, end, 1).addrs;
  }

  countIn(first: number, end: number): number {
    return countIn(this.leaves, first, end);
  }

  collect(first: number, end: number, pageSize: number): { addrs: number[]; views: Uint8Array[] } {
    return collect(this.leaves, first, end, pageSize);
  }

  compareRuns(base: PageTableSnapshot, first: number, end: number): PageRun[] {
    return compareRuns(this.leaves, base.leafMap, first, end);
  }

  /** A read-only view of the table as it is now, holding its leaves: O(leaves). Release it when done. */
  snapshot(): PageTableSnapshot {
    const s = new PageTableSnapshot(this.pool, this.leaves, this.count, ++lastEpoch, this.epoch, this.marks);
    this.epoch = s.epoch;
    this.marks = new Map();
    return s;
  }

  /** Drops every entry (the pages' references go back to the pool as leaves are let go). */
  clear(): void {
    for (const l of this.leaves.values()) releaseLeaf(this.pool, l);
    this.leaves.clear();
    this.count = 0;
  }

  /** The leaf at `key`, private to this table (copied first if shared); created if `create`. */
  private ownLeaf(key: number, create: boolean): Leaf | undefined {
    let l = this.leaves.get(key);
    if (l === undefined) {
      if (!create) return undefined;
      l = new Leaf();
      this.leaves.set(key, l);
      return l;
    }
    if (l.holders === 1) return l;
    const copy = new Leaf(l);
    for (const p of copy.slots) if (p !== undefined) p.refs++;
    l.holders--;
    this.leaves.set(key, copy);
    return copy;
  }
}

/** The pages a table had when the snapshot was taken, whatever the table does afterwards. */
export class PageTableSnapshot implements PageLookup {
  private readonly leaves: Map<number, Leaf>;

  /** The leaves held, for compareRuns() (read-only: a held leaf never changes). */
  get leafMap(): Map<number, Leaf> {
    return this.leaves;
  }
  private released = false;

  /**
   * `epoch`: the write epoch this snapshot begins (the table marks writes under it from now on);
   * `marks`: the table's marks of epoch `since`, which this snapshot ends (null: none were kept).
   */
  constructor(
    private readonly pool: PagePool, from: ReadonlyMap<number, Leaf>, readonly size: number,
    readonly epoch: number, private readonly since = 0, private readonly marks: WrittenMarks | null = null,
  ) {
    this.leaves = new Map(from);
    for (const l of this.leaves.values()) l.holders++;
  }

  get(vpn: number): Page | undefined {
    const l = this.leaves.get(vpn >> LEAF_SHIFT);
    return l === undefined ? undefined : l.slots[vpn & LEAF_MASK];
  }

  countIn(first: number, end: number): number {
    return countIn(this.leaves, first, end);
  }

  collect(first: number, end: number, pageSize: number): { addrs: number[]; views: Uint8Array[] } {
    if (this.released) throw new Error('PageTableSnapshot: read after release');
    return collect(this.leaves, first, end, pageSize);
  }

  compareRuns(base: PageTableSnapshot, first: number, end: number): PageRun[] {
    if (this.released) throw new Error('PageTableSnapshot: read after release');
    return compareRuns(this.leaves, base.leafMap, first, end);
  }

  writtenRuns(epoch: number, first: number, end: number): PageRun[] | null {
    if (this.released) throw new Error('PageTableSnapshot: read after release');
    if (epoch === 0 || epoch !== this.since || this.marks === null) return null;
    return writtenRuns(this.leaves, this.marks, first, end);
  }

  /** Lets go of the leaves (idempotent); pages nobody else holds return to the pool. */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const l of this.leaves.values()) releaseLeaf(this.pool, l);
    this.leaves.clear();
  }
}
