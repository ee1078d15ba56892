// An address space (Linux's mm_struct): VMAs, a lazily filled page table, copy-on-write, user copies.
import { MemoryBus, PAGE_SIZE } from '../../arch/riscv64/bus';
import { MMAP_BASE, TASK_SIZE } from './layout';
import { Page, PagePool, defaultPagePool } from './page';
import { PageLookup, PageTable, PageTableSnapshot } from './page-table';
import { PROT_EXEC, PROT_READ, PROT_WRITE, Vma, VM_SHARED } from './vma';
import { VmaList } from './vma-list';

let nextMmId = 1;
const TWO32 = 4294967296;
const READABLE = PROT_READ | PROT_WRITE; // riscv has no write-only pages: W implies R

/** Where the program's pieces are (the fields of linux-cr's ckpt_hdr_mm and /proc/pid/stat). */
export interface MmLayout {
  startCode: number;
  endCode: number;
  startData: number;
  endData: number;
  startStack: number;
  argStart: number;
  argEnd: number;
  envStart: number;
  envEnd: number;
}

export class Mm implements MemoryBus {
  readonly id = nextMmId++;
  generation = 0;
  /** Tasks using this mm (threads share it via CLONE_VM); the last release frees the pages. */
  users = 1;
  /** brk's floor (page-aligned end of the executable's image) and the current break (not page-aligned). */
  startBrk = 0;
  brk = 0;
  /** Top-down mmap allocations start below this address. */
  mmapBase = MMAP_BASE;
  layout: MmLayout = { startCode: 0, endCode: 0, startData: 0, endData: 0, startStack: 0, argStart: 0, argEnd: 0, envStart: 0, envEnd: 0 };
  /** The executable's path (for readlink /proc/self/exe), "" before the first exec. */
  exePath = '';
  /** AT_ENTRY and the auxiliary vector the program started with, kept for /proc/self/auxv and checkpoints. */
  auxv: readonly (readonly [number, number])[] = [];
  /** Copy-on-write breaks in this mm (a page copied because another holder shared it). */
  cowCopies = 0;
  readonly vmas: VmaList;
  /** vpn -> page: present pages only; an absent page in a mapped range is created on first touch. */
  private readonly pages: PageTable;

  constructor(readonly pool: PagePool = defaultPagePool, vmas?: VmaList, pages?: PageTable) {
    this.vmas = vmas ?? new VmaList();
    this.pages = pages ?? new PageTable(pool);
  }

  // ---- MemoryBus: the CPU's miss path -------------------------------------------------------

  readPage(vpn: number): DataView | null {
    const p = this.readablePage(vpn);
    return p === null ? null : p.view;
  }

  writePage(vpn: number): DataView | null {
    const p = this.writablePage(vpn);
    return p === null ? null : p.view;
  }

  execPage(vpn: number): DataView | null {
    const v = this.vmas.find(vpn * PAGE_SIZE);
    if (v === null || (v.prot & PROT_EXEC) === 0) return null;
    const p = this.pages.get(vpn);
    return p !== undefined ? p.view : this.faultIn(vpn, v).view;
  }

  private readablePage(vpn: number): Page | null {
    const v = this.vmas.find(vpn * PAGE_SIZE);
    if (v === null || (v.prot & READABLE) === 0) return null;
    const p = this.pages.get(vpn);
    return p !== undefined ? p : this.faultIn(vpn, v);
  }

  private writablePage(vpn: number): Page | null {
    const v = this.vmas.find(vpn * PAGE_SIZE);
    if (v === null || (v.prot & PROT_WRITE) === 0) return null;
    const p = this.pages.get(vpn);
    if (p === undefined) return this.faultIn(vpn, v);
    if ((v.flags & VM_SHARED) === 0 && (p.refs > 1 || this.pages.isShared(vpn))) return this.breakCow(vpn, p);
    this.pages.markWritten(vpn);
    return p;
  }

  /** First touch of a page in `v`: from the shared object, from the file, or zero-filled. */
  private faultIn(vpn: number, v: Vma): Page {
    let p: Page;
    if (v.shm !== null) {
      p = v.shm.pageAt(v.backingIndex(vpn));
      p.refs++;
    } else {
      p = this.pool.alloc();
      if (v.file !== null) p.bytes.set(v.file.readAt(v.backingIndex(vpn) * PAGE_SIZE, PAGE_SIZE).subarray(0, PAGE_SIZE));
    }
    this.pages.set(vpn, p);
    return p;
  }

  /** A private write to a page someone else also holds (itself, or its leaf of the page table): give this mm its own copy. */
  private breakCow(vpn: number, p: Page): Page {
    // A private copy of a shared leaf takes a reference on p, so p.refs > 1 from here on.
    this.pages.unshare(vpn);
    const copy = this.pool.allocCopy(p);
    this.pages.set(vpn, copy);
    this.pool.put(p);
    this.cowCopies++;
    // The old view may sit in any hart's read cache for this mm.
    this.generation++;
    return copy;
  }

  // ---- copy_from_user / copy_to_user -------------------------------------------------------

  /** True if every byte of [addr, addr+len) is mapped with one of the `want` permissions. */
  private accessible(addr: number, len: number, want: number): boolean {
    if (!(addr >= 0 && len >= 0 && addr + len <= TASK_SIZE)) return false;
    const end = addr + len;
    let a = addr;
    while (a < end) {
      const v = this.vmas.find(a);
      if (v === null || (v.prot & want) === 0) return false;
      a = v.end;
    }
    return true;
  }

  /** copy_from_user: `len` bytes at `addr`, or null if any byte is not readable (EFAULT). */
  read(addr: number, len: number): Uint8Array | null {
    if (!this.accessible(addr, len, READABLE)) return null;
    // An absent page that reads as zeros is left absent: the output is zero-filled already.
    return this.copyOut(addr, len, (vpn, a) => this.pages.get(vpn) ?? (this.isZeroIfAbsent(a) ? null : this.readablePage(vpn) as Page));
  }

  /** Copy `len` bytes at `addr` page by page; `pageAt` gives each page, or null for one that reads as zeros. */
  private copyOut(addr: number, len: number, pageAt: (vpn: number, addr: number) => Page | null): Uint8Array {
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const a = addr + done;
      const off = a % PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - off, len - done);
      const p = pageAt((a - off) / PAGE_SIZE, a);
      if (p !== null) out.set(p.bytes.subarray(off, off + n), done);
      done += n;
    }
    return out;
  }

  /** An absent page reads as zeros without being created when nothing backs it (private anonymous). */
  private isZeroIfAbsent(addr: number): boolean {
    const v = this.vmas.find(addr) as Vma;
    return v.file === null && v.shm === null;
  }

  /** copy_to_user: false if any byte is not writable (EFAULT); nothing is written then. */
  write(addr: number, data: Uint8Array): boolean {
    const len = data.length;
    if (!this.accessible(addr, len, PROT_WRITE)) return false;
    let done = 0;
    while (done < len) {
      const a = addr + done;
      const off = a % PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - off, len - done);
      const p = this.writablePage((a - off) / PAGE_SIZE) as Page;
      p.bytes.set(data.subarray(done, done + n), off);
      done += n;
    }
    return true;
  }

  readU32(addr: number): number | null {
    const off = addr % PAGE_SIZE;
    if (off <= PAGE_SIZE - 4 && addr >= 0) {
      const p = this.readablePage((addr - off) / PAGE_SIZE);
      return p === null ? null : p.view.getUint32(off, true);
    }
    const b = this.read(addr, 4);
    return b === null ? null : new DataView(b.buffer).getUint32(0, true);
  }

  writeU32(addr: number, v: number): boolean {
    const off = addr % PAGE_SIZE;
    if (off <= PAGE_SIZE - 4 && addr >= 0) {
      const p = this.writablePage((addr - off) / PAGE_SIZE);
      if (p === null) return false;
      p.view.setUint32(off, v >>> 0, true);
      return true;
    }
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    return this.write(addr, b);
  }

  /** A u64 as a number (exact below 2^53): pointers and sizes. */
  readU64Num(addr: number): number | null {
    const off = addr % PAGE_SIZE;
    if (off <= PAGE_SIZE - 8 && addr >= 0) {
      const p = this.readablePage((addr - off) / PAGE_SIZE);
      return p === null ? null : p.view.getUint32(off + 4, true) * TWO32 + p.view.getUint32(off, true);
    }
    const b = this.read(addr, 8);
    if (b === null) return null;
    const dv = new DataView(b.buffer);
    return dv.getUint32(4, true) * TWO32 + dv.getUint32(0, true);
  }

  /** Store a number as a 64-bit two's complement value (negative numbers sign-extend). */
  writeU64Num(addr: number, v: number): boolean {
    const lo = v % TWO32;
    const hi = Math.floor(v / TWO32);
    return this.writeHalves(addr, lo >>> 0, hi >>> 0);
  }

  readU64(addr: number): bigint | null {
    const n = this.readHalves(addr);
    return n === null ? null : (BigInt(n[1]) << 32n) | BigInt(n[0]);
  }

  writeU64(addr: number, v: bigint): boolean {
    const u = BigInt.asUintN(64, v);
    return this.writeHalves(addr, Number(u & 0xffffffffn), Number(u >> 32n));
  }

  private readHalves(addr: number): [number, number] | null {
    const b = this.read(addr, 8);
    if (b === null) return null;
    const dv = new DataView(b.buffer);
    return [dv.getUint32(0, true), dv.getUint32(4, true)];
  }

  private writeHalves(addr: number, lo: number, hi: number): boolean {
    const off = addr % PAGE_SIZE;
    if (off <= PAGE_SIZE - 8 && addr >= 0) {
      const p = this.writablePage((addr - off) / PAGE_SIZE);
      if (p === null) return false;
      p.view.setUint32(off, lo, true);
      p.view.setUint32(off + 4, hi, true);
      return true;
    }
    const b = new Uint8Array(8);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, lo, true);
    dv.setUint32(4, hi, true);
    return this.write(addr, b);
  }

  /**
   * strnlen_user: the length of the NUL-terminated string at `addr` if its NUL is among the first
   * `max` bytes; `max` if there is no NUL there; -1 if a byte before the NUL (or before `max`) faults.
   */
  strnlen(addr: number, max: number): number {
    let n = 0;
    while (n < max) {
      const a = addr + n;
      if (!(a >= 0 && a < TASK_SIZE)) return -1;
      const off = a % PAGE_SIZE;
      const p = this.readablePage((a - off) / PAGE_SIZE);
      if (p === null) return -1;
      const stop = Math.min(PAGE_SIZE, off + (max - n));
      const z = p.bytes.subarray(off, stop).indexOf(0);
      if (z >= 0) return n + z;
      n += stop - off;
    }
    return max;
  }

  /** The raw bytes (without the NUL) of a string whose NUL is among the first `max` bytes, or null on fault / no NUL. */
  readCStringBytes(addr: number, max = 4096): Uint8Array | null {
    const n = this.strnlen(addr, max);
    if (n < 0 || n >= max) return null;
    return this.read(addr, n);
  }

  /** A NUL-terminated string of at most `max` bytes (UTF-8), or null on fault / no NUL within max. */
  readCString(addr: number, max = 4096): string | null {
    const b = this.readCStringBytes(addr, max);
    return b === null ? null : Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf8');
  }

  // ---- kernel-side access that ignores protection (loaders, checkpoint restore, tests) --------

  /** Write bytes into mapped pages regardless of protection; false (nothing written) if a byte is unmapped. */
  poke(addr: number, data: Uint8Array): boolean {
    if (!this.vmas.isCovered(addr, addr + data.length)) return false;
    let done = 0;
    while (done < data.length) {
      const a = addr + done;
      const off = a % PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - off, data.length - done);
      this.privatePage((a - off) / PAGE_SIZE).bytes.set(data.subarray(done, done + n), off);
      done += n;
    }
    return true;
  }

  /** Read bytes regardless of protection; null if a byte is unmapped. */
  peek(addr: number, len: number): Uint8Array | null {
    if (!this.vmas.isCovered(addr, addr + len)) return null;
    return this.copyOut(addr, len, (vpn, a) => this.pages.get(vpn) ?? this.faultIn(vpn, this.vmas.find(a) as Vma));
  }

  /** The page at a mapped `vpn`, present and writable by this mm (COW broken unless shared). */
  private privatePage(vpn: number): Page {
    const v = this.vmas.find(vpn * PAGE_SIZE) as Vma;
    const p = this.pages.get(vpn);
    if (p === undefined) return this.faultIn(vpn, v);
    if (!v.shared && (p.refs > 1 || this.pages.isShared(vpn))) return this.breakCow(vpn, p);
    this.pages.markWritten(vpn);
    return p;
  }

  // ---- page-table maintenance for the VMA operations (ops.ts) -------------------------------

  /** The present page at `vpn`, or undefined. Does not fault. */
  presentPage(vpn: number): Page | undefined {
    return this.pages.get(vpn);
  }

  /** How many pages are present. */
  get presentCount(): number {
    return this.pages.size;
  }

  /** Every present page of `v`, in address order, as [vpn, page]. For checkpoints and mincore. */
  *presentPages(v: Vma): IterableIterator<[number, Page]> {
    for (const vpn of this.pages.vpnsIn(v.start / PAGE_SIZE, v.end / PAGE_SIZE)) yield [vpn, this.pages.get(vpn) as Page];
  }

  /**
   * The live page table, read-only, for a checkpoint of a frozen container (push and lazy modes:
   * nothing changes it until the container thaws).
   */
  get pageLookup(): PageLookup {
    return this.pages;
  }

  /**
   * The page table as it is now, kept whatever this mm does next (copy mode): O(leaves), no page
   * touched. Harts' writable views are dropped, so the next write by a task faults and copies (or,
   * once the snapshot is released, is marked written: page-table.ts).
   */
  snapshotPages(): PageTableSnapshot {
    const s = this.pages.snapshot();
    this.generation++;
    return s;
  }

  /** Drop the page-table entries for [startVpn, endVpn) (their contents are gone for this mm). */
  dropPages(startVpn: number, endVpn: number): void {
    let dropped = false;
    for (const vpn of this.pages.vpnsIn(startVpn, endVpn)) {
      this.pool.put(this.pages.take(vpn) as Page);
      dropped = true;
    }
    if (dropped) this.generation++;
  }

  /** Move the entries for `count` pages from `fromVpn` to `toVpn` (mremap); the ranges must not overlap. */
  movePages(fromVpn: number, count: number, toVpn: number): void {
    const moved: [number, Page][] = [];
    for (const vpn of this.pages.vpnsIn(fromVpn, fromVpn + count)) moved.push([vpn, this.pages.take(vpn) as Page]);
    for (const [vpn, p] of moved) this.pages.set(vpn - fromVpn + toVpn, p);
    this.generation++;
  }

  /** Fault in every page of [start, end) that is mapped and accessible (MAP_POPULATE, checkpoint materialization). */
  populate(start: number, end: number): void {
    for (const v of this.vmas.overlapping(start, end)) {
      if ((v.prot & (READABLE | PROT_EXEC)) === 0) continue;
      const last = Math.min(end, v.end) / PAGE_SIZE;
      for (let vpn = Math.max(start, v.start) / PAGE_SIZE; vpn < last; vpn++) {
        if (!this.pages.has(vpn)) this.faultIn(vpn, v);
      }
    }
  }

  /** Tell every hart that cached views may be stale (after a protection change or unmapping). */
  invalidateViews(): void {
    this.generation++;
  }

  // ---- fork and teardown ----------------------------------------------------------------------

  /**
   * A copy-on-write duplicate for fork: every present page is shared (through shared leaves of the
   * page table, see page-table.ts) and no page is copied now. Private pages are copied by whichever side writes first; MAP_SHARED pages stay
   * shared. Bumps this mm's generation, since its harts may hold writable views of now-shared pages.
   */
  fork(): Mm {
    // The two tables share every leaf: O(leaves); the first change on either side copies the leaf.
    const c = new Mm(this.pool, this.vmas.clone(), new PageTable(this.pool, this.pages));
    c.startBrk = this.startBrk;
    c.brk = this.brk;
    c.mmapBase = this.mmapBase;
    c.layout = { ...this.layout };
    c.exePath = this.exePath;
    c.auxv = this.auxv;
    this.generation++;
    c.generation = this.generation;
    return c;
  }

  /** Drop one user; the last one frees every page and backing reference. */
  release(): void {
    if (--this.users > 0) return;
    this.pages.clear();
    for (const v of this.vmas.clear()) v.releaseBacking();
    this.generation++;
  }
}
