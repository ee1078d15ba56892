// Decodes RV64GC instruction bits (32-bit and compressed) into the two-word form of ops.ts.
import { Op, packOp, W0_COMPRESSED } from './ops';

const immI = (i: number): number => i >> 20;
const immS = (i: number): number => ((i >> 25) << 5) | ((i >>> 7) & 31);
const immB = (i: number): number =>
  ((i >> 31) << 12) | (((i >>> 7) & 1) << 11) | (((i >>> 25) & 63) << 5) | (((i >>> 8) & 15) << 1);
const immU = (i: number): number => i & 0xfffff000;
const immJ = (i: number): number =>
  ((i >> 31) << 20) | (((i >>> 12) & 255) << 12) | (((i >>> 20) & 1) << 11) | (((i >>> 21) & 1023) << 1);

const LOADS = [Op.LB, Op.LH, Op.LW, Op.LD, Op.LBU, Op.LHU, Op.LWU, Op.ILLEGAL];
const LOAD_SIZES = [1, 2, 4, 8, 1, 2, 4, 0];
const STORES = [Op.SB, Op.SH, Op.SW, Op.SD];
const BRANCHES = [Op.BEQ, Op.BNE, Op.ILLEGAL, Op.ILLEGAL, Op.BLT, Op.BGE, Op.BLTU, Op.BGEU];
const ALU = [Op.ADD, Op.SLL, Op.SLT, Op.SLTU, Op.XOR, Op.SRL, Op.OR, Op.AND];
const MULDIV = [Op.MUL, Op.MULH, Op.MULHSU, Op.MULHU, Op.DIV, Op.DIVU, Op.REM, Op.REMU];
const MULDIVW = [Op.MULW, Op.ILLEGAL, Op.ILLEGAL, Op.ILLEGAL, Op.DIVW, Op.DIVUW, Op.REMW, Op.REMUW];
const IMM_ALU = [Op.ADDI, Op.SLLI, Op.SLTI, Op.SLTIU, Op.XORI, Op.SRLI, Op.ORI, Op.ANDI];
/** funct5 values of the A extension that exist (bit set = defined). */
const AMO_FUNCT5 = (1 << 0) | (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 8) | (1 << 12) | (1 << 16) | (1 << 20) | (1 << 24) | (1 << 28);

/** Writes the decoded form of a 32-bit instruction to out[at], out[at+1]. Unknown encodings decode to ILLEGAL. */
export function decode32(i: number, out: Int32Array, at: number): void {
  const rd = (i >>> 7) & 31, rs1 = (i >>> 15) & 31, rs2 = (i >>> 20) & 31, f3 = (i >>> 12) & 7, f7 = i >>> 25;
  let op: number = Op.ILLEGAL;
  let imm = i;
  switch (i & 0x7f) {
    case 0x03: /* lb lh lw ld lbu lhu lwu */
      op = LOADS[f3];
      imm = immI(i);
      if (op !== Op.ILLEGAL && rd === 0) return put(out, at, packOp(Op.LDX0, 0, rs1, LOAD_SIZES[f3]), imm);
      break;
    case 0x07: /* flw fld */
      op = f3 === 2 ? Op.FLW : f3 === 3 ? Op.FLD : Op.ILLEGAL;
      imm = immI(i);
      break;
    case 0x0f: /* fence fence.i */
      op = f3 === 0 ? Op.NOP : f3 === 1 ? Op.FENCE_I : Op.ILLEGAL;
      break;
    case 0x13: /* addi slti sltiu xori ori andi slli srli srai */
      imm = immI(i);
      op = IMM_ALU[f3];
      if (f3 === 1) {
        if (f7 >>> 1 !== 0) op = Op.ILLEGAL;
        imm &= 63;
      } else if (f3 === 5) {
        if (f7 >>> 1 === 0x10) op = Op.SRAI;
        else if (f7 >>> 1 !== 0) op = Op.ILLEGAL;
        imm &= 63;
      }
      if (op === Op.ADDI) {
        if (rs1 === 0) op = Op.LI;
        else if (imm === 0) op = Op.MV;
      }
      break;
    case 0x17: /* auipc */
      op = Op.AUIPC;
      imm = immU(i);
      break;
    case 0x1b: /* addiw slliw srliw sraiw */
      imm = immI(i);
      if (f3 === 0) op = Op.ADDIW;
      else if (f3 === 1 && f7 === 0) op = Op.SLLIW;
      else if (f3 === 5 && f7 === 0) op = Op.SRLIW;
      else if (f3 === 5 && f7 === 0x20) op = Op.SRAIW;
      imm &= 31;
      if (f3 === 0) imm = immI(i);
      break;
    case 0x23: /* sb sh sw sd */
      op = f3 < 4 ? STORES[f3] : Op.ILLEGAL;
      imm = immS(i);
      return put(out, at, packOp(op, 0, rs1, rs2), op === Op.ILLEGAL ? i : imm);
    case 0x27: /* fsw fsd */
      op = f3 === 2 ? Op.FSW : f3 === 3 ? Op.FSD : Op.ILLEGAL;
      return put(out, at, packOp(op, 0, rs1, rs2), op === Op.ILLEGAL ? i : immS(i));
    case 0x2f: /* lr sc amo*.w/d */
      if ((f3 === 2 || f3 === 3) && (AMO_FUNCT5 >>> (f7 >>> 2)) & 1 && !((f7 >>> 2) === 2 && rs2 !== 0)) op = Op.AMO;
      break;
    case 0x33: /* add sub sll slt sltu xor srl sra or and, mul mulh mulhsu mulhu div divu rem remu */
      if (f7 === 0) op = ALU[f3];
      else if (f7 === 0x20) op = f3 === 0 ? Op.SUB : f3 === 5 ? Op.SRA : Op.ILLEGAL;
      else if (f7 === 1) op = MULDIV[f3];
      if (op === Op.ADD && rs1 === 0) return put(out, at, packOp(rd === 0 ? Op.NOP : Op.MV, rd, rs2, 0), 0);
      break;
    case 0x37: /* lui */
      op = Op.LI;
      imm = immU(i);
      break;
    case 0x3b: /* addw subw sllw srlw sraw, mulw divw divuw remw remuw */
      if (f7 === 0) op = f3 === 0 ? Op.ADDW : f3 === 1 ? Op.SLLW : f3 === 5 ? Op.SRLW : Op.ILLEGAL;
      else if (f7 === 0x20) op = f3 === 0 ? Op.SUBW : f3 === 5 ? Op.SRAW : Op.ILLEGAL;
      else if (f7 === 1) op = MULDIVW[f3];
      break;
    case 0x43: case 0x47: case 0x4b: case 0x4f: case 0x53: /* fmadd fmsub fnmsub fnmadd, op-fp */
      op = Op.FP;
      break;
    case 0x63: /* beq bne blt bge bltu bgeu */
      op = BRANCHES[f3];
      return put(out, at, packOp(op, 0, rs1, rs2), op === Op.ILLEGAL ? i : immB(i));
    case 0x67: /* jalr */
      if (f3 !== 0) break;
      return put(out, at, packOp(rd === 0 ? Op.JR : Op.JALR, rd, rs1, 0), immI(i));
    case 0x6f: /* jal */
      return put(out, at, packOp(rd === 0 ? Op.J : Op.JAL, rd, 0, 0), immJ(i));
    case 0x73: /* ecall ebreak csrrw csrrs csrrc csrrwi csrrsi csrrci */
      if (i === 0x73) op = Op.ECALL;
      else if (i === 0x100073) op = Op.EBREAK;
      else if (f3 !== 0 && f3 !== 4) op = Op.CSR;
      break;
  }
  if (op === Op.ILLEGAL) return put(out, at, Op.ILLEGAL, i);
  // Every remaining op but these writes rd; with rd = x0 it has no effect (M ops never trap).
  if (rd === 0 && op >= Op.LI && op <= Op.REMUW) op = Op.NOP;
  put(out, at, packOp(op, rd, rs1, rs2), op >= Op.CSR ? i : imm);
}

function put(out: Int32Array, at: number, w0: number, w1: number): void {
  out[at] = w0;
  out[at + 1] = w1;
}

const sext6 = (v: number): number => (v << 26) >> 26;

/** Writes the decoded form of a 16-bit instruction (low 2 bits != 3) to out[at], out[at+1]. Reserved encodings decode to ILLEGAL. */
export function decode16(h: number, out: Int32Array, at: number): void {
  const f3 = h >>> 13;
  const rdp = 8 + ((h >>> 2) & 7), rs1p = 8 + ((h >>> 7) & 7);
  const r = (h >>> 7) & 31, r2 = (h >>> 2) & 31;
  const c = W0_COMPRESSED;
  const uimmD = ((h >>> 7) & 0x38) | ((h << 1) & 0xc0);
  const uimmW = ((h >>> 7) & 0x38) | ((h >>> 4) & 4) | ((h << 1) & 0x40);
  const imm6 = sext6(((h >>> 7) & 0x20) | ((h >>> 2) & 31));
  const sh6 = ((h >>> 7) & 0x20) | ((h >>> 2) & 31);
  switch (((h & 3) << 3) | f3) {
    case 0: { /* c.addi4spn */
      const imm = ((h >>> 7) & 0x30) | ((h >>> 1) & 0x3c0) | ((h >>> 4) & 4) | ((h >>> 2) & 8);
      return imm === 0 ? illegal(h, out, at) : put(out, at, c | packOp(Op.ADDI, rdp, 2, 0), imm);
    }
    case 1: return put(out, at, c | packOp(Op.FLD, rdp, rs1p, 0), uimmD); /* c.fld */
    case 2: return put(out, at, c | packOp(Op.LW, rdp, rs1p, 0), uimmW); /* c.lw */
    case 3: return put(out, at, c | packOp(Op.LD, rdp, rs1p, 0), uimmD); /* c.ld */
    case 5: return put(out, at, c | packOp(Op.FSD, 0, rs1p, rdp), uimmD); /* c.fsd */
    case 6: return put(out, at, c | packOp(Op.SW, 0, rs1p, rdp), uimmW); /* c.sw */
    case 7: return put(out, at, c | packOp(Op.SD, 0, rs1p, rdp), uimmD); /* c.sd */
    case 8: /* c.addi c.nop */
      return put(out, at, c | (r === 0 ? Op.NOP : packOp(Op.ADDI, r, r, 0)), imm6);
    case 9: /* c.addiw */
      return r === 0 ? illegal(h, out, at) : put(out, at, c | packOp(Op.ADDIW, r, r, 0), imm6);
    case 10: /* c.li */
      return put(out, at, c | (r === 0 ? Op.NOP : packOp(Op.LI, r, 0, 0)), imm6);
    case 11: { /* c.addi16sp c.lui */
      if (r === 2) {
        const imm = (((h >>> 3) & 0x200) | ((h >>> 2) & 0x10) | ((h << 1) & 0x40) | ((h << 4) & 0x180) | ((h << 3) & 0x20)) << 22 >> 22;
        return imm === 0 ? illegal(h, out, at) : put(out, at, c | packOp(Op.ADDI, 2, 2, 0), imm);
      }
      if (imm6 === 0) return illegal(h, out, at);
      return put(out, at, c | (r === 0 ? Op.NOP : packOp(Op.LI, r, 0, 0)), imm6 << 12);
    }
    case 12: { /* c.srli c.srai c.andi c.sub c.xor c.or c.and c.subw c.addw */
      const f2 = (h >>> 10) & 3;
      if (f2 === 0) return put(out, at, c | packOp(Op.SRLI, rs1p, rs1p, 0), sh6);
      if (f2 === 1) return put(out, at, c | packOp(Op.SRAI, rs1p, rs1p, 0), sh6);
      if (f2 === 2) return put(out, at, c | packOp(Op.ANDI, rs1p, rs1p, 0), imm6);
      const f = ((h >>> 10) & 4) | ((h >>> 5) & 3);
      const op = [Op.SUB, Op.XOR, Op.OR, Op.AND, Op.SUBW, Op.ADDW, Op.ILLEGAL, Op.ILLEGAL][f];
      return op === Op.ILLEGAL ? illegal(h, out, at) : put(out, at, c | packOp(op, rs1p, rs1p, rdp), 0);
    }
    case 13: { /* c.j */
      const imm = (((h >>> 1) & 0x800) | ((h >>> 7) & 0x10) | ((h >>> 1) & 0x300) | ((h << 2) & 0x400) |
        ((h >>> 1) & 0x40) | ((h << 1) & 0x80) | ((h >>> 2) & 0xe) | ((h << 3) & 0x20)) << 20 >> 20;
      return put(out, at, c | Op.J, imm);
    }
    case 14: case 15: { /* c.beqz c.bnez */
      const imm = (((h >>> 4) & 0x100) | ((h >>> 7) & 0x18) | ((h << 1) & 0xc0) | ((h >>> 2) & 6) | ((h << 3) & 0x20)) << 23 >> 23;
      return put(out, at, c | packOp(f3 === 6 ? Op.BEQ : Op.BNE, 0, rs1p, 0), imm);
    }
    case 16: /* c.slli */
      return put(out, at, c | (r === 0 ? Op.NOP : packOp(Op.SLLI, r, r, 0)), sh6);
    case 17: /* c.fldsp */
      return put(out, at, c | packOp(Op.FLD, r, 2, 0), ((h >>> 7) & 0x20) | ((h >>> 2) & 0x18) | ((h << 4) & 0x1c0));
    case 18: /* c.lwsp */
      if (r === 0) return illegal(h, out, at);
      return put(out, at, c | packOp(Op.LW, r, 2, 0), ((h >>> 7) & 0x20) | ((h >>> 2) & 0x1c) | ((h << 4) & 0xc0));
    case 19: /* c.ldsp */
      if (r === 0) return illegal(h, out, at);
      return put(out, at, c | packOp(Op.LD, r, 2, 0), ((h >>> 7) & 0x20) | ((h >>> 2) & 0x18) | ((h << 4) & 0x1c0));
    case 20: /* c.jr c.mv c.ebreak c.jalr c.add */
      if ((h & 0x1000) === 0) {
        if (r2 === 0) return r === 0 ? illegal(h, out, at) : put(out, at, c | packOp(Op.JR, 0, r, 0), 0);
        return put(out, at, c | (r === 0 ? Op.NOP : packOp(Op.MV, r, r2, 0)), 0);
      }
      if (r2 === 0) return r === 0 ? put(out, at, c | Op.EBREAK, 0) : put(out, at, c | packOp(Op.JALR, 1, r, 0), 0);
      return put(out, at, c | (r === 0 ? Op.NOP : packOp(Op.ADD, r, r, r2)), 0);
    case 21: /* c.fsdsp */
      return put(out, at, c | packOp(Op.FSD, 0, 2, r2), ((h >>> 7) & 0x38) | ((h >>> 1) & 0x1c0));
    case 22: /* c.swsp */
      return put(out, at, c | packOp(Op.SW, 0, 2, r2), ((h >>> 7) & 0x3c) | ((h >>> 1) & 0xc0));
    case 23: /* c.sdsp */
      return put(out, at, c | packOp(Op.SD, 0, 2, r2), ((h >>> 7) & 0x38) | ((h >>> 1) & 0x1c0));
    default: /* case 4: reserved */
      return illegal(h, out, at);
  }
}

function illegal(h: number, out: Int32Array, at: number): void {
  put(out, at, W0_COMPRESSED | Op.ILLEGAL, h);
}
