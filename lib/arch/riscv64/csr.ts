// Zicsr for user mode: the FP CSRs (fflags, frm, fcsr) and the read-only counters (cycle, time, instret).
import { CpuState } from './state';

const CSR_FFLAGS = 0x001;
const CSR_FRM = 0x002;
const CSR_FCSR = 0x003;
const CSR_CYCLE = 0xc00;
const CSR_TIME = 0xc01;
const CSR_INSTRET = 0xc02;
const TWO32 = 4294967296;

/**
 * Executes csrrw/csrrs/csrrc[i] `insn`. `instret` is the count including every instruction retired before
 * this one; `time` supplies the time CSR. Returns false (nothing changed) for an unknown CSR or a write to
 * a read-only one, which the caller raises as an illegal instruction.
 */
export function execCsr(s: CpuState, insn: number, instret: number, time: () => number): boolean {
  const csr = insn >>> 20, f3 = (insn >>> 12) & 7, rd = (insn >>> 7) & 31, src = (insn >>> 15) & 31;
  const x = s.x;
  // csrrs/csrrc with x0 (or uimm 0) do not write, so they may read read-only CSRs.
  const writes = (f3 & 3) === 1 || src !== 0;
  let old: number;
  switch (csr) {
    case CSR_FFLAGS: old = s.fflags; break;
    case CSR_FRM: old = s.frm; break;
    case CSR_FCSR: old = (s.frm << 5) | s.fflags; break;
    case CSR_CYCLE: case CSR_INSTRET: case CSR_TIME: {
      if (writes) return false;
      const v = csr === CSR_TIME ? time() : instret;
      if (rd !== 0) {
        x[2 * rd] = v | 0;
        x[2 * rd + 1] = Math.floor(v / TWO32) | 0;
      }
      return true;
    }
    default: return false;
  }
  if (writes) {
    const operand = f3 >= 4 ? src : x[2 * src];
    let v: number;
    switch (f3 & 3) {
      case 1: v = operand; break;
      case 2: v = old | operand; break;
      default: v = old & ~operand; break;
    }
    if (csr === CSR_FFLAGS) s.fflags = v & 0x1f;
    else if (csr === CSR_FRM) s.frm = v & 7;
    else {
      s.fflags = v & 0x1f;
      s.frm = (v >>> 5) & 7;
    }
  }
  if (rd !== 0) {
    x[2 * rd] = old;
    x[2 * rd + 1] = 0;
  }
  return true;
}
