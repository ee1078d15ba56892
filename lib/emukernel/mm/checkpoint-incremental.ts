// Incremental checkpoints of private anonymous memory: changed pages as page arrays, unchanged ones as pgref records.
import { PAGE_SIZE } from '../../arch/riscv64/bus';
import type { ImageItem, RecordValue } from '../../crfs/image/schema';
import type { CheckpointContext, RestoreContext } from '../checkpoint/context';
import { parentPagesOf, type ParentCapture } from '../checkpoint/incremental';
import type { Page, PagePool } from './page';
import type { PageLookup } from './page-table';
import type { Vma } from './vma';

/**
 * The whole page part of private anonymous VMA `v` in an incremental checkpoint (ctx.parent set):
 * the present pages `lookup` holds (the live table, or copy mode's snapshot, which the pins already
 * hold), in address order, as runs of page arrays (pages written or new since the parent) and of
 * pgref records (unchanged). The mm is named by the pid of the task whose records carry it
 * (ctx.taskPid), as the parent's index names its mms. What changed is known, in this order, from:
 * the parent's snapshot of that mm's page table while its pins hold it (a page the mm still has
 * is one nobody wrote, since every write copies a held page: PageLookup.compareRuns); else the
 * table's write marks, if no other snapshot of the mm came after the parent's
 * (PageLookup.writtenRuns); else nothing, and every page is new. Either way an unchanged 2 MiB
 * leaf costs one step.
 */
export function writeAnonPagesIncremental(ctx: CheckpointContext, lookup: PageLookup, v: Vma): void {
  const parent = ctx.parent as ParentCapture;
  const pid = ctx.taskPid;
  const first = v.start / PAGE_SIZE, end = v.end / PAGE_SIZE;
  const base = parent.mms.has(pid) ? parent.pins.tableOf(pid) : undefined;
  const epoch = parent.mms.has(pid) ? parent.pins.epochOf(pid) : undefined;
  const runs = base !== undefined ? lookup.compareRuns(base, first, end) : epoch !== undefined ? lookup.writtenRuns(epoch, first, end) : null;
  if (runs === null) {
    ctx.w.pagesFrom(lookup.countIn(first, end), () => lookup.collect(first, end, PAGE_SIZE));
    return;
  }
  // Runs are listed now (O(leaves), plus the pages of leaves written since); their pages when read.
  for (const run of runs) {
    if (run.same) ctx.w.pageRefsFrom(pid, run.count, () => lookup.collect(run.from, run.to, PAGE_SIZE).addrs);
    else ctx.w.pagesFrom(run.count, () => lookup.collect(run.from, run.to, PAGE_SIZE));
  }
}

const hex = (n: number): string => `0x${n.toString(16)}`;

/** What restorePageRefs needs of the page table being built: the mm's own, whatever its type. */
interface PageTableSink { set(vpn: number, page: Page): unknown }

/**
 * A pgref record at the cursor (inside the VMA `v` of a restore) and its addresses: each page
 * becomes a fresh pool page copied from the parent chain's bytes (never adopted: parent images are
 * only read). `last` is the VMA's highest address so far; returns the pages restored and the new
 * highest. Fails (r.fail) for a reference outside a private anonymous VMA, out of order, or to a
 * page the parent lacks (resolveParentChain already checked the last, so only a caller that skipped
 * it sees that one).
 */
export function restorePageRefs(r: RestoreContext, table: PageTableSink, pool: PagePool, v: RecordValue<'vma'>, last: number, vmaItem: ImageItem): { n: number; last: number } {
  const item = r.peek();
  const ref = r.record('pgref');
  if (v.vma_type !== 'anon') r.fail(item, `a page reference in a ${v.vma_type} vma: only private anonymous memory refers to its parent`);
  const parent = parentPagesOf(r);
  if (parent === null) return r.fail(item, 'a page reference, but no parent image was given');
  const a = r.next();
  if (a.kind !== 'addresses' || a.addrs.length !== ref.nr_pages) return r.fail(a, `expected ${ref.nr_pages} page addresses`);
  const from = parent.get(ref.pid);
  const views: Uint8Array[] = [];
  for (const addr of a.addrs) {
    if (addr % PAGE_SIZE !== 0 || addr < v.vm_start || addr >= v.vm_end || addr <= last) {
      r.fail(item, `page ${hex(addr)} is not above ${hex(last)} inside the vma ${hex(v.vm_start)}-${hex(v.vm_end)} at offset ${vmaItem.offset}`);
    }
    const view = from?.get(addr / PAGE_SIZE);
    if (view === undefined) r.fail(item, `page ${hex(addr)} is not in the parent's mm of pid ${ref.pid}`);
    views.push(view);
    last = addr;
  }
  const copies = pool.allocCopies(views);
  for (let i = 0; i < copies.length; i++) table.set(a.addrs[i] / PAGE_SIZE, copies[i]);
  return { n: copies.length, last };
}
