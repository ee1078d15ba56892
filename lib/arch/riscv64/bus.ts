// The contract between the interpreter and whoever owns the address space (emukernel's mm).

/**
 * Pages are 4 KiB and handed to the CPU as DataViews over the page's own bytes, so loads and stores
 * go straight to the memory that a checkpoint later serves without a copy.
 */
export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 4096;

export interface MemoryBus {
  /** The page at virtual page number `vpn` for reading, or null if that would fault (unmapped or not readable). */
  readPage(vpn: number): DataView | null;
  /**
   * The page for writing, or null if that would fault. A copy-on-write page is copied here, so the
   * view returned is private to this address space.
   */
  writePage(vpn: number): DataView | null;
  /** The page for instruction fetch, or null (unmapped or not executable). */
  execPage(vpn: number): DataView | null;
  /**
   * Bumped whenever any view previously returned may have become stale (munmap, mprotect, fork's
   * copy-on-write marking, a COW break by another hart sharing this mm). A CPU holding cached views
   * must drop them when this changes; it checks at the start of every `run` call.
   */
  readonly generation: number;
}
