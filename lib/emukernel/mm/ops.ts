// The VMA operations behind mmap, munmap, mprotect, mremap, brk, madvise, msync and mincore.
import { PAGE_SIZE } from '../../arch/riscv64/bus';
import { EEXIST, EFAULT, EINVAL, ENODEV, ENOMEM, EOPNOTSUPP, EPERM } from '../errno';
import { MMAP_MIN_ADDR, TASK_SIZE, pageUp } from './layout';
import type { Mm } from './mm';
import { MappedFile, PROT_EXEC, PROT_READ, PROT_WRITE, ShmObject, Vma, VM_GROWSDOWN, VM_NORESERVE, VM_SHARED, VM_STACK } from './vma';
import { STACK_GUARD_GAP } from './vma-list';

export const MAP_SHARED = 0x01, MAP_PRIVATE = 0x02, MAP_SHARED_VALIDATE = 0x03, MAP_TYPE = 0x0f, MAP_FIXED = 0x10,
  MAP_ANONYMOUS = 0x20, MAP_GROWSDOWN = 0x100, MAP_DENYWRITE = 0x800, MAP_EXECUTABLE = 0x1000, MAP_LOCKED = 0x2000,
  MAP_NORESERVE = 0x4000, MAP_POPULATE = 0x8000, MAP_NONBLOCK = 0x10000, MAP_STACK = 0x20000, MAP_HUGETLB = 0x40000,
  MAP_SYNC = 0x80000, MAP_FIXED_NOREPLACE = 0x100000;
/** Flags MAP_SHARED_VALIDATE accepts (Linux's LEGACY_MAP_MASK plus MAP_SYNC); anything else is EOPNOTSUPP. */
export const MAP_VALIDATE_MASK = MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_DENYWRITE | MAP_EXECUTABLE |
  MAP_GROWSDOWN | MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | MAP_SYNC |
  MAP_FIXED_NOREPLACE;
export const PROT_SEM = 0x8, PROT_GROWSDOWN = 0x01000000, PROT_GROWSUP = 0x02000000;
export const MREMAP_MAYMOVE = 1, MREMAP_FIXED = 2, MREMAP_DONTUNMAP = 4;
export const MS_ASYNC = 1, MS_INVALIDATE = 2, MS_SYNC = 4;

export interface MapRequest {
  addr: number;
  len: number;
  prot: number;
  /** MAP_* flags as the program passed them. */
  flags: number;
  /** The file of a file-backed mapping (the caller has checked its access mode), or null. */
  file: MappedFile | null;
  /** File offset in bytes (page-aligned). */
  offset: number;
  /** Display name; defaults to the file's path, or "" for anonymous memory. */
  name?: string;
}

/** `len` rounded up to whole pages, or -1 if no mapping could be that long. */
function alignedLength(len: number): number {
  return len > TASK_SIZE ? -1 : pageUp(len);
}

/**
 * mmap's core: returns the mapped address, or -errno (EINVAL bad length/flags/alignment, ENOMEM
 * no room, EEXIST for MAP_FIXED_NOREPLACE over a mapping, EPERM below mmap_min_addr, ENODEV for
 * a shared file mapping, EOPNOTSUPP for unknown flags with MAP_SHARED_VALIDATE).
 * Never randomizes: without a usable hint, the highest free gap below mmapBase is taken.
 */
export function mapRegion(mm: Mm, req: MapRequest): number {
  const { prot, flags } = req;
  if (req.len === 0) return -EINVAL;
  if (req.offset % PAGE_SIZE !== 0) return -EINVAL;
  const type = flags & MAP_TYPE;
  if (type !== MAP_SHARED && type !== MAP_PRIVATE && type !== MAP_SHARED_VALIDATE) return -EINVAL;
  if (type === MAP_SHARED_VALIDATE && (flags & ~MAP_VALIDATE_MASK) !== 0) return -EOPNOTSUPP;
  const file = (flags & MAP_ANONYMOUS) !== 0 ? null : req.file;
  // Shared file mappings would need write-back into memfs; none of our programs use them.
  if (file !== null && type !== MAP_PRIVATE) return -ENODEV;
  const len = alignedLength(req.len);
  if (len < 0) return -ENOMEM;
  let addr: number;
  if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) !== 0) {
    addr = req.addr;
    if (addr % PAGE_SIZE !== 0) return -EINVAL;
    if (addr + len > TASK_SIZE) return -ENOMEM;
    if (addr < MMAP_MIN_ADDR) return -EPERM;
    if ((flags & MAP_FIXED_NOREPLACE) !== 0 && !mm.vmas.isFree(addr, addr + len)) return -EEXIST;
    unmapRange(mm, addr, addr + len);
  } else {
    addr = chooseAddress(mm, req.addr, len);
    if (addr < 0) return -ENOMEM;
  }
  let vmFlags = 0;
  if (type !== MAP_PRIVATE) vmFlags |= VM_SHARED;
  if ((flags & MAP_GROWSDOWN) !== 0) vmFlags |= VM_GROWSDOWN;
  if ((flags & MAP_STACK) !== 0) vmFlags |= VM_STACK;
  if ((flags & MAP_NORESERVE) !== 0) vmFlags |= VM_NORESERVE;
  const shm = file === null && (vmFlags & VM_SHARED) !== 0 ? new ShmObject(mm.pool) : null;
  if (file !== null) file.retain();
  const name = req.name ?? (file !== null ? file.path : '');
  const pgoff = file !== null ? req.offset / PAGE_SIZE : 0;
  mm.vmas.insert(new Vma(addr, addr + len, prot & (PROT_READ | PROT_WRITE | PROT_EXEC), vmFlags, name, file, pgoff, shm));
  if ((flags & MAP_POPULATE) !== 0 && (flags & MAP_NONBLOCK) === 0) mm.populate(addr, addr + len);
  return addr;
}

/** A hint is honoured if the range is free (Linux's arch_get_unmapped_area_topdown); else top-down search. */
function chooseAddress(mm: Mm, hint: number, len: number): number {
  if (hint !== 0) {
    const a = pageUp(hint);
    if (a >= MMAP_MIN_ADDR && a + len <= TASK_SIZE && mm.vmas.isFree(a, a + len) && clearOfStackGuard(mm, a + len)) return a;
  }
  return mm.vmas.findGapTopDown(len, MMAP_MIN_ADDR, mm.mmapBase);
}

function clearOfStackGuard(mm: Mm, end: number): boolean {
  const next = mm.vmas.next(end);
  return next === null || (next.flags & VM_GROWSDOWN) === 0 || end <= next.start - STACK_GUARD_GAP;
}

/** Remove every mapping in [start, end) (page-aligned), dropping this mm's pages there. */
export function unmapRange(mm: Mm, start: number, end: number): void {
  const removed = mm.vmas.removeRange(start, end);
  for (const v of removed) {
    mm.dropPages(v.start / PAGE_SIZE, v.end / PAGE_SIZE);
    v.releaseBacking();
  }
  if (removed.length > 0) mm.invalidateViews();
}

/** munmap: 0, or -EINVAL (unaligned address, zero or huge length). Unmapped holes are fine. */
export function unmapRegion(mm: Mm, addr: number, len: number): number {
  if (addr % PAGE_SIZE !== 0 || len === 0) return -EINVAL;
  const l = alignedLength(len);
  if (l < 0 || addr + l > TASK_SIZE) return -EINVAL;
  unmapRange(mm, addr, addr + l);
  return 0;
}

/** mprotect: 0, or -EINVAL (unaligned, unknown bits), -ENOMEM (part of the range unmapped). Nothing changes on error. */
export function protectRegion(mm: Mm, addr: number, len: number, prot: number): number {
  if (addr % PAGE_SIZE !== 0) return -EINVAL;
  const grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP);
  if (grows === (PROT_GROWSDOWN | PROT_GROWSUP)) return -EINVAL;
  if ((prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM | grows)) !== 0) return -EINVAL;
  if (len === 0) return 0;
  const l = alignedLength(len);
  if (l < 0 || addr + l > TASK_SIZE) return -ENOMEM;
  let start = addr;
  const end = addr + l;
  if (grows !== 0) {
    const first = mm.vmas.find(start);
    if (first === null) return -ENOMEM;
    if ((grows & PROT_GROWSDOWN) !== 0) {
      if ((first.flags & VM_GROWSDOWN) === 0) return -EINVAL;
      start = first.start;
    }
  }
  if (!mm.vmas.isCovered(start, end)) return -ENOMEM;
  mm.vmas.splitAt(start);
  mm.vmas.splitAt(end);
  for (const v of mm.vmas.overlapping(start, end)) v.prot = prot & (PROT_READ | PROT_WRITE | PROT_EXEC);
  mm.vmas.mergeAround(start, end);
  mm.invalidateViews();
  return 0;
}

/**
 * mremap: the (possibly new) address, or -errno: EINVAL for bad flags/alignment/overlap, EFAULT
 * when the old range is not inside one mapping, ENOMEM when it cannot grow in place and may not move.
 * Moving re-keys the page table: no page is copied.
 */
export function remapRegion(mm: Mm, old: number, oldLen: number, newLen: number, flags: number, newAddr: number): number {
  if ((flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) !== 0) return -EINVAL;
  const mayMove = (flags & MREMAP_MAYMOVE) !== 0, fixed = (flags & MREMAP_FIXED) !== 0;
  const dontUnmap = (flags & MREMAP_DONTUNMAP) !== 0;
  if (fixed && !mayMove) return -EINVAL;
  if (dontUnmap && (!mayMove || oldLen !== newLen)) return -EINVAL;
  if (old % PAGE_SIZE !== 0) return -EINVAL;
  let oLen = alignedLength(oldLen);
  const nLen = alignedLength(newLen);
  if (oLen < 0 || nLen <= 0) return -EINVAL;
  const v = mm.vmas.find(old);
  if (v === null || old + oLen > v.end) return -EFAULT;
  if (oLen === 0) {
    // Duplicating a mapping is only meaningful for shared memory.
    if (!v.shared || !mayMove) return -EINVAL;
    const dst = fixed ? newAddr : mm.vmas.findGapTopDown(nLen, MMAP_MIN_ADDR, mm.mmapBase);
    if (dst < 0) return -ENOMEM;
    if (fixed) unmapRange(mm, dst, dst + nLen);
    const dup = new Vma(dst, dst + nLen, v.prot, v.flags, v.name, v.file, v.backingIndex(old / PAGE_SIZE), v.shm);
    dup.retainBacking();
    mm.vmas.insert(dup);
    return dst;
  }
  if (fixed) {
    if (newAddr % PAGE_SIZE !== 0 || newAddr + nLen > TASK_SIZE) return -EINVAL;
    if (newAddr < old + oLen && old < newAddr + nLen) return -EINVAL;
    unmapRange(mm, newAddr, newAddr + nLen);
    if (oLen > nLen) {
      unmapRange(mm, old + nLen, old + oLen);
      oLen = nLen;
    }
    return moveRegion(mm, old, oLen, newAddr, nLen, dontUnmap);
  }
  if (nLen <= oLen) {
    if (nLen < oLen) unmapRange(mm, old + nLen, old + oLen);
    return old;
  }
  const end = old + oLen;
  if (end === v.end && end + (nLen - oLen) <= TASK_SIZE && mm.vmas.isFree(end, old + nLen) && clearOfStackGuard(mm, old + nLen)) {
    // Grow in place: a new VMA with the same attributes merges into the old one.
    const grown = new Vma(end, old + nLen, v.prot, v.flags, v.name, v.file, v.backingIndex(end / PAGE_SIZE), v.shm);
    grown.retainBacking();
    mm.vmas.insert(grown);
    return old;
  }
  if (!mayMove) return -ENOMEM;
  const dst = mm.vmas.findGapTopDown(nLen, MMAP_MIN_ADDR, mm.mmapBase);
  if (dst < 0) return -ENOMEM;
  return moveRegion(mm, old, oLen, dst, nLen, dontUnmap);
}

/** Move [old, old+oldLen) (inside one VMA) to a free range at `dst` of `newLen` bytes. */
function moveRegion(mm: Mm, old: number, oldLen: number, dst: number, newLen: number, keepOld: boolean): number {
  mm.vmas.splitAt(old);
  mm.vmas.splitAt(old + oldLen);
  const src = mm.vmas.find(old) as Vma;
  const moved = new Vma(dst, dst + newLen, src.prot, src.flags, src.name, src.file, src.pgoff, src.shm);
  moved.retainBacking();
  mm.movePages(old / PAGE_SIZE, oldLen / PAGE_SIZE, dst / PAGE_SIZE);
  if (!keepOld) {
    for (const r of mm.vmas.removeRange(old, old + oldLen)) r.releaseBacking();
  }
  mm.vmas.insert(moved);
  mm.invalidateViews();
  return dst;
}

/**
 * brk: the new break, or the current one when the request is refused (below the start, or it would
 * run into another mapping); brk(0) therefore reports the current break. Never -errno, as in Linux.
 */
export function setBrk(mm: Mm, requested: number): number {
  if (requested < mm.startBrk || requested > TASK_SIZE) return mm.brk;
  const oldEnd = pageUp(mm.brk), newEnd = pageUp(requested);
  if (newEnd === oldEnd) {
    mm.brk = requested;
    return requested;
  }
  if (newEnd < oldEnd) {
    unmapRange(mm, newEnd, oldEnd);
    mm.brk = requested;
    return requested;
  }
  const next = mm.vmas.next(oldEnd);
  if (next !== null) {
    const limit = (next.flags & VM_GROWSDOWN) !== 0 ? next.start - STACK_GUARD_GAP : next.start;
    if (newEnd + PAGE_SIZE > limit) return mm.brk;
  }
  mm.vmas.insert(new Vma(oldEnd, newEnd, PROT_READ | PROT_WRITE, 0, '[heap]'));
  mm.brk = requested;
  return requested;
}

export const MADV_NORMAL = 0, MADV_RANDOM = 1, MADV_SEQUENTIAL = 2, MADV_WILLNEED = 3, MADV_DONTNEED = 4,
  MADV_FREE = 8, MADV_REMOVE = 9, MADV_DONTFORK = 10, MADV_DOFORK = 11, MADV_MERGEABLE = 12,
  MADV_UNMERGEABLE = 13, MADV_HUGEPAGE = 14, MADV_NOHUGEPAGE = 15, MADV_DONTDUMP = 16, MADV_DODUMP = 17,
  MADV_WIPEONFORK = 18, MADV_KEEPONFORK = 19, MADV_COLD = 20, MADV_PAGEOUT = 21, MADV_POPULATE_READ = 22,
  MADV_POPULATE_WRITE = 23, MADV_DONTNEED_LOCKED = 24;

/**
 * madvise: 0, -EINVAL (unaligned, unknown advice, MADV_FREE on non-anonymous memory) or -ENOMEM
 * (part of the range unmapped; mapped parts are still advised, as in Linux). DONTNEED drops the
 * pages: private anonymous memory reads back as zeros, file and shared memory from their backing.
 * Every other advice is accepted and ignored.
 */
export function adviseRegion(mm: Mm, addr: number, len: number, advice: number): number {
  if (addr % PAGE_SIZE !== 0) return -EINVAL;
  if (!((advice >= MADV_NORMAL && advice <= MADV_WILLNEED) || advice === MADV_DONTNEED ||
    (advice >= MADV_FREE && advice <= MADV_DONTNEED_LOCKED))) return -EINVAL;
  const l = alignedLength(len);
  if (l < 0 || addr + l > TASK_SIZE) return -EINVAL;
  if (l === 0) return 0;
  const end = addr + l;
  const vmas = mm.vmas.overlapping(addr, end);
  if (advice === MADV_FREE) {
    for (const v of vmas) if (v.file !== null || v.shm !== null) return -EINVAL;
  }
  if (advice === MADV_DONTNEED || advice === MADV_FREE || advice === MADV_DONTNEED_LOCKED) {
    for (const v of vmas) mm.dropPages(Math.max(addr, v.start) / PAGE_SIZE, Math.min(end, v.end) / PAGE_SIZE);
  } else if (advice === MADV_POPULATE_READ || advice === MADV_POPULATE_WRITE) {
    mm.populate(addr, end);
  }
  return mm.vmas.isCovered(addr, end) ? 0 : -ENOMEM;
}

/** msync: 0, -EINVAL (unaligned, bad flags), -ENOMEM (unmapped). Nothing to write back in memfs's world. */
export function syncRegion(mm: Mm, addr: number, len: number, flags: number): number {
  if ((flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) !== 0) return -EINVAL;
  if ((flags & MS_ASYNC) !== 0 && (flags & MS_SYNC) !== 0) return -EINVAL;
  if (addr % PAGE_SIZE !== 0) return -EINVAL;
  const l = alignedLength(len);
  if (l < 0) return -ENOMEM;
  return mm.vmas.isCovered(addr, addr + l) ? 0 : -ENOMEM;
}

/**
 * mincore's answer: one byte per page of [addr, addr+len), 1 if resident, or -errno (EINVAL
 * unaligned, ENOMEM unmapped). File and shared memory count as resident (memfs is all page cache).
 */
export function residency(mm: Mm, addr: number, len: number): Uint8Array | number {
  if (addr % PAGE_SIZE !== 0) return -EINVAL;
  const l = alignedLength(len);
  if (l < 0 || addr + l > TASK_SIZE) return -ENOMEM;
  if (!mm.vmas.isCovered(addr, addr + l)) return -ENOMEM;
  const out = new Uint8Array(l / PAGE_SIZE);
  for (let i = 0; i < out.length; i++) {
    const a = addr + i * PAGE_SIZE;
    const v = mm.vmas.find(a) as Vma;
    out[i] = mm.presentPage(a / PAGE_SIZE) !== undefined || v.file !== null || v.shm !== null ? 1 : 0;
  }
  return out;
}
