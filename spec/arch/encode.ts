// Instruction encoders for CPU tests (RISC-V unprivileged spec, chapter 2 formats).

export const encodeR = (f7: number, rs2: number, rs1: number, f3: number, rd: number, op: number): number =>
  ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;

export const encodeI = (imm: number, rs1: number, f3: number, rd: number, op: number): number =>
  (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;

export const encodeS = (imm: number, rs2: number, rs1: number, f3: number, op: number): number =>
  ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 31) << 7) | op) >>> 0;

export const encodeU = (imm20: number, rd: number, op: number): number => (((imm20 & 0xfffff) << 12) | (rd << 7) | op) >>> 0;

/** The integer register fields (rd, rs1, rs2 positions) of a 32-bit instruction. */
export function fieldsOf(insn: number): number[] {
  return [(insn >>> 7) & 31, (insn >>> 15) & 31, (insn >>> 20) & 31];
}

/** x2..x4 are the oracle harness's (sp, gp, tp). */
export const isHarnessReg = (r: number): boolean => r >= 2 && r <= 4;

/** Registers a differential case may set. */
export const CASE_REGS = [1, ...Array.from({ length: 27 }, (_, i) => i + 5)];

export const encodeJ = (imm: number, rd: number): number =>
  ((((imm >> 20) & 1) << 31) | (((imm >> 1) & 0x3ff) << 21) | (((imm >> 11) & 1) << 20) | (((imm >> 12) & 0xff) << 12) | (rd << 7) | 0x6f) >>> 0;

export const encodeB = (imm: number, rs2: number, rs1: number, f3: number): number =>
  ((((imm >> 12) & 1) << 31) | (((imm >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
    (((imm >> 1) & 0xf) << 8) | (((imm >> 11) & 1) << 7) | 0x63) >>> 0;
