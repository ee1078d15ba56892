// The hart's view of memory: direct-mapped TLBs of page DataViews, decoded code pages, and the slow access paths.
import { MemoryBus, PAGE_SIZE } from './bus';
import { Cause, CpuState } from './state';

export const TLB_SIZE = 256;
export const TLB_MASK = TLB_SIZE - 1;
const CODE_TLB_SIZE = 512;
const CODE_TLB_MASK = CODE_TLB_SIZE - 1;
/** Addresses at or above this never reach the bus: no user mapping lives there and doubles stay exact. */
const ADDR_LIMIT = 2 ** 52;
const TWO32 = 4294967296;
const TWO64 = 18446744073709551616;

/** A page of instruction memory and its lazily decoded instructions (two Int32 words per halfword slot). */
export class CodePage {
  readonly ops = new Int32Array(PAGE_SIZE);
  constructor(readonly base: number, readonly view: DataView) {}
}

const DUMMY_VIEW = new DataView(new ArrayBuffer(PAGE_SIZE));
const DEAD_PAGE = new CodePage(-1, DUMMY_VIEW);

/** The 64-bit address a trap reports for an address computed as a (possibly negative) double. */
function unsignedAddress(a: number): number {
  return a < 0 ? a + TWO64 : a;
}

/** A low tag word no page base has (bases are 4 KiB aligned). */
const NO_TAG = 1;

export class HartMemory {
  /**
   * Read TLB: slot i caches the page whose base address is rtagHi[i]:rtagLo[i] (two Int32 words so the
   * interpreter's hit test is integer-only), or rtagLo[i] = NO_TAG.
   */
  readonly rtagLo = new Int32Array(TLB_SIZE).fill(NO_TAG);
  readonly rtagHi = new Int32Array(TLB_SIZE);
  readonly rview: DataView[] = new Array<DataView>(TLB_SIZE).fill(DUMMY_VIEW);
  readonly wtagLo = new Int32Array(TLB_SIZE).fill(NO_TAG);
  readonly wtagHi = new Int32Array(TLB_SIZE);
  readonly wview: DataView[] = new Array<DataView>(TLB_SIZE).fill(DUMMY_VIEW);
  /**
   * Decoded pages by vpn slot. Invariant: while cpage[i] is a live page for base B, the write TLB holds no
   * entry for B, so every store to B takes the slow path and kills the decoded page first.
   */
  private readonly ctag = new Float64Array(CODE_TLB_SIZE).fill(-1);
  private readonly cpage: CodePage[] = new Array<CodePage>(CODE_TLB_SIZE).fill(DEAD_PAGE);
  /** Set when a store killed a decoded page; the run loop then drops the page it holds. */
  codeInvalidated = false;
  /** Result of loadSlow: the loaded bits, zero-extended to 64 as lo/hi words. */
  ldLo = 0;
  ldHi = 0;
  protected seenGeneration = -1;
  protected seenBus: MemoryBus | null = null;

  constructor(readonly s: CpuState, public bus: MemoryBus) {}

  /** Drops every cached view and every decoded instruction (fence.i; a new address space). */
  flushCaches(): void {
    this.flushTlbs();
    this.cpage.fill(DEAD_PAGE);
    this.codeInvalidated = true;
  }

  /**
   * Drops the cached views. Decoded pages are kept but only reused if the bus hands back the same view:
   * the bytes behind a view change only through stores, and this hart's stores kill decoded pages.
   */
  protected flushTlbs(): void {
    this.rtagLo.fill(NO_TAG);
    this.wtagLo.fill(NO_TAG);
    this.ctag.fill(-1);
    this.seenGeneration = this.bus.generation;
    this.seenBus = this.bus;
    this.codeInvalidated = true;
  }

  /** The readable view of the page at `base`, or null. */
  readViewFor(base: number): DataView | null {
    const i = (base / PAGE_SIZE) & TLB_MASK, lo = base | 0, hi = (base / TWO32) | 0;
    if (this.rtagLo[i] === lo && this.rtagHi[i] === hi) return this.rview[i];
    if (!(base >= 0 && base < ADDR_LIMIT)) return null;
    const v = this.bus.readPage(base / PAGE_SIZE);
    if (v !== null) {
      this.rtagLo[i] = lo;
      this.rtagHi[i] = hi;
      this.rview[i] = v;
    }
    return v;
  }

  /** The writable view of the page at `base`, or null. Kills a decoded copy of the page. */
  writeViewFor(base: number): DataView | null {
    const i = (base / PAGE_SIZE) & TLB_MASK, lo = base | 0, hi = (base / TWO32) | 0;
    if (this.wtagLo[i] === lo && this.wtagHi[i] === hi) return this.wview[i];
    if (!(base >= 0 && base < ADDR_LIMIT)) return null;
    const v = this.bus.writePage(base / PAGE_SIZE);
    if (v === null) return null;
    this.wtagLo[i] = lo;
    this.wtagHi[i] = hi;
    this.wview[i] = v;
    // A copy-on-write break hands out a new view: the read slot may hold the old one.
    if (this.rtagLo[i] === lo && this.rtagHi[i] === hi) this.rtagLo[i] = NO_TAG;
    const c = (base / PAGE_SIZE) & CODE_TLB_MASK;
    if (this.cpage[c].base === base) {
      this.cpage[c] = DEAD_PAGE;
      this.ctag[c] = -1;
      this.codeInvalidated = true;
    }
    return v;
  }

  /** The decoded page holding `pc`, or null when it cannot be fetched from. */
  codePageFor(pc: number): CodePage | null {
    const base = pc - (pc & (PAGE_SIZE - 1));
    const c = (base / PAGE_SIZE) & CODE_TLB_MASK;
    if (this.ctag[c] === base) return this.cpage[c];
    if (!(base >= 0 && base < ADDR_LIMIT)) return null;
    const v = this.bus.execPage(base / PAGE_SIZE);
    if (v === null) return null;
    let p = this.cpage[c];
    if (p.base !== base || p.view !== v) {
      p = new CodePage(base, v);
      this.cpage[c] = p;
    }
    this.ctag[c] = base;
    const i = (base / PAGE_SIZE) & TLB_MASK;
    if (this.wtagLo[i] === (base | 0) && this.wtagHi[i] === ((base / TWO32) | 0)) this.wtagLo[i] = NO_TAG;
    return p;
  }

  /** Sets the trap registers and returns false, so callers can `return this.fault(...)`. */
  fault(cause: Cause, addr: number): false {
    this.s.cause = cause;
    this.s.tval = unsignedAddress(addr);
    return false;
  }

  /**
   * Loads `size` bytes at `a` (any alignment, may cross a page) into ldLo/ldHi, zero-extended.
   * Returns false with a load page fault set when a byte is not readable.
   */
  loadSlow(a: number, size: number): boolean {
    const off = a & (PAGE_SIZE - 1), base = a - off;
    const v = this.readViewFor(base);
    if (v === null) return this.fault(Cause.LoadPageFault, a);
    if (off + size <= PAGE_SIZE) {
      if (size === 8) {
        this.ldLo = v.getInt32(off, true);
        this.ldHi = v.getInt32(off + 4, true);
      } else {
        this.ldLo = size === 4 ? v.getInt32(off, true) : size === 2 ? v.getUint16(off, true) : v.getUint8(off);
        this.ldHi = 0;
      }
      return true;
    }
    const v2 = this.readViewFor(base + PAGE_SIZE);
    if (v2 === null) return this.fault(Cause.LoadPageFault, base + PAGE_SIZE);
    let lo = 0, hi = 0;
    for (let k = 0; k < size; k++) {
      const o = off + k;
      const b = o < PAGE_SIZE ? v.getUint8(o) : v2.getUint8(o - PAGE_SIZE);
      if (k < 4) lo |= b << (8 * k);
      else hi |= b << (8 * (k - 4));
    }
    this.ldLo = lo;
    this.ldHi = hi;
    return true;
  }

  /**
   * Stores the low `size` bytes of hi:lo at `a` (any alignment, may cross a page). Returns false with a
   * store page fault set, having written nothing, when a byte is not writable.
   */
  storeSlow(a: number, size: number, lo: number, hi: number): boolean {
    const off = a & (PAGE_SIZE - 1), base = a - off;
    const v = this.writeViewFor(base);
    if (v === null) return this.fault(Cause.StorePageFault, a);
    if (off + size <= PAGE_SIZE) {
      if (size === 8) {
        v.setInt32(off, lo, true);
        v.setInt32(off + 4, hi, true);
      } else if (size === 4) v.setInt32(off, lo, true);
      else if (size === 2) v.setInt16(off, lo, true);
      else v.setInt8(off, lo);
      return true;
    }
    const v2 = this.writeViewFor(base + PAGE_SIZE);
    if (v2 === null) return this.fault(Cause.StorePageFault, base + PAGE_SIZE);
    for (let k = 0; k < size; k++) {
      const o = off + k;
      const b = (k < 4 ? lo >>> (8 * k) : hi >>> (8 * (k - 4))) & 0xff;
      if (o < PAGE_SIZE) v.setUint8(o, b);
      else v2.setUint8(o - PAGE_SIZE, b);
    }
    return true;
  }
}
