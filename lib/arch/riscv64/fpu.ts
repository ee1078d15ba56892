// Decoder for the RV64 F and D computational instructions (OP-FP and the four fused multiply-add opcodes).
import { CpuState } from './state';
import { Fmt } from './fpu-exact';
import { addD, addS, divD, divS, fmaD, fmaS, mulD, mulS, sqrtD, sqrtS } from './fpu-arith';
import {
  classifyD, classifyS, compareD, compareS, injectSignD, injectSignS, minMaxD, minMaxS,
  moveDToX, moveSToX, moveXToD, moveXToS,
} from './fpu-bits';
import { IntKind, convertDToS, convertFromInt, convertSToD, convertToInt } from './fpu-convert';
import { readS } from './fpu-regs';

// The rounding mode an instruction uses: its rm field, or frm for rm = 7 (dynamic); -1 when reserved (illegal).
function effectiveRm(s: CpuState, rm: number): number {
  if (rm === 7) return s.frm <= 4 ? s.frm : -1;
  return rm <= 4 ? rm : -1;
}

/**
 * Execute one F/D computational instruction (major opcodes 0x43, 0x47, 0x4b, 0x4f, 0x53) on `s`: writes the
 * destination register and accumulates s.fflags. Does not touch pc. Returns false, with no state changed, for any
 * encoding that is reserved or belongs to an unimplemented extension, or whose rounding mode is invalid; the caller
 * raises an illegal-instruction exception.
 */
export function execFp(s: CpuState, insn: number): boolean {
  const opcode = insn & 0x7f;
  const rd = (insn >>> 7) & 31;
  const f3 = (insn >>> 12) & 7;
  const rs1 = (insn >>> 15) & 31;
  const rs2 = (insn >>> 20) & 31;
  if (opcode !== 0x53) return execFma(s, insn, opcode, rd, f3, rs1, rs2);
  const f7 = insn >>> 25;
  switch (f7) {
    case 0x00: case 0x01: case 0x04: case 0x05: case 0x08: case 0x09: case 0x0c: case 0x0d:
      return execBinary(s, f7, rd, f3, rs1, rs2);
    case 0x2c: /* fsqrt.s */ {
      const rm = effectiveRm(s, f3);
      if (rm < 0 || rs2 !== 0) return false;
      sqrtS(s, rd, rs1, rm);
      return true;
    }
    case 0x2d: /* fsqrt.d */ {
      const rm = effectiveRm(s, f3);
      if (rm < 0 || rs2 !== 0) return false;
      sqrtD(s, rd, rs1, rm);
      return true;
    }
    case 0x10: /* fsgnj[n|x].s */
      if (f3 > 2) return false;
      injectSignS(s, rd, rs1, rs2, f3);
      return true;
    case 0x11: /* fsgnj[n|x].d */
      if (f3 > 2) return false;
      injectSignD(s, rd, rs1, rs2, f3);
      return true;
    case 0x14: /* fmin.s / fmax.s */
      if (f3 > 1) return false;
      minMaxS(s, rd, rs1, rs2, f3 === 1);
      return true;
    case 0x15: /* fmin.d / fmax.d */
      if (f3 > 1) return false;
      minMaxD(s, rd, rs1, rs2, f3 === 1);
      return true;
    case 0x20: /* fcvt.s.d */ {
      const rm = effectiveRm(s, f3);
      if (rm < 0 || rs2 !== 1) return false;
      convertDToS(s, rd, rs1, rm);
      return true;
    }
    case 0x21: /* fcvt.d.s */
      if (effectiveRm(s, f3) < 0 || rs2 !== 0) return false;
      convertSToD(s, rd, rs1);
      return true;
    case 0x50: /* fle.s / flt.s / feq.s */
      if (f3 > 2) return false;
      compareS(s, rd, rs1, rs2, f3);
      return true;
    case 0x51: /* fle.d / flt.d / feq.d */
      if (f3 > 2) return false;
      compareD(s, rd, rs1, rs2, f3);
      return true;
    case 0x60: /* fcvt.{w,wu,l,lu}.s */ {
      const rm = effectiveRm(s, f3);
      if (rm < 0 || rs2 > 3) return false;
      convertToInt(s, rd, readS(s, rs1), rs2 as IntKind, rm);
      return true;
    }
    case 0x61: /* fcvt.{w,wu,l,lu}.d */ {
      const rm = effectiveRm(s, f3);
      if (rm < 0 || rs2 > 3) return false;
      convertToInt(s, rd, s.f64[rs1], rs2 as IntKind, rm);
      return true;
    }
    case 0x68: /* fcvt.s.{w,wu,l,lu} */ {
      const rm = effectiveRm(s, f3);
      if (rm < 0 || rs2 > 3) return false;
      convertFromInt(s, rd, rs1, rs2 as IntKind, Fmt.S, rm);
      return true;
    }
    case 0x69: /* fcvt.d.{w,wu,l,lu} */ {
      const rm = effectiveRm(s, f3);
      if (rm < 0 || rs2 > 3) return false;
      convertFromInt(s, rd, rs1, rs2 as IntKind, Fmt.D, rm);
      return true;
    }
    case 0x70: /* fmv.x.w / fclass.s */
      if (rs2 !== 0) return false;
      if (f3 === 0) moveSToX(s, rd, rs1);
      else if (f3 === 1) classifyS(s, rd, rs1);
      else return false;
      return true;
    case 0x71: /* fmv.x.d / fclass.d */
      if (rs2 !== 0) return false;
      if (f3 === 0) moveDToX(s, rd, rs1);
      else if (f3 === 1) classifyD(s, rd, rs1);
      else return false;
      return true;
    case 0x78: /* fmv.w.x */
      if (rs2 !== 0 || f3 !== 0) return false;
      moveXToS(s, rd, rs1);
      return true;
    case 0x79: /* fmv.d.x */
      if (rs2 !== 0 || f3 !== 0) return false;
      moveXToD(s, rd, rs1);
      return true;
    default:
      return false;
  }
}

// fadd/fsub/fmul/fdiv in either format; f7 is funct5 << 2 | fmt.
function execBinary(s: CpuState, f7: number, rd: number, f3: number, rs1: number, rs2: number): boolean {
  const rm = effectiveRm(s, f3);
  if (rm < 0) return false;
  switch (f7) {
    case 0x00: addS(s, rd, rs1, rs2, rm, false); break; /* fadd.s */
    case 0x01: addD(s, rd, rs1, rs2, rm, false); break; /* fadd.d */
    case 0x04: addS(s, rd, rs1, rs2, rm, true); break; /* fsub.s */
    case 0x05: addD(s, rd, rs1, rs2, rm, true); break; /* fsub.d */
    case 0x08: mulS(s, rd, rs1, rs2, rm); break; /* fmul.s */
    case 0x09: mulD(s, rd, rs1, rs2, rm); break; /* fmul.d */
    case 0x0c: divS(s, rd, rs1, rs2, rm); break; /* fdiv.s */
    default: divD(s, rd, rs1, rs2, rm); break; /* fdiv.d */
  }
  return true;
}

// fmadd (0x43), fmsub (0x47), fnmsub (0x4b), fnmadd (0x4f); bits 26:25 select S (0) or D (1).
function execFma(s: CpuState, insn: number, opcode: number, rd: number, f3: number, rs1: number, rs2: number): boolean {
  if (opcode !== 0x43 && opcode !== 0x47 && opcode !== 0x4b && opcode !== 0x4f) return false;
  const fmt = (insn >>> 25) & 3;
  const rm = effectiveRm(s, f3);
  if (fmt > 1 || rm < 0) return false;
  const rs3 = insn >>> 27;
  const negProd = opcode === 0x4b || opcode === 0x4f;
  const negAddend = opcode === 0x47 || opcode === 0x4f;
  if (fmt === 0) fmaS(s, rd, rs1, rs2, rs3, negProd, negAddend, rm);
  else fmaD(s, rd, rs1, rs2, rs3, negProd, negAddend, rm);
  return true;
}
