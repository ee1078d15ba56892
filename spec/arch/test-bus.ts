// A small MemoryBus for CPU tests: sparse 4 KiB pages with read/write/exec permissions.
import { MemoryBus, PAGE_SIZE } from '../../lib/arch/riscv64/bus';

export const PROT_R = 1;
export const PROT_W = 2;
export const PROT_X = 4;

interface TestPage {
  view: DataView;
  prot: number;
}

export class TestBus implements MemoryBus {
  generation = 0;
  private readonly pages = new Map<number, TestPage>();

  /** Maps zeroed pages covering [addr, addr+len) with `prot`; existing pages keep their bytes. */
  map(addr: number, len: number, prot: number): void {
    const first = Math.floor(addr / PAGE_SIZE);
    const last = Math.floor((addr + len - 1) / PAGE_SIZE);
    for (let vpn = first; vpn <= last; vpn++) {
      const old = this.pages.get(vpn);
      this.pages.set(vpn, { view: old ? old.view : new DataView(new ArrayBuffer(PAGE_SIZE)), prot });
    }
    this.generation++;
  }

  /** Removes pages covering [addr, addr+len). */
  unmap(addr: number, len: number): void {
    const first = Math.floor(addr / PAGE_SIZE);
    const last = Math.floor((addr + len - 1) / PAGE_SIZE);
    for (let vpn = first; vpn <= last; vpn++) this.pages.delete(vpn);
    this.generation++;
  }

  /** Copies bytes in regardless of permissions (a loader's write); throws if a page is unmapped. */
  poke(addr: number, bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) this.pageAt(addr + i).view.setUint8((addr + i) % PAGE_SIZE, bytes[i]);
  }

  /** Reads bytes regardless of permissions; throws if a page is unmapped. */
  peek(addr: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) out[i] = this.pageAt(addr + i).view.getUint8((addr + i) % PAGE_SIZE);
    return out;
  }

  readPage(vpn: number): DataView | null {
    return this.withProt(vpn, PROT_R);
  }

  writePage(vpn: number): DataView | null {
    return this.withProt(vpn, PROT_W);
  }

  execPage(vpn: number): DataView | null {
    return this.withProt(vpn, PROT_X);
  }

  private withProt(vpn: number, want: number): DataView | null {
    const p = this.pages.get(vpn);
    return p !== undefined && (p.prot & want) !== 0 ? p.view : null;
  }

  private pageAt(addr: number): TestPage {
    const p = this.pages.get(Math.floor(addr / PAGE_SIZE));
    if (p === undefined) throw new Error(`test bus: address 0x${addr.toString(16)} is not mapped`);
    return p;
  }
}
