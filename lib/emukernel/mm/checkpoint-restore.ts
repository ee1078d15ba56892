// Restore of an address space from its records (the format and its choices are described in checkpoint.ts).
import { PAGE_SIZE } from '../../arch/riscv64/bus';
import type { ImageItem, RecordValue } from '../../crfs/image/schema';
import type { RestoreContext } from '../checkpoint/context';
import { VDSO_BASE, mapVdso } from '../exec/vdso';
import { MMAP_MIN_ADDR, TASK_SIZE } from './layout';
import { Mm } from './mm';
import { Page, PagePool, defaultPagePool } from './page';
import { PageTable } from './page-table';
import { vmFlagsFromLinux } from './checkpoint-vma';
import { restorePageRefs } from './checkpoint-incremental';
import { ShmObject, Vma, VM_SHARED } from './vma';

const hex = (n: number): string => `0x${n.toString(16)}`;

/** A shared segment restored from a `shm` record: the object and how many pages it may hold. */
interface RestoredShm { readonly shm: ShmObject; readonly pages: number }

/**
 * The segments defined so far in one restore, by objref. They are defined inside an mm (between its
 * VMAs), so restoreMm reads them itself rather than through the `inode` restorer, which pipes own.
 */
const segments = new WeakMap<RestoreContext, Map<number, RestoredShm>>();

function segmentsOf(r: RestoreContext): Map<number, RestoredShm> {
  let m = segments.get(r);
  if (!m) { m = new Map(); segments.set(r, m); }
  return m;
}

/**
 * Restores whose image the caller gave away (restoreKernel's `adoptImage`): their pages become pool
 * pages over the image's own bytes instead of copies. Each page's bytes appear once in an image and
 * are read once here, so every restored page is still private to one mm (or one segment).
 */
const adopting = new WeakSet<RestoreContext>();

/** From now on `r`'s page bytes are taken over by the pool rather than copied (see `adopting`). */
export function adoptImagePages(r: RestoreContext): void {
  adopting.add(r);
}

/**
 * The `mm` restorer: reads the mm record (the `objref` before it is consumed), its executable path,
 * every VMA with its pages, and mm_context, into a new Mm whose pages are fresh pool pages (one copy
 * from the image each, nothing aliasing the image; or, after adoptImagePages, the image's own bytes
 * taken over by the pool). Throws RestoreError (r.fail) naming the record and
 * offset for a contradiction: a VMA outside user space, overlapping or out of order, flags or types
 * that do not fit, a page outside its VMA or given twice, a file VMA missing pages, a vDSO elsewhere.
 */
export function restoreMm(r: RestoreContext, pool: PagePool = defaultPagePool): Mm {
  const mmItem = r.peek();
  const h = r.record('mm');
  if (h.exe_objref !== 0) r.fail(mmItem, 'exe_objref is not supported: crfs carries the executable path in mm_exe');
  if (h.brk < h.start_brk || h.brk > TASK_SIZE) r.fail(mmItem, `brk ${hex(h.brk)} outside ${hex(h.start_brk)}..${hex(TASK_SIZE)}`);
  const pages = new PageTable(pool);
  const mm = new Mm(pool, undefined, pages);
  mm.startBrk = h.start_brk;
  mm.brk = h.brk;
  mm.layout = {
    startCode: h.start_code, endCode: h.end_code, startData: h.start_data, endData: h.end_data,
    startStack: h.start_stack, argStart: h.arg_start, argEnd: h.arg_end, envStart: h.env_start, envEnd: h.env_end,
  };
  mm.auxv = h.auxv.map((e) => [e.a_type, e.a_val] as const);
  if (r.at('mm_exe')) {
    const e = r.record('mm_exe');
    if (e.path_len > 0) mm.exePath = r.string();
  }
  let lastEnd = 0;
  let vdsoAt = 0;
  for (let i = 0; i < h.map_count; i++) {
    while (r.at('objref')) restoreSegment(r, pool);
    const item = r.peek();
    const v = r.record('vma');
    if (v.vm_start < lastEnd) r.fail(item, `${hex(v.vm_start)}-${hex(v.vm_end)} overlaps or precedes the previous vma ending at ${hex(lastEnd)}`);
    lastEnd = v.vm_end;
    if (v.vma_type === 'vdso') vdsoAt = v.vm_start;
    restoreVma(r, mm, pages, pool, v, item as ImageItem);
  }
  const ctxItem = r.peek();
  const c = r.record('mm_context');
  if (c.vdso !== vdsoAt) {
    r.fail(ctxItem, vdsoAt === 0 ? `vdso ${hex(c.vdso)}, but the mm has no vdso vma` : `vdso ${hex(c.vdso)}, but the vdso vma is at ${hex(vdsoAt)}`);
  }
  return mm;
}

/** An `objref` of type inode and its `shm` record, between an mm's VMAs. */
function restoreSegment(r: RestoreContext, pool: PagePool): void {
  const it = r.next();
  if (it.kind !== 'record' || it.name !== 'objref') return r.fail(it, 'expected an objref');
  if (it.value.objtype !== 'inode' || !r.at('shm')) r.fail(it, 'only shm segments may be defined between the vmas of an mm');
  const defItem = r.peek();
  const s = r.record('shm');
  if (s.size % PAGE_SIZE !== 0) r.fail(defItem, `size ${s.size} is not a whole number of pages`);
  const table = segmentsOf(r);
  if (table.has(it.value.objref)) r.fail(it, `objref ${it.value.objref} defined twice`);
  const shm = new ShmObject(pool);
  // refs counts the VMAs mapping it; each restored VMA takes its own.
  shm.refs = 0;
  table.set(it.value.objref, { shm, pages: s.size / PAGE_SIZE });
}

function restoreVma(r: RestoreContext, mm: Mm, pages: PageTable, pool: PagePool, v: RecordValue<'vma'>, item: ImageItem): void {
  const range = `${hex(v.vm_start)}-${hex(v.vm_end)}`;
  if (v.vm_start % PAGE_SIZE !== 0 || v.vm_end % PAGE_SIZE !== 0 || v.vm_end <= v.vm_start) r.fail(item, `${range} is not a page-aligned range`);
  if (v.vm_start < MMAP_MIN_ADDR || v.vm_end > TASK_SIZE) r.fail(item, `${range} is outside user space ${hex(MMAP_MIN_ADDR)}-${hex(TASK_SIZE)}`);
  if (v.vm_page_prot > 7) r.fail(item, `vm_page_prot ${v.vm_page_prot} has bits other than PROT_READ|PROT_WRITE|PROT_EXEC`);
  const flags = vmFlagsFromLinux(v.vm_flags, v.vm_page_prot);
  if (typeof flags === 'string') return r.fail(item, flags);
  const shared = (flags & VM_SHARED) !== 0;
  if (v.vma_objref !== 0) r.fail(item, `vma_objref ${v.vma_objref}: crfs saves private file mappings as their pages, never with a file`);
  let seg: RestoredShm | null = null;
  switch (v.vma_type) {
    case 'anon':
    case 'file':
      if (shared) r.fail(item, `a shared ${v.vma_type} vma must be shm_anon`);
      if (v.ino_objref !== 0) r.fail(item, `an ${v.vma_type} vma names segment ${v.ino_objref}`);
      break;
    case 'shm_anon': {
      if (!shared) r.fail(item, 'a shm_anon vma without VM_SHARED');
      const found = segmentsOf(r).get(v.ino_objref);
      if (!found) return r.fail(item, `ino_objref ${v.ino_objref} is not a shm segment defined before it`);
      seg = found;
      break;
    }
    case 'vdso':
      if (v.vm_start !== VDSO_BASE || v.vm_end !== VDSO_BASE + PAGE_SIZE) r.fail(item, `vdso at ${range}, this kernel maps it at ${hex(VDSO_BASE)}-${hex(VDSO_BASE + PAGE_SIZE)}`);
      if (shared || v.ino_objref !== 0) r.fail(item, 'a vdso vma with a backing object');
      break;
    default:
      return r.fail(item, `vma type ${v.vma_type} cannot be restored`);
  }
  if (v.vma_type === 'vdso') {
    // The trampoline comes from this kernel, not from the image; only the access bits are kept.
    mapVdso(mm);
    const vd = mm.vmas.find(VDSO_BASE) as Vma;
    vd.prot = v.vm_page_prot;
    vd.flags = flags;
  } else {
    const vma = new Vma(v.vm_start, v.vm_end, v.vm_page_prot, flags, v.name, null, v.vm_pgoff, seg ? seg.shm : null);
    vma.retainBacking();
    insertUnmerged(mm, vma);
  }
  const count = restoreVmaPages(r, pages, pool, v, seg, item);
  if (v.vma_type === 'file' && count !== (v.vm_end - v.vm_start) / PAGE_SIZE) {
    r.fail(item, `file vma ${range} carries ${count} of its ${(v.vm_end - v.vm_start) / PAGE_SIZE} pages; crfs saves them all`);
  }
}

/** Insert a VMA as its own entry: the list merges compatible neighbours, and the image's boundaries are kept. */
function insertUnmerged(mm: Mm, v: Vma): void {
  const before = mm.vmas.length;
  mm.vmas.insert(v);
  // Only a predecessor can have absorbed it (VMAs arrive in address order).
  if (mm.vmas.length === before) mm.vmas.splitAt(v.start);
}

/**
 * The page arrays of one VMA, up to its zero-count array. Returns how many pages it carried.
 * Private pages go into the mm's page table, segment pages into the segment; vDSO pages are skipped.
 */
function restoreVmaPages(r: RestoreContext, pages: PageTable, pool: PagePool, v: RecordValue<'vma'>, seg: RestoredShm | null, vmaItem: ImageItem): number {
  let count = 0;
  let last = -1;
  const firstVpn = v.vm_start / PAGE_SIZE;
  for (;;) {
    if (r.at('pgref')) { const got = restorePageRefs(r, pages, pool, v, last, vmaItem); count += got.n; last = got.last; continue; }
    const arrItem = r.peek();
    const n = r.record('pgarr').nr_pages;
    if (n === 0) return count;
    const arr = r.pages(n);
    for (let i = 0; i < n; i++) {
      const addr = arr.addrs[i];
      if (addr % PAGE_SIZE !== 0 || addr < v.vm_start || addr >= v.vm_end || addr <= last) {
        r.fail(arrItem, `page ${hex(addr)} is not above ${hex(last)} inside the vma ${hex(v.vm_start)}-${hex(v.vm_end)} at offset ${vmaItem.offset}`);
      }
      last = addr;
      count++;
      if (seg === null) continue;
      const idx = v.vm_pgoff + addr / PAGE_SIZE - firstVpn;
      if (idx >= seg.pages) r.fail(arrItem, `page ${hex(addr)} is at offset ${idx} of a segment of ${seg.pages} pages`);
      if (seg.shm.pages.has(idx)) r.fail(arrItem, `page ${hex(addr)}: offset ${idx} of segment ${v.ino_objref} is given twice`);
    }
    if (v.vma_type === 'vdso') continue;
    // Checked first, copied (or adopted) after: a bad array leaves no half-filled pages behind.
    const copies = adopting.has(r) ? pool.adopt(arr.pages) : pool.allocCopies(arr.pages);
    for (let i = 0; i < n; i++) {
      const vpn = arr.addrs[i] / PAGE_SIZE;
      if (seg === null) pages.set(vpn, copies[i]);
      else seg.shm.pages.set(v.vm_pgoff + vpn - firstVpn, copies[i]);
    }
  }
}
