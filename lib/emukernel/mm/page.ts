// Physical pages: 4 KiB slices of slab ArrayBuffers, reference-counted for copy-on-write and sharing.
import { PAGE_SIZE } from '../../arch/riscv64/bus';
import type { PageTableSnapshot } from './page-table';

/** Pages per slab: 1 MiB per ArrayBuffer, so 1 GiB of guest memory is 1,024 buffers, not 262,144. */
export const PAGES_PER_SLAB = 256;

/**
 * One physical page. `bytes` and `view` cover the same 4 KiB of a slab, so a checkpoint can serve it
 * to FUSE without a copy: `Buffer.from(page.bytes.buffer, page.bytes.byteOffset, PAGE_SIZE)`.
 * `refs` counts page-table entries and backing objects (shared memory, a checkpoint) holding it;
 * a private mapping must copy before writing while refs > 1.
 */
export class Page {
  refs = 1;
  private dv: DataView | undefined;

  /** `view` may be left out (a restored image's pages): it is made on first use, as most are never touched. */
  constructor(readonly bytes: Uint8Array, view?: DataView) {
    this.dv = view;
  }

  get view(): DataView {
    return (this.dv ??= new DataView(this.bytes.buffer, this.bytes.byteOffset, PAGE_SIZE));
  }
}

/** Counters a test or `crfs info` can read; never consulted on the hot path. */
export interface PagePoolStats {
  /** Pages handed out and not yet returned. */
  live: number;
  /** Pages ever carved out of slabs (live + on the free list). */
  carved: number;
  /** Copies made by `allocCopy` (copy-on-write breaks, fork of nothing else). */
  copies: number;
}

/**
 * Hands out zeroed pages and takes them back when their last reference goes. Slabs are never
 * returned to the host: a freed page's memory waits on the free list and is zeroed when reused
 * (under a new Page object, so nothing holding the old one sees it change hands). Memory given to
 * the pool with `adopt` (a restored image's page bytes) is treated the same way.
 */
export class PagePool {
  readonly stats: PagePoolStats = { live: 0, carved: 0, copies: 0 };
  private readonly free: Page[] = [];
  private slab: ArrayBuffer | null = null;
  private nextInSlab = PAGES_PER_SLAB;

  /** A fresh zero-filled page with refs = 1. */
  alloc(): Page {
    return this.take();
  }

  /** A new page (refs = 1) holding a copy of `src`'s bytes. */
  allocCopy(src: Page): Page {
    const p = this.take(false);
    p.bytes.set(src.bytes);
    this.stats.copies++;
    return p;
  }

  /**
   * New pages (refs = 1), one per view of `srcs` (each exactly PAGE_SIZE bytes), holding copies of
   * them. A run of views adjacent in one buffer that lands on adjacent pages of one slab is copied
   * with a single set, so restoring a big image is a few large copies rather than one per page.
   */
  allocCopies(srcs: readonly Uint8Array[]): Page[] {
    const out: Page[] = new Array<Page>(srcs.length);
    let runAt = 0;
    for (let i = 0; i < srcs.length; i++) {
      const p = this.take(false);
      out[i] = p;
      if (i > runAt && !(adjacent(srcs[i - 1], srcs[i]) && adjacent(out[i - 1].bytes, p.bytes))) {
        copyRun(srcs, out, runAt, i);
        runAt = i;
      }
    }
    if (srcs.length > runAt) copyRun(srcs, out, runAt, srcs.length);
    return out;
  }

  /**
   * New pages (refs = 1) whose memory is the memory of `views` (each exactly PAGE_SIZE bytes), with
   * no copy: the pool takes those bytes over as if they were slab pages, and they return to its free
   * list when freed. The caller gives the bytes away: nothing else may read or write them from now
   * on, and no two views may overlap (each would become a page another page can see).
   */
  adopt(views: readonly Uint8Array[]): Page[] {
    const out: Page[] = new Array<Page>(views.length);
    for (let i = 0; i < views.length; i++) {
      if (views[i].length !== PAGE_SIZE) throw new RangeError(`adopt: view ${i} is ${views[i].length} bytes, not ${PAGE_SIZE}`);
    }
    for (let i = 0; i < views.length; i++) {
      const v = views[i];
      const { buffer, byteOffset } = v;
      // A plain Uint8Array view is kept as the page's own; anything else (a Buffer, whose slice()
      // would share memory, or a subclass) gets a plain view over the same bytes.
      const bytes = Object.getPrototypeOf(v) === Uint8Array.prototype ? v : new Uint8Array(buffer, byteOffset, PAGE_SIZE);
      out[i] = new Page(bytes);
    }
    this.stats.live += views.length;
    this.stats.carved += views.length;
    return out;
  }

  /** Drop one reference; the page returns to the pool when none is left. */
  put(p: Page): void {
    if (--p.refs === 0) {
      this.free.push(p);
      this.stats.live--;
    }
  }

  private take(zero = true): Page {
    this.stats.live++;
    const reused = this.free.pop();
    if (reused !== undefined) {
      // Fresh view objects over the recycled memory: a hart's decoded-code cache keys on view
      // identity, so a page reborn at the same address must not look like the old one.
      const { buffer, byteOffset } = reused.bytes;
      // The DataView is made on first use: a copy-on-write break's page is often only ever stored to.
      const p = new Page(new Uint8Array(buffer, byteOffset, PAGE_SIZE));
      if (zero) p.bytes.fill(0);
      return p;
    }
    if (this.nextInSlab === PAGES_PER_SLAB) {
      this.slab = new ArrayBuffer(PAGES_PER_SLAB * PAGE_SIZE);
      this.nextInSlab = 0;
    }
    const off = this.nextInSlab++ * PAGE_SIZE;
    const buf = this.slab as ArrayBuffer;
    this.stats.carved++;
    return new Page(new Uint8Array(buf, off, PAGE_SIZE), new DataView(buf, off, PAGE_SIZE));
  }
}

function adjacent(a: Uint8Array, b: Uint8Array): boolean {
  return a.buffer === b.buffer && a.byteOffset + a.length === b.byteOffset;
}

/** Copies srcs[from..to) into out[from..to), both known to be contiguous runs. */
function copyRun(srcs: readonly Uint8Array[], out: readonly Page[], from: number, to: number): void {
  const s = srcs[from], d = out[from].bytes;
  const len = (to - from) * PAGE_SIZE;
  for (let i = from; i < to; i++) {
    if (srcs[i].length !== PAGE_SIZE) throw new RangeError(`allocCopies: view ${i} is ${srcs[i].length} bytes, not ${PAGE_SIZE}`);
  }
  new Uint8Array(d.buffer, d.byteOffset, len).set(new Uint8Array(s.buffer, s.byteOffset, len));
}

/**
 * Pages a copy-mode checkpoint holds while the container runs on: whole page tables as snapshots
 * (holdTable: O(leaves), see page-table.ts) or single pages (hold). Either way a held page has one
 * more holder, so the first write by a task copies it (Mm.breakCow) and the checkpoint keeps the
 * bytes it captured. `release` lets them all go. Shared mappings never copy on write, so their
 * pages are copied at capture time instead (see mm/checkpoint.ts).
 */
export class PagePins {
  private readonly held: { pool: PagePool; page: Page }[] = [];
  private readonly tables: PageTableSnapshot[] = [];
  /** The held tables by the pid an image names their mm by (see checkpoint/incremental.ts). */
  private readonly byPid = new Map<number, PageTableSnapshot>();
  /** The write epoch each held table began (kept after release: see page-table.ts). */
  private readonly epochs = new Map<number, number>();
  private released = false;

  /** True once release() has run: the pages are gone, the write epochs remain. */
  get isReleased(): boolean {
    return this.released;
  }

  /** Pages held, one by one or in held tables. */
  get count(): number {
    let n = this.held.length;
    for (const t of this.tables) n += t.size;
    return n;
  }

  hold(pool: PagePool, page: Page): void {
    if (this.released) throw new Error('PagePins: already released');
    page.refs++;
    this.held.push({ pool, page });
  }

  /** Takes over `snapshot` (released with the pins), the page table of the mm named by `pid`. */
  holdTable(snapshot: PageTableSnapshot, pid: number): void {
    if (this.released) {
      snapshot.release();
      throw new Error('PagePins: already released');
    }
    this.tables.push(snapshot);
    this.byPid.set(pid, snapshot);
    this.epochs.set(pid, snapshot.epoch);
  }

  /** The write epoch the mm named by `pid` began when its table was taken (even after release). */
  epochOf(pid: number): number | undefined {
    return this.epochs.get(pid);
  }

  /** The held page table of the mm named by `pid`, until release. */
  tableOf(pid: number): PageTableSnapshot | undefined {
    return this.byPid.get(pid);
  }

  /** Drops every held reference (idempotent). */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const { pool, page } of this.held) pool.put(page);
    this.held.length = 0;
    for (const t of this.tables) t.release();
    this.tables.length = 0;
    this.byPid.clear();
  }
}

/** The pool every Mm uses unless given another (tests may pass their own to count copies). */
export const defaultPagePool = new PagePool();
