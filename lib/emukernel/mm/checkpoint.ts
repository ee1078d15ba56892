// Checkpoint of an address space: the mm record, each VMA with its present pages, mm_context; restore in checkpoint-restore.ts.
/*
 * What an mm becomes in the image (docs/IMAGE-FORMAT.md, "Record order"):
 *
 *   objref mm, mm (layout, brk, auxv), mm_exe [+ string exe_path],
 *   per VMA in address order: [objref inode, shm] vma, (pgarr, addresses, pages)*, pgarr 0,
 *   mm_context (the vDSO base).
 *
 * Choices:
 * - Private anonymous memory (heap, stack, bss, ELF segments, which exec loads as anonymous copies):
 *   exactly the pages present in the page table, as views over the live pages (no copy). Absent
 *   pages stay absent after restore and still read as zeros; a present page stays present even when
 *   it holds only zeros.
 * - Private file mappings (mmap of a file, filled lazily): every page of the VMA is saved, present
 *   pages from the mm and not-yet-faulted ones read from the file now (copied into fresh buffers;
 *   nothing is inserted into the live mm). The image carries no file reference for them (vma_objref
 *   0), so restore needs nothing from the fs layer and the bytes are those the program would have
 *   read at the checkpoint. After restore such a VMA is private memory named after the file: every
 *   page present, no file behind it. Known difference: MADV_DONTNEED on it later gives zeros where
 *   the original would re-read the file. Shared file mappings do not exist (mmap refuses them).
 * - MAP_SHARED|MAP_ANONYMOUS memory: the ShmObject is a shared object of type `inode`, defined by a
 *   `shm` record before the first VMA that maps it; every VMA mapping it (in any mm) names it by
 *   ino_objref, so mms that shared it before the checkpoint share one ShmObject after restore. Its
 *   pages travel in the page arrays of the VMAs that map them, each page once (the first VMA that
 *   covers its offset carries it); pages no VMA covers are unreachable and are not saved. They are
 *   restored into the ShmObject only: each mm faults them in on first touch, as before.
 * - The [vdso] page is saved without its bytes; restore maps it afresh with exec/vdso.ts and checks
 *   that the image put it where this kernel does.
 * - Copy-on-write sharing between forked mms is not kept: each restored mm gets its own copy of
 *   every page it had. VMA names longer than 31 bytes are cut (see fitVmaName).
 */
import { PAGE_SIZE } from '../../arch/riscv64/bus';
import type { ObjType } from '../../crfs/image/record-spec';
import { KERNEL_CONSTANTS, MAX_PAGES_PER_ARRAY, RecordValue } from '../../crfs/image/schema';
import type { CheckpointContext, ObjectRestorer } from '../checkpoint/context';
import { E2BIG, EINVAL } from '../errno';
import { fitVmaName, linuxVmFlags, vmaTypeOf } from './checkpoint-vma';
import { restoreMm } from './checkpoint-restore';
import { writeAnonPagesIncremental } from './checkpoint-incremental';
import type { Mm } from './mm';
import type { PageLookup } from './page-table';
import type { MappedFile, ShmObject, Vma } from './vma';

/** auxv pairs the mm record may hold (AT_VECTOR_SIZE words). */
const MAX_AUXV = KERNEL_CONSTANTS.at_vector_size / 2;
const utf8 = new TextEncoder();

/** What a checkpoint knows of a shared segment it has written: its size and the page offsets already carried. */
interface ShmSeen { readonly size: number; readonly done: Set<number> }
const seenShm = new WeakMap<CheckpointContext, Map<ShmObject, ShmSeen>>();

/** The checkpoint's record of `shm`, made (with its size) at first sight. */
function shmSeen(ctx: CheckpointContext, shm: ShmObject): ShmSeen {
  let perCtx = seenShm.get(ctx);
  if (!perCtx) { perCtx = new Map(); seenShm.set(ctx, perCtx); }
  let seen = perCtx.get(shm);
  if (!seen) { seen = { size: segmentSize(shm), done: new Set() }; perCtx.set(shm, seen); }
  return seen;
}

/**
 * Write `mm` (first sight only) and return its objref. Read-only: no page is faulted in, copied
 * or moved, so the container carries on unchanged. Fails the checkpoint (CheckpointError through
 * ctx.fail) for an auxv longer than the record holds or a shared file mapping.
 */
export function checkpointMm(ctx: CheckpointContext, mm: Mm): number {
  if (ctx.refOf(mm) === 0) checkSavable(ctx, mm);
  return ctx.shared('mm', mm, () => writeMm(ctx, mm));
}

/** Refuse before writing anything: an error record inside a half-written mm would make the image unreadable. */
function checkSavable(ctx: CheckpointContext, mm: Mm): void {
  if (mm.auxv.length > MAX_AUXV) ctx.fail(E2BIG, `mm: auxv has ${mm.auxv.length} entries, the image holds ${MAX_AUXV}`);
  for (const v of mm.vmas.all()) {
    if (v.file !== null && v.shared) ctx.fail(EINVAL, `mm: shared file mapping ${v.name} at 0x${v.start.toString(16)} cannot be saved`);
  }
}

function writeMm(ctx: CheckpointContext, mm: Mm): void {
  const { w } = ctx;
  const vmas = mm.vmas.all();
  const l = mm.layout;
  w.record('mm', {
    map_count: vmas.length, exe_objref: 0, def_flags: 0, flags: 0,
    start_code: l.startCode, end_code: l.endCode, start_data: l.startData, end_data: l.endData,
    start_brk: mm.startBrk, brk: mm.brk, start_stack: l.startStack,
    arg_start: l.argStart, arg_end: l.argEnd, env_start: l.envStart, env_end: l.envEnd,
    nr_auxv: mm.auxv.length, auxv: mm.auxv.map(([a_type, a_val]) => ({ a_type, a_val })),
  });
  w.record('mm_exe', { path_len: mm.exePath === '' ? 0 : utf8.encode(mm.exePath).length + 1 });
  if (mm.exePath !== '') w.string(mm.exePath);
  // Copy mode reads the pages through a snapshot of the page table, which keeps them as they are
  // now (O(leaves); it also drops the harts' writable views, so the next write faults and copies);
  // otherwise the container stays frozen while the pages are read, so the live table will do.
  let lookup: PageLookup = mm.pageLookup;
  if (ctx.pins !== null) {
    const snap = mm.snapshotPages();
    ctx.pins.holdTable(snap, ctx.taskPid);
    lookup = snap;
  }
  let vdso = 0;
  for (const v of vmas) {
    const type = vmaTypeOf(v);
    if (type === 'vdso') vdso = v.start;
    writeVma(ctx, lookup, v, type);
  }
  w.record('mm_context', { vdso });
}

function writeVma(ctx: CheckpointContext, lookup: PageLookup, v: Vma, type: RecordValue<'vma'>['vma_type']): void {
  const { w } = ctx;
  let ino = 0, inoSize = 0;
  if (v.shm !== null) {
    const size = shmSeen(ctx, v.shm).size;
    inoSize = size;
    ino = ctx.shared('inode', v.shm, () => w.record('shm', { size }));
  }
  w.record('vma', {
    vma_type: type, vma_objref: 0, ino_objref: ino, ino_size: inoSize,
    vm_start: v.start, vm_end: v.end, vm_page_prot: v.prot, vm_flags: linuxVmFlags(v), vm_pgoff: v.pgoff,
    name: fitVmaName(v.name),
  });
  const out = new PageBatch(ctx);
  if (ctx.parent !== null && type === 'anon') writeAnonPagesIncremental(ctx, lookup, v);
  else if (type === 'anon') {
    writeAnonPages(ctx, lookup, v);
  } else if (type === 'file') {
    writeFilePages(lookup, v, v.file as MappedFile, out);
  } else if (type === 'shm_anon') {
    writeShmPages(ctx, v, v.shm as ShmObject, out);
  }
  out.flush();
  w.endVma();
}

/**
 * The present pages of a private anonymous VMA, in address order: counted now (O(leaves)), and
 * enumerated when the writer wants them, as views of the pages (never copies). A writer of bytes
 * wants them at once; a live tree only when someone reads the VMA, so a capture costs the same for
 * 16 MiB and 1 GiB (copy mode reads them through its snapshot, which nothing changes).
 */
function writeAnonPages(ctx: CheckpointContext, lookup: PageLookup, v: Vma): void {
  const first = v.start / PAGE_SIZE, end = v.end / PAGE_SIZE;
  // The writer cuts them into arrays of at most MAX_PAGES_PER_ARRAY.
  ctx.w.pagesFrom(lookup.countIn(first, end), () => lookup.collect(first, end, PAGE_SIZE));
}

/**
 * Collects a file or shm VMA's pages and hands them to the writer in arrays of at most
 * MAX_PAGES_PER_ARRAY: those pages may be fresh copies, so no more than one array is held at once.
 */
class PageBatch {
  private addrs: number[] = [];
  private views: Uint8Array[] = [];
  constructor(private readonly ctx: CheckpointContext) {}

  add(addr: number, view: Uint8Array): void {
    this.addrs.push(addr);
    this.views.push(view);
    if (this.addrs.length === MAX_PAGES_PER_ARRAY) this.flush();
  }

  flush(): void {
    if (this.addrs.length === 0) return;
    this.ctx.w.pages(this.addrs, this.views);
    this.addrs = [];
    this.views = [];
  }
}

/** Every page of a private file mapping: the mm's own where present, else the file's bytes now. */
function writeFilePages(lookup: PageLookup, v: Vma, file: MappedFile, out: PageBatch): void {
  const first = v.start / PAGE_SIZE, end = v.end / PAGE_SIZE;
  for (let vpn = first; vpn < end; vpn++) {
    const p = lookup.get(vpn);
    if (p !== undefined) {
      out.add(vpn * PAGE_SIZE, p.bytes);
      continue;
    }
    // As Mm.faultIn fills it: the file at the page's offset, zeros past EOF.
    const page = new Uint8Array(PAGE_SIZE);
    page.set(file.readAt(v.backingIndex(vpn) * PAGE_SIZE, PAGE_SIZE).subarray(0, PAGE_SIZE));
    out.add(vpn * PAGE_SIZE, page);
  }
}

/** The segment's pages under `v` that no earlier VMA of this checkpoint carried, in address order. */
function writeShmPages(ctx: CheckpointContext, v: Vma, shm: ShmObject, out: PageBatch): void {
  const { done } = shmSeen(ctx, shm);
  const firstIdx = v.backingIndex(v.start / PAGE_SIZE), n = v.pages;
  let idxs: number[];
  if (n <= shm.pages.size * 4) {
    idxs = [];
    for (let i = firstIdx; i < firstIdx + n; i++) if (shm.pages.has(i)) idxs.push(i);
  } else {
    idxs = [...shm.pages.keys()].filter((i) => i >= firstIdx && i < firstIdx + n).sort((a, b) => a - b);
  }
  for (const i of idxs) {
    if (done.has(i)) continue;
    done.add(i);
    const bytes = (shm.pages.get(i) as { bytes: Uint8Array }).bytes;
    // Writes to shared memory never copy on write: a copy-mode checkpoint takes its bytes now.
    out.add(v.start + (i - firstIdx) * PAGE_SIZE, ctx.pins === null ? bytes : Uint8Array.from(bytes));
  }
}

/** Bytes up to the end of the highest page the segment holds (0 for an untouched one). */
function segmentSize(shm: ShmObject): number {
  let top = 0;
  for (const i of shm.pages.keys()) if (i + 1 > top) top = i + 1;
  return top * PAGE_SIZE;
}

/** objtype -> restorer for the mm subsystem (the shm segments inside an mm are restored by restoreMm). */
export const mmRestorers: Partial<Record<ObjType, ObjectRestorer>> = {
  mm: restoreMm,
};
