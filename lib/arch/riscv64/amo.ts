// The A extension: LR/SC and the AMOs on a single-threaded host (aq/rl need no action).
import { Cause } from './state';
import { HartMemory } from './mmu';
import { PAGE_SIZE } from './bus';

const TWO32 = 4294967296;

/** Signed 64-bit compare of two lo/hi pairs: negative, zero or positive. */
function compareSigned(al: number, ah: number, bl: number, bh: number): number {
  return ah !== bh ? (ah < bh ? -1 : 1) : (al >>> 0) - (bl >>> 0);
}

function compareUnsigned(al: number, ah: number, bl: number, bh: number): number {
  return ah !== bh ? ((ah >>> 0) < (bh >>> 0) ? -1 : 1) : (al >>> 0) - (bl >>> 0);
}

/**
 * Executes the LR/SC/AMO `insn` (already validated by the decoder). Returns false with cause/tval set
 * (misaligned address, or page fault) and nothing changed; true when done.
 */
export function execAmo(m: HartMemory, insn: number): boolean {
  const s = m.s, x = s.x;
  const rd = 2 * ((insn >>> 7) & 31), rs1 = 2 * ((insn >>> 15) & 31), rs2 = 2 * ((insn >>> 20) & 31);
  const wide = ((insn >>> 12) & 7) === 3, size = wide ? 8 : 4;
  const f5 = insn >>> 27;
  const a = (x[rs1 + 1] >>> 0) * TWO32 + (x[rs1] >>> 0);
  const off = a % PAGE_SIZE, base = a - off;
  // Alignment from the low word: `a` is inexact above 2^53.
  const misaligned = (x[rs1] & (size - 1)) !== 0;
  if (f5 === 2) { /* lr.w lr.d */
    if (misaligned) return m.fault(Cause.LoadMisaligned, a);
    const v = m.readViewFor(base);
    if (v === null) return m.fault(Cause.LoadPageFault, a);
    const lo = v.getInt32(off, true);
    s.reservation = a;
    if (rd !== 0) {
      x[rd] = lo;
      x[rd + 1] = wide ? v.getInt32(off + 4, true) : lo >> 31;
    }
    return true;
  }
  if (f5 === 3) { /* sc.w sc.d */
    // Without a matching reservation sc fails before any alignment or permission check (as qemu does).
    const ok = s.reservation === a;
    if (ok) {
      if (misaligned) return m.fault(Cause.StoreMisaligned, a);
      const v = m.writeViewFor(base);
      if (v === null) return m.fault(Cause.StorePageFault, a);
      v.setInt32(off, x[rs2], true);
      if (wide) v.setInt32(off + 4, x[rs2 + 1], true);
    }
    s.reservation = -1;
    if (rd !== 0) {
      x[rd] = ok ? 0 : 1;
      x[rd + 1] = 0;
    }
    return true;
  }
  if (misaligned) return m.fault(Cause.StoreMisaligned, a);
  const v = m.writeViewFor(base);
  if (v === null) return m.fault(Cause.StorePageFault, a);
  const ol = v.getInt32(off, true);
  const oh = wide ? v.getInt32(off + 4, true) : ol >> 31;
  let bl = x[rs2], bh = wide ? x[rs2 + 1] : bl >> 31;
  switch (f5) {
    case 0x00: { /* amoadd */
      const l = (ol >>> 0) + (bl >>> 0);
      bh = (oh + bh + (l > 0xffffffff ? 1 : 0)) | 0;
      bl = l | 0;
      break;
    }
    case 0x01: break; /* amoswap */
    case 0x04: bl ^= ol; bh ^= oh; break; /* amoxor */
    case 0x08: bl |= ol; bh |= oh; break; /* amoor */
    case 0x0c: bl &= ol; bh &= oh; break; /* amoand */
    case 0x10: if (compareSigned(ol, oh, bl, bh) < 0) { bl = ol; bh = oh; } break; /* amomin */
    case 0x14: if (compareSigned(ol, oh, bl, bh) > 0) { bl = ol; bh = oh; } break; /* amomax */
    case 0x18: if (compareUnsigned(ol, oh, bl, bh) < 0) { bl = ol; bh = oh; } break; /* amominu */
    default: if (compareUnsigned(ol, oh, bl, bh) > 0) { bl = ol; bh = oh; } break; /* amomaxu */
  }
  v.setInt32(off, bl, true);
  if (wide) v.setInt32(off + 4, bh, true);
  if (rd !== 0) {
    x[rd] = ol;
    x[rd + 1] = oh;
  }
  return true;
}
