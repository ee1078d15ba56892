// Physical pages: 4 KiB slices of slab ArrayBuffers, reference-counted for copy-on-write and sharing.
import { PAGE_SIZE } from '../../arch/riscv64/bus';

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
  constructor(readonly bytes: Uint8Array, readonly view: DataView) {}
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
 * (under a new Page object, so nothing holding the old one sees it change hands).
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
    const p = this.take();
    p.bytes.set(src.bytes);
    this.stats.copies++;
    return p;
  }

  /** Drop one reference; the page returns to the pool when none is left. */
  put(p: Page): void {
    if (--p.refs === 0) {
      this.free.push(p);
      this.stats.live--;
    }
  }

  private take(): Page {
    this.stats.live++;
    const reused = this.free.pop();
    if (reused !== undefined) {
      // Fresh view objects over the recycled memory: a hart's decoded-code cache keys on view
      // identity, so a page reborn at the same address must not look like the old one.
      const { buffer, byteOffset } = reused.bytes;
      const p = new Page(new Uint8Array(buffer, byteOffset, PAGE_SIZE), new DataView(buffer, byteOffset, PAGE_SIZE));
      p.bytes.fill(0);
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

/** The pool every Mm uses unless given another (tests may pass their own to count copies). */
export const defaultPagePool = new PagePool();
