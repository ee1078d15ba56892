// Shared helpers for the mm tests: a fresh Mm on its own page pool, and short mmap calls.
import { PAGE_SIZE } from '../../lib/arch/riscv64/bus';
import { Mm } from '../../lib/emukernel/mm/mm';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, MAP_SHARED, mapRegion } from '../../lib/emukernel/mm/ops';
import { PagePool } from '../../lib/emukernel/mm/page';
import { PROT_READ, PROT_WRITE } from '../../lib/emukernel/mm/vma';

export const P = PAGE_SIZE;
export const RW = PROT_READ | PROT_WRITE;

/** An empty address space whose pool counts only this test's pages. */
export function freshMm(): Mm {
  return new Mm(new PagePool());
}

/** mmap anonymous private memory (at `addr` with MAP_FIXED when given); returns the address or -errno. */
export function mapAnon(mm: Mm, len: number, prot = RW, addr?: number, extra = 0): number {
  const flags = MAP_PRIVATE | MAP_ANONYMOUS | (addr !== undefined ? MAP_FIXED : 0) | extra;
  return mapRegion(mm, { addr: addr ?? 0, len, prot, flags, file: null, offset: 0 });
}

/** mmap anonymous shared memory. */
export function mapShared(mm: Mm, len: number, prot = RW): number {
  return mapRegion(mm, { addr: 0, len, prot, flags: MAP_SHARED | MAP_ANONYMOUS, file: null, offset: 0 });
}

/** [start, end, prot] of every VMA, for compact assertions. */
export function vmaShape(mm: Mm): [number, number, number][] {
  return mm.vmas.all().map((v) => [v.start, v.end, v.prot]);
}
