// The sorted, non-overlapping VMA list of one address space, with split, merge and gap search.
import { PAGE_SIZE } from '../../arch/riscv64/bus';
import { Vma, VM_GROWSDOWN } from './vma';

/** Linux's stack_guard_gap default (256 pages): other mappings keep this far below a grows-down VMA. */
export const STACK_GUARD_GAP = 256 * PAGE_SIZE;

export class VmaList {
  private readonly list: Vma[] = [];
  /** The last VMA `find` returned: page faults cluster, so this skips most binary searches. */
  private last: Vma | null = null;

  get length(): number {
    return this.list.length;
  }

  /** Every VMA in address order. The array is live: do not keep it across a change. */
  all(): readonly Vma[] {
    return this.list;
  }

  /** The VMA containing `addr`, or null. */
  find(addr: number): Vma | null {
    const l = this.last;
    if (l !== null && addr >= l.start && addr < l.end) return l;
    const i = this.indexAfter(addr);
    if (i < this.list.length) {
      const v = this.list[i];
      if (v.start <= addr) {
        this.last = v;
        return v;
      }
    }
    return null;
  }

  /** The index of the first VMA that ends above `addr` (list length if none): Linux's find_vma. */
  indexAfter(addr: number): number {
    let lo = 0, hi = this.list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.list[mid].end <= addr) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The first VMA ending above `addr`, or null. */
  next(addr: number): Vma | null {
    const i = this.indexAfter(addr);
    return i < this.list.length ? this.list[i] : null;
  }

  /** True if no VMA intersects [start, end). */
  isFree(start: number, end: number): boolean {
    const v = this.next(start);
    return v === null || v.start >= end;
  }

  /** True if VMAs cover every byte of [start, end) with no hole. */
  isCovered(start: number, end: number): boolean {
    let a = start;
    let i = this.indexAfter(start);
    while (a < end) {
      if (i >= this.list.length) return false;
      const v = this.list[i++];
      if (v.start > a) return false;
      a = v.end;
    }
    return true;
  }

  /** The VMAs intersecting [start, end), in order (a copy). */
  overlapping(start: number, end: number): Vma[] {
    const out: Vma[] = [];
    for (let i = this.indexAfter(start); i < this.list.length && this.list[i].start < end; i++) out.push(this.list[i]);
    return out;
  }

  /** Insert a VMA that overlaps none, merging it with compatible neighbours. */
  insert(v: Vma): void {
    const i = this.indexAfter(v.start);
    this.list.splice(i, 0, v);
    this.mergeAt(i);
  }

  /** Make `addr` a VMA boundary: a VMA straddling it becomes two (the tail takes its own backing references). */
  splitAt(addr: number): void {
    const i = this.indexAfter(addr);
    if (i >= this.list.length) return;
    const v = this.list[i];
    if (v.start >= addr) return;
    const tail = v.clone();
    tail.start = addr;
    if (tail.file !== null || tail.shm !== null) tail.pgoff = v.pgoff + (addr - v.start) / PAGE_SIZE;
    v.end = addr;
    this.list.splice(i + 1, 0, tail);
    this.last = null;
  }

  /**
   * Remove every VMA inside [start, end), splitting those that straddle the edges, and return the
   * removed ones. Their backing references are the caller's to release.
   */
  removeRange(start: number, end: number): Vma[] {
    this.splitAt(start);
    this.splitAt(end);
    const i = this.indexAfter(start);
    let j = i;
    while (j < this.list.length && this.list[j].start < end) j++;
    this.last = null;
    return this.list.splice(i, j - i);
  }

  /** Merge compatible neighbours around the boundaries at `start` and `end` (after a change in between). */
  mergeAround(start: number, end: number): void {
    const i = this.indexAfter(start > 0 ? start - 1 : 0);
    let j = this.indexAfter(end);
    if (j >= this.list.length) j = this.list.length - 1;
    for (let k = j; k >= i; k--) this.mergeAt(k);
  }

  /** Merge list[i] with its successor and predecessor where compatible. */
  private mergeAt(i: number): void {
    if (i < 0 || i >= this.list.length) return;
    const v = this.list[i];
    const n = this.list[i + 1];
    if (n !== undefined && v.canMergeWith(n)) {
      v.end = n.end;
      n.releaseBacking();
      this.list.splice(i + 1, 1);
    }
    const p = this.list[i - 1];
    if (p !== undefined && p.canMergeWith(v)) {
      p.end = v.end;
      v.releaseBacking();
      this.list.splice(i, 1);
    }
    this.last = null;
  }

  /**
   * The highest address a with [a, a+len) free, low <= a and a+len <= high, keeping the guard gap
   * below grows-down VMAs (Linux's unmapped_area_topdown). -1 if there is no such gap.
   */
  findGapTopDown(len: number, low: number, high: number): number {
    let ceiling = high;
    for (let j = this.list.length - 1; j >= -1; j--) {
      const v = j >= 0 ? this.list[j] : null;
      if (v !== null && v.end > ceiling) {
        ceiling = Math.min(ceiling, startGap(v));
        continue;
      }
      const floor = v !== null ? Math.max(v.end, low) : low;
      if (ceiling - floor >= len) return ceiling - len;
      if (v === null || v.end <= low) return -1;
      ceiling = Math.min(ceiling, startGap(v));
    }
    return -1;
  }

  /** An independent copy for fork: every VMA cloned (taking backing references). */
  clone(): VmaList {
    const c = new VmaList();
    for (const v of this.list) c.list.push(v.clone());
    return c;
  }

  /** Remove everything, returning the VMAs (their backing references are the caller's to release). */
  clear(): Vma[] {
    this.last = null;
    return this.list.splice(0, this.list.length);
  }
}

/** Where a VMA's exclusion zone starts: its start, or the guard gap below a stack. */
function startGap(v: Vma): number {
  return (v.flags & VM_GROWSDOWN) !== 0 ? Math.max(0, v.start - STACK_GUARD_GAP) : v.start;
}
