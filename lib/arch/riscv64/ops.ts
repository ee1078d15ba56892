// Operation numbers of the pre-decoded instruction form the interpreter dispatches on.

/**
 * A decoded instruction is two Int32 words. w0 = op | rd*2 << 8 | rs1*2 << 16 | rs2*2 << 24 | compressed << 30
 * (register numbers are stored doubled: they index CpuState.x's lo/hi pairs directly); w1 = the immediate,
 * or the raw instruction bits for ops handled out of line (CSR, AMO, FP, ILLEGAL).
 * An op never writes x0: decoding maps such instructions to NOP, LDX0, J or JR.
 */
export const enum Op {
  UNDECODED = 0,
  ILLEGAL, NOP, LI, AUIPC, MV,
  ADDI, SLTI, SLTIU, XORI, ORI, ANDI, SLLI, SRLI, SRAI,
  ADDIW, SLLIW, SRLIW, SRAIW,
  ADD, SUB, SLL, SLT, SLTU, XOR, SRL, SRA, OR, AND,
  ADDW, SUBW, SLLW, SRLW, SRAW,
  MUL, MULH, MULHSU, MULHU, DIV, DIVU, REM, REMU,
  MULW, DIVW, DIVUW, REMW, REMUW,
  LB, LH, LW, LD, LBU, LHU, LWU,
  /** A load into x0: only its fault matters. rs2 field = access size in bytes. */
  LDX0,
  SB, SH, SW, SD,
  FLW, FLD, FSW, FSD,
  BEQ, BNE, BLT, BGE, BLTU, BGEU,
  JAL, JALR,
  /** jal x0 / jalr x0: no link. */
  J, JR,
  ECALL, EBREAK, FENCE_I,
  CSR, AMO, FP,
}

/** Bit 30 of w0: the instruction is 2 bytes long. */
export const W0_COMPRESSED = 1 << 30;

/** Packs the first decoded word; register arguments are architectural numbers 0..31. */
export function packOp(op: number, rd: number, rs1: number, rs2: number): number {
  return op | (rd << 9) | (rs1 << 17) | (rs2 << 25);
}
