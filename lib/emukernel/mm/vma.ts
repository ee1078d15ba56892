// Virtual memory areas (Linux's vm_area_struct): a range, its protection, and what backs it.
import { PAGE_SIZE } from '../../arch/riscv64/bus';
import { Page, PagePool } from './page';

export const PROT_NONE = 0, PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4;

/** VMA flags (a subset of Linux's VM_*; only what changes behaviour or what a checkpoint must record). */
export const VM_SHARED = 1;
/** The stack: grows down (MAP_GROWSDOWN); Linux keeps a guard gap below it. */
export const VM_GROWSDOWN = 2;
/** Mapped with MAP_STACK (a thread stack); informational. */
export const VM_STACK = 4;
/** MAP_NORESERVE; informational. */
export const VM_NORESERVE = 8;

/**
 * What a file-backed mapping needs from an open file: its bytes at an offset (short or empty past
 * EOF), a name for display, and a reference held for as long as a VMA maps it (Linux's get_file).
 */
export interface MappedFile {
  readonly path: string;
  readAt(pos: number, len: number): Uint8Array;
  retain(): void;
  release(): void;
}

/**
 * The backing object of MAP_SHARED|MAP_ANONYMOUS memory (Linux's shmem inode): pages indexed by
 * page offset, shared by every VMA (in any mm) that maps it. `refs` counts those VMAs; the object
 * holds one reference on each of its pages.
 */
export class ShmObject {
  readonly pages = new Map<number, Page>();
  refs = 1;
  constructor(readonly pool: PagePool) {}

  /** The page at page offset `index`, created zero-filled on first use. The object keeps its own reference. */
  pageAt(index: number): Page {
    let p = this.pages.get(index);
    if (p === undefined) {
      p = this.pool.alloc();
      this.pages.set(index, p);
    }
    return p;
  }

  /** Drop one VMA's reference; the last one frees the pages. */
  release(): void {
    if (--this.refs > 0) return;
    for (const p of this.pages.values()) this.pool.put(p);
    this.pages.clear();
  }
}

export class Vma {
  constructor(
    /** First byte (page-aligned). */
    public start: number,
    /** One past the last byte (page-aligned). */
    public end: number,
    /** PROT_READ | PROT_WRITE | PROT_EXEC. */
    public prot: number,
    /** VM_* flags. */
    public flags: number,
    /** For /proc-style display: a path, "[heap]", "[stack]", "[vdso]", or "" for anonymous memory. */
    public name: string,
    /** The file a file-backed mapping reads its pages from, or null. */
    public file: MappedFile | null = null,
    /** Offset into the backing file or shm object, in pages, of `start`. */
    public pgoff = 0,
    /** The backing object of a shared anonymous mapping, or null. */
    public shm: ShmObject | null = null,
  ) {}

  get shared(): boolean {
    return (this.flags & VM_SHARED) !== 0;
  }

  get pages(): number {
    return (this.end - this.start) / PAGE_SIZE;
  }

  /** The page offset into the backing object of the page at `vpn`. */
  backingIndex(vpn: number): number {
    return this.pgoff + vpn - this.start / PAGE_SIZE;
  }

  /** A copy covering the same range that holds its own references on the backing objects. */
  clone(): Vma {
    const v = new Vma(this.start, this.end, this.prot, this.flags, this.name, this.file, this.pgoff, this.shm);
    v.retainBacking();
    return v;
  }

  retainBacking(): void {
    if (this.shm !== null) this.shm.refs++;
    if (this.file !== null) this.file.retain();
  }

  releaseBacking(): void {
    if (this.shm !== null) this.shm.release();
    if (this.file !== null) this.file.release();
  }

  /** True if `next` starts where this ends and the two could be one VMA. */
  canMergeWith(next: Vma): boolean {
    if (this.end !== next.start || this.prot !== next.prot || this.flags !== next.flags) return false;
    if (this.name !== next.name || this.file !== next.file || this.shm !== next.shm) return false;
    const backed = this.file !== null || this.shm !== null;
    return !backed || next.pgoff === this.pgoff + this.pages;
  }
}
