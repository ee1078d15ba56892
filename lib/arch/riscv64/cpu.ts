// The RV64GC user-level interpreter loop: fetch a pre-decoded instruction, one switch, one trap exit.
import { execAmo } from './amo';
import { PAGE_SIZE } from './bus';
import { execCsr } from './csr';
import { decode16, decode32 } from './decode';
import { execFp } from './fpu';
import { CodePage, HartMemory, TLB_MASK } from './mmu';
import { divSigned, divUnsigned, divuw, divw, mul64, mulh, mulhsu, mulhu } from './muldiv';
import { Op } from './ops';
import { Cause, Stop } from './state';

const TWO32 = 4294967296;
const NO_PAGE = new CodePage(-1, new DataView(new ArrayBuffer(PAGE_SIZE)));

/**
 * One hart executing user code out of `bus`. Architectural state lives in `s`; the hart itself only caches
 * (TLBs, decoded pages), which `run` revalidates against `bus.generation` and which `flushCaches` drops.
 */
export class Hart extends HartMemory {
  /** The time CSR's value (the kernel's virtual clock). */
  readTime: () => number = () => 0;
  /** Decoded form of an instruction that straddles two pages (never cached). */
  private readonly straddle = new Int32Array(2);

  /**
   * Executes at most `budget` instructions. Returns Stop.Budget with pc at the next instruction,
   * Stop.Ecall with pc at the ecall (not counted), or Stop.Trap with cause/tval set and pc at the
   * faulting instruction, which is not counted and has changed nothing.
   */
  run(budget: number): Stop {
    if (this.bus.generation !== this.seenGeneration || this.bus !== this.seenBus) this.flushTlbs();
    const s = this.s, x = s.x, fi = s.fi;
    const rtl = this.rtagLo, rth = this.rtagHi, rview = this.rview, wtl = this.wtagLo, wth = this.wtagHi, wview = this.wview;
    // pc = cbase + off throughout. While off is in [0, PAGE_SIZE), cbase is the base of cpage; any other
    // off (a branch or fall-through off the page, or off = PAGE_SIZE after a far jump) means "look up pc".
    let cbase = s.pc - PAGE_SIZE, off = PAGE_SIZE, n = 0, stop = Stop.Budget;
    let cpage = NO_PAGE, cops = cpage.ops;
    this.codeInvalidated = false;
    loop: while (n < budget) {
      if (off >>> 0 >= PAGE_SIZE) {
        const pc = cbase + off;
        const p = this.codePageFor(pc);
        if (p === null) {
          this.fault(Cause.FetchPageFault, pc);
          stop = Stop.Trap;
          break;
        }
        cpage = p;
        cops = p.ops;
        cbase = p.base;
        off = (pc - cbase) | 0;
        if ((off & 1) !== 0) {
          // Only the kernel can hand us an odd pc (jalr clears bit 0, offsets are even).
          this.fault(Cause.InsnMisaligned, pc);
          stop = Stop.Trap;
          break;
        }
      }
      let w0 = cops[off], imm = cops[off + 1];
      if (w0 === 0) {
        const d = this.decodeAt(cpage, off);
        if (d === null) {
          stop = Stop.Trap;
          break;
        }
        const at = d === cops ? off : 0;
        w0 = d[at];
        imm = d[at + 1];
      }
      const rd = (w0 >> 8) & 0xff, rs1 = (w0 >> 16) & 0xff;
      const ilen = 4 - ((w0 >>> 29) & 2);
      switch (w0 & 0xff) {
        case Op.NOP: /* nop, fence, hints */
          break;
        case Op.LI: /* lui, c.li, c.lui, addi rd, x0, imm */
          x[rd] = imm;
          x[rd + 1] = imm >> 31;
          break;
        case Op.AUIPC: { /* auipc */
          const v = cbase + off + imm;
          x[rd] = v | 0;
          x[rd + 1] = Math.floor(v / TWO32) | 0;
          break;
        }
        case Op.MV: /* c.mv, addi rd, rs, 0 */
          x[rd] = x[rs1];
          x[rd + 1] = x[rs1 + 1];
          break;
        case Op.ADDI: { /* addi, c.addi, c.addi4spn, c.addi16sp */
          const a = x[rs1], l = (a + imm) | 0;
          x[rd + 1] = (x[rs1 + 1] + (imm >> 31) + (l >>> 0 < a >>> 0 ? 1 : 0)) | 0;
          x[rd] = l;
          break;
        }
        case Op.SLTI: { /* slti */
          const h = x[rs1 + 1], ih = imm >> 31;
          x[rd] = h < ih || (h === ih && x[rs1] >>> 0 < imm >>> 0) ? 1 : 0;
          x[rd + 1] = 0;
          break;
        }
        case Op.SLTIU: { /* sltiu */
          const h = x[rs1 + 1] >>> 0, ih = (imm >> 31) >>> 0;
          x[rd] = h < ih || (h === ih && x[rs1] >>> 0 < imm >>> 0) ? 1 : 0;
          x[rd + 1] = 0;
          break;
        }
        case Op.XORI: /* xori */
          x[rd] = x[rs1] ^ imm;
          x[rd + 1] = x[rs1 + 1] ^ (imm >> 31);
          break;
        case Op.ORI: /* ori */
          x[rd] = x[rs1] | imm;
          x[rd + 1] = x[rs1 + 1] | (imm >> 31);
          break;
        case Op.ANDI: /* andi, c.andi */
          x[rd] = x[rs1] & imm;
          x[rd + 1] = x[rs1 + 1] & (imm >> 31);
          break;
        case Op.SLLI: /* slli, c.slli */
          shiftLeft(x, rd, x[rs1], x[rs1 + 1], imm);
          break;
        case Op.SRLI: /* srli, c.srli */
          shiftRightLogical(x, rd, x[rs1], x[rs1 + 1], imm);
          break;
        case Op.SRAI: /* srai, c.srai */
          shiftRightArith(x, rd, x[rs1], x[rs1 + 1], imm);
          break;
        case Op.ADDIW: { /* addiw, c.addiw, sext.w */
          const v = (x[rs1] + imm) | 0;
          x[rd] = v;
          x[rd + 1] = v >> 31;
          break;
        }
        case Op.SLLIW: { /* slliw */
          const v = x[rs1] << imm;
          x[rd] = v;
          x[rd + 1] = v >> 31;
          break;
        }
        case Op.SRLIW: { /* srliw */
          const v = (x[rs1] >>> imm) | 0;
          x[rd] = v;
          x[rd + 1] = v >> 31;
          break;
        }
        case Op.SRAIW: { /* sraiw */
          const v = x[rs1] >> imm;
          x[rd] = v;
          x[rd + 1] = v >> 31;
          break;
        }
        case Op.ADD: { /* add, c.add */
          const rs2 = (w0 >>> 24) & 0x3f;
          const a = x[rs1], l = (a + x[rs2]) | 0;
          x[rd + 1] = (x[rs1 + 1] + x[rs2 + 1] + (l >>> 0 < a >>> 0 ? 1 : 0)) | 0;
          x[rd] = l;
          break;
        }
        case Op.SUB: { /* sub, c.sub */
          const rs2 = (w0 >>> 24) & 0x3f;
          const a = x[rs1], c = x[rs2];
          x[rd + 1] = (x[rs1 + 1] - x[rs2 + 1] - (a >>> 0 < c >>> 0 ? 1 : 0)) | 0;
          x[rd] = (a - c) | 0;
          break;
        }
        case Op.SLL: /* sll */
          shiftLeft(x, rd, x[rs1], x[rs1 + 1], x[(w0 >>> 24) & 0x3f] & 63);
          break;
        case Op.SLT: { /* slt */
          const rs2 = (w0 >>> 24) & 0x3f, h = x[rs1 + 1], h2 = x[rs2 + 1];
          x[rd] = h < h2 || (h === h2 && x[rs1] >>> 0 < x[rs2] >>> 0) ? 1 : 0;
          x[rd + 1] = 0;
          break;
        }
        case Op.SLTU: { /* sltu */
          const rs2 = (w0 >>> 24) & 0x3f, h = x[rs1 + 1] >>> 0, h2 = x[rs2 + 1] >>> 0;
          x[rd] = h < h2 || (h === h2 && x[rs1] >>> 0 < x[rs2] >>> 0) ? 1 : 0;
          x[rd + 1] = 0;
          break;
        }
        case Op.XOR: { /* xor, c.xor */
          const rs2 = (w0 >>> 24) & 0x3f;
          x[rd] = x[rs1] ^ x[rs2];
          x[rd + 1] = x[rs1 + 1] ^ x[rs2 + 1];
          break;
        }
        case Op.SRL: /* srl */
          shiftRightLogical(x, rd, x[rs1], x[rs1 + 1], x[(w0 >>> 24) & 0x3f] & 63);
          break;
        case Op.SRA: /* sra */
          shiftRightArith(x, rd, x[rs1], x[rs1 + 1], x[(w0 >>> 24) & 0x3f] & 63);
          break;
        case Op.OR: { /* or, c.or */
          const rs2 = (w0 >>> 24) & 0x3f;
          x[rd] = x[rs1] | x[rs2];
          x[rd + 1] = x[rs1 + 1] | x[rs2 + 1];
          break;
        }
        case Op.AND: { /* and, c.and */
          const rs2 = (w0 >>> 24) & 0x3f;
          x[rd] = x[rs1] & x[rs2];
          x[rd + 1] = x[rs1 + 1] & x[rs2 + 1];
          break;
        }
        case Op.ADDW: { /* addw, c.addw */
          const v = (x[rs1] + x[(w0 >>> 24) & 0x3f]) | 0;
          x[rd] = v;
          x[rd + 1] = v >> 31;
          break;
        }
        case Op.SUBW: { /* subw, c.subw */
          const v = (x[rs1] - x[(w0 >>> 24) & 0x3f]) | 0;
          x[rd] = v;
          x[rd + 1] = v >> 31;
          break;
        }
        case Op.SLLW: { /* sllw */
          const v = x[rs1] << (x[(w0 >>> 24) & 0x3f] & 31);
          x[rd] = v;
          x[rd + 1] = v >> 31;
          break;
        }
        case Op.SRLW: { /* srlw */
          const v = (x[rs1] >>> (x[(w0 >>> 24) & 0x3f] & 31)) | 0;
          x[rd] = v;
          x[rd + 1] = v >> 31;
          break;
        }
        case Op.SRAW: { /* sraw */
          const v = x[rs1] >> (x[(w0 >>> 24) & 0x3f] & 31);
          x[rd] = v;
          x[rd + 1] = v >> 31;
          break;
        }
        case Op.MUL: /* mul */
          mul64(x, rd, rs1, (w0 >>> 24) & 0x3f);
          break;
        case Op.MULH: /* mulh */
          mulh(x, rd, rs1, (w0 >>> 24) & 0x3f);
          break;
        case Op.MULHSU: /* mulhsu */
          mulhsu(x, rd, rs1, (w0 >>> 24) & 0x3f);
          break;
        case Op.MULHU: /* mulhu */
          mulhu(x, rd, rs1, (w0 >>> 24) & 0x3f);
          break;
        case Op.DIV: /* div */
          divSigned(x, rd, rs1, (w0 >>> 24) & 0x3f, false);
          break;
        case Op.DIVU: /* divu */
          divUnsigned(x, rd, rs1, (w0 >>> 24) & 0x3f, false);
          break;
        case Op.REM: /* rem */
          divSigned(x, rd, rs1, (w0 >>> 24) & 0x3f, true);
          break;
        case Op.REMU: /* remu */
          divUnsigned(x, rd, rs1, (w0 >>> 24) & 0x3f, true);
          break;
        case Op.MULW: { /* mulw */
          const v = Math.imul(x[rs1], x[(w0 >>> 24) & 0x3f]);
          x[rd] = v;
          x[rd + 1] = v >> 31;
          break;
        }
        case Op.DIVW: /* divw */
          divw(x, rd, rs1, (w0 >>> 24) & 0x3f, false);
          break;
        case Op.DIVUW: /* divuw */
          divuw(x, rd, rs1, (w0 >>> 24) & 0x3f, false);
          break;
        case Op.REMW: /* remw */
          divw(x, rd, rs1, (w0 >>> 24) & 0x3f, true);
          break;
        case Op.REMUW: /* remuw */
          divuw(x, rd, rs1, (w0 >>> 24) & 0x3f, true);
          break;
        case Op.LB: { /* lb */
          const b = x[rs1], lo = (b + imm) | 0;
          const hi = (x[rs1 + 1] + (imm >> 31) + (lo >>> 0 < b >>> 0 ? 1 : 0)) | 0;
          const o = lo & 4095, t = (lo >>> 12) & TLB_MASK;
          let v: number;
          if (rtl[t] === (lo & -4096) && rth[t] === hi) v = rview[t].getInt8(o);
          else if (this.loadSlow(hi * TWO32 + (lo >>> 0), 1)) v = (this.ldLo << 24) >> 24;
          else { stop = Stop.Trap; break loop; }
          x[rd] = v;
          x[rd + 1] = v >> 31;
          break;
        }
        case Op.LBU: { /* lbu */
          const b = x[rs1], lo = (b + imm) | 0;
          const hi = (x[rs1 + 1] + (imm >> 31) + (lo >>> 0 < b >>> 0 ? 1 : 0)) | 0;
          const o = lo & 4095, t = (lo >>> 12) & TLB_MASK;
          if (rtl[t] === (lo & -4096) && rth[t] === hi) x[rd] = rview[t].getUint8(o);
          else if (this.loadSlow(hi * TWO32 + (lo >>> 0), 1)) x[rd] = this.ldLo;
          else { stop = Stop.Trap; break loop; }
          x[rd + 1] = 0;
          break;
        }
        case Op.LH: { /* lh */
          const b = x[rs1], lo = (b + imm) | 0;
          const hi = (x[rs1 + 1] + (imm >> 31) + (lo >>> 0 < b >>> 0 ? 1 : 0)) | 0;
          const o = lo & 4095, t = (lo >>> 12) & TLB_MASK;
          let v: number;
          if (rtl[t] === (lo & -4096) && rth[t] === hi && o <= 4094) v = rview[t].getInt16(o, true);
          else if (this.loadSlow(hi * TWO32 + (lo >>> 0), 2)) v = (this.ldLo << 16) >> 16;
          else { stop = Stop.Trap; break loop; }
          x[rd] = v;
          x[rd + 1] = v >> 31;
          break;
        }
        case Op.LHU: { /* lhu */
          const b = x[rs1], lo = (b + imm) | 0;
          const hi = (x[rs1 + 1] + (imm >> 31) + (lo >>> 0 < b >>> 0 ? 1 : 0)) | 0;
          const o = lo & 4095, t = (lo >>> 12) & TLB_MASK;
          if (rtl[t] === (lo & -4096) && rth[t] === hi && o <= 4094) x[rd] = rview[t].getUint16(o, true);
          else if (this.loadSlow(hi * TWO32 + (lo >>> 0), 2)) x[rd] = this.ldLo;
          else { stop = Stop.Trap; break loop; }
          x[rd + 1] = 0;
          break;
        }
        case Op.LW: { /* lw, c.lw, c.lwsp */
          const b = x[rs1], lo = (b + imm) | 0;
          const hi = (x[rs1 + 1] + (imm >> 31) + (lo >>> 0 < b >>> 0 ? 1 : 0)) | 0;
          const o = lo & 4095, t = (lo >>> 12) & TLB_MASK;
          let v: number;
          if (rtl[t] === (lo & -4096) && rth[t] === hi && o <= 4092) v = rview[t].getInt32(o, true);
          else if (this.loadSlow(hi * TWO32 + (lo >>> 0), 4)) v = this.ldLo;
          else { stop = Stop.Trap; break loop; }
          x[rd] = v;
          x[rd + 1] = v >> 31;
          break;
        }
        case Op.LWU: { /* lwu */
          const b = x[rs1], lo = (b + imm) | 0;
          const hi = (x[rs1 + 1] + (imm >> 31) + (lo >>> 0 < b >>> 0 ? 1 : 0)) | 0;
          const o = lo & 4095, t = (lo >>> 12) & TLB_MASK;
          if (rtl[t] === (lo & -4096) && rth[t] === hi && o <= 4092) x[rd] = rview[t].getInt32(o, true);
          else if (this.loadSlow(hi * TWO32 + (lo >>> 0), 4)) x[rd] = this.ldLo;
          else { stop = Stop.Trap; break loop; }
          x[rd + 1] = 0;
          break;
        }
        case Op.LD: { /* ld, c.ld, c.ldsp */
          const b = x[rs1], lo = (b + imm) | 0;
          const hi = (x[rs1 + 1] + (imm >> 31) + (lo >>> 0 < b >>> 0 ? 1 : 0)) | 0;
          const o = lo & 4095, t = (lo >>> 12) & TLB_MASK;
          if (rtl[t] === (lo & -4096) && rth[t] === hi && o <= 4088) {
            const v = rview[t];
            x[rd] = v.getInt32(o, true);
            x[rd + 1] = v.getInt32(o + 4, true);
          } else if (this.loadSlow(hi * TWO32 + (lo >>> 0), 8)) {
            x[rd] = this.ldLo;
            x[rd + 1] = this.ldHi;
          } else { stop = Stop.Trap; break loop; }
          break;
        }
        case Op.LDX0: /* any load into x0 */
          if (!this.loadSlow(x[rs1 + 1] * TWO32 + (x[rs1] >>> 0) + imm, (w0 >>> 25) & 0xf)) { stop = Stop.Trap; break loop; }
          break;
        case Op.FLW: { /* flw */
          const b = x[rs1], lo = (b + imm) | 0;
          const hi = (x[rs1 + 1] + (imm >> 31) + (lo >>> 0 < b >>> 0 ? 1 : 0)) | 0;
          const o = lo & 4095, t = (lo >>> 12) & TLB_MASK;
          if (rtl[t] === (lo & -4096) && rth[t] === hi && o <= 4092) fi[rd] = rview[t].getInt32(o, true);
          else if (this.loadSlow(hi * TWO32 + (lo >>> 0), 4)) fi[rd] = this.ldLo;
          else { stop = Stop.Trap; break loop; }
          fi[rd + 1] = -1;
          break;
        }
        case Op.FLD: { /* fld, c.fld, c.fldsp */
          const b = x[rs1], lo = (b + imm) | 0;
          const hi = (x[rs1 + 1] + (imm >> 31) + (lo >>> 0 < b >>> 0 ? 1 : 0)) | 0;
          const o = lo & 4095, t = (lo >>> 12) & TLB_MASK;
          if (rtl[t] === (lo & -4096) && rth[t] === hi && o <= 4088) {
            const v = rview[t];
            fi[rd] = v.getInt32(o, true);
            fi[rd + 1] = v.getInt32(o + 4, true);
          } else if (this.loadSlow(hi * TWO32 + (lo >>> 0), 8)) {
            fi[rd] = this.ldLo;
            fi[rd + 1] = this.ldHi;
          } else { stop = Stop.Trap; break loop; }
          break;
        }
        case Op.SB: { /* sb */
          const b = x[rs1], lo = (b + imm) | 0;
          const hi = (x[rs1 + 1] + (imm >> 31) + (lo >>> 0 < b >>> 0 ? 1 : 0)) | 0;
          const o = lo & 4095, t = (lo >>> 12) & TLB_MASK;
          if (wtl[t] === (lo & -4096) && wth[t] === hi) wview[t].setInt8(o, x[(w0 >>> 24) & 0x3f]);
          else if (!this.storeSlow(hi * TWO32 + (lo >>> 0), 1, x[(w0 >>> 24) & 0x3f], 0)) { stop = Stop.Trap; break loop; }
          else if (this.codeInvalidated) { cbase += off - PAGE_SIZE; off = PAGE_SIZE; this.codeInvalidated = false; }
          break;
        }
        case Op.SH: { /* sh */
          const b = x[rs1], lo = (b + imm) | 0;
          const hi = (x[rs1 + 1] + (imm >> 31) + (lo >>> 0 < b >>> 0 ? 1 : 0)) | 0;
          const o = lo & 4095, t = (lo >>> 12) & TLB_MASK;
          if (wtl[t] === (lo & -4096) && wth[t] === hi && o <= 4094) wview[t].setInt16(o, x[(w0 >>> 24) & 0x3f], true);
          else if (!this.storeSlow(hi * TWO32 + (lo >>> 0), 2, x[(w0 >>> 24) & 0x3f], 0)) { stop = Stop.Trap; break loop; }
          else if (this.codeInvalidated) { cbase += off - PAGE_SIZE; off = PAGE_SIZE; this.codeInvalidated = false; }
          break;
        }
        case Op.SW: { /* sw, c.sw, c.swsp */
          const b = x[rs1], lo = (b + imm) | 0;
          const hi = (x[rs1 + 1] + (imm >> 31) + (lo >>> 0 < b >>> 0 ? 1 : 0)) | 0;
          const o = lo & 4095, t = (lo >>> 12) & TLB_MASK;
          if (wtl[t] === (lo & -4096) && wth[t] === hi && o <= 4092) wview[t].setInt32(o, x[(w0 >>> 24) & 0x3f], true);
          else if (!this.storeSlow(hi * TWO32 + (lo >>> 0), 4, x[(w0 >>> 24) & 0x3f], 0)) { stop = Stop.Trap; break loop; }
          else if (this.codeInvalidated) { cbase += off - PAGE_SIZE; off = PAGE_SIZE; this.codeInvalidated = false; }
          break;
        }
        case Op.SD: { /* sd, c.sd, c.sdsp */
          const b = x[rs1], lo = (b + imm) | 0;
          const hi = (x[rs1 + 1] + (imm >> 31) + (lo >>> 0 < b >>> 0 ? 1 : 0)) | 0;
          const o = lo & 4095, t = (lo >>> 12) & TLB_MASK, rs2 = (w0 >>> 24) & 0x3f;
          if (wtl[t] === (lo & -4096) && wth[t] === hi && o <= 4088) {
            const v = wview[t];
            v.setInt32(o, x[rs2], true);
            v.setInt32(o + 4, x[rs2 + 1], true);
          } else if (!this.storeSlow(hi * TWO32 + (lo >>> 0), 8, x[rs2], x[rs2 + 1])) { stop = Stop.Trap; break loop; }
          else if (this.codeInvalidated) { cbase += off - PAGE_SIZE; off = PAGE_SIZE; this.codeInvalidated = false; }
          break;
        }
        case Op.FSW: { /* fsw */
          const b = x[rs1], lo = (b + imm) | 0;
          const hi = (x[rs1 + 1] + (imm >> 31) + (lo >>> 0 < b >>> 0 ? 1 : 0)) | 0;
          const o = lo & 4095, t = (lo >>> 12) & TLB_MASK;
          if (wtl[t] === (lo & -4096) && wth[t] === hi && o <= 4092) wview[t].setInt32(o, fi[(w0 >>> 24) & 0x3f], true);
          else if (!this.storeSlow(hi * TWO32 + (lo >>> 0), 4, fi[(w0 >>> 24) & 0x3f], 0)) { stop = Stop.Trap; break loop; }
          else if (this.codeInvalidated) { cbase += off - PAGE_SIZE; off = PAGE_SIZE; this.codeInvalidated = false; }
          break;
        }
        case Op.FSD: { /* fsd, c.fsd, c.fsdsp */
          const b = x[rs1], lo = (b + imm) | 0;
          const hi = (x[rs1 + 1] + (imm >> 31) + (lo >>> 0 < b >>> 0 ? 1 : 0)) | 0;
          const o = lo & 4095, t = (lo >>> 12) & TLB_MASK, rs2 = (w0 >>> 24) & 0x3f;
          if (wtl[t] === (lo & -4096) && wth[t] === hi && o <= 4088) {
            const v = wview[t];
            v.setInt32(o, fi[rs2], true);
            v.setInt32(o + 4, fi[rs2 + 1], true);
          } else if (!this.storeSlow(hi * TWO32 + (lo >>> 0), 8, fi[rs2], fi[rs2 + 1])) { stop = Stop.Trap; break loop; }
          else if (this.codeInvalidated) { cbase += off - PAGE_SIZE; off = PAGE_SIZE; this.codeInvalidated = false; }
          break;
        }
        case Op.BEQ: { /* beq, c.beqz */
          const rs2 = (w0 >>> 24) & 0x3f;
          if (x[rs1] === x[rs2] && x[rs1 + 1] === x[rs2 + 1]) { off += imm; n++; continue; }
          break;
        }
        case Op.BNE: { /* bne, c.bnez */
          const rs2 = (w0 >>> 24) & 0x3f;
          if (x[rs1] !== x[rs2] || x[rs1 + 1] !== x[rs2 + 1]) { off += imm; n++; continue; }
          break;
        }
        case Op.BLT: { /* blt */
          const rs2 = (w0 >>> 24) & 0x3f, h = x[rs1 + 1], h2 = x[rs2 + 1];
          if (h < h2 || (h === h2 && x[rs1] >>> 0 < x[rs2] >>> 0)) { off += imm; n++; continue; }
          break;
        }
        case Op.BGE: { /* bge */
          const rs2 = (w0 >>> 24) & 0x3f, h = x[rs1 + 1], h2 = x[rs2 + 1];
          if (h > h2 || (h === h2 && x[rs1] >>> 0 >= x[rs2] >>> 0)) { off += imm; n++; continue; }
          break;
        }
        case Op.BLTU: { /* bltu */
          const rs2 = (w0 >>> 24) & 0x3f, h = x[rs1 + 1] >>> 0, h2 = x[rs2 + 1] >>> 0;
          if (h < h2 || (h === h2 && x[rs1] >>> 0 < x[rs2] >>> 0)) { off += imm; n++; continue; }
          break;
        }
        case Op.BGEU: { /* bgeu */
          const rs2 = (w0 >>> 24) & 0x3f, h = x[rs1 + 1] >>> 0, h2 = x[rs2 + 1] >>> 0;
          if (h > h2 || (h === h2 && x[rs1] >>> 0 >= x[rs2] >>> 0)) { off += imm; n++; continue; }
          break;
        }
        case Op.J: /* j, c.j */
          off += imm;
          n++;
          continue;
        case Op.JAL: { /* jal */
          const link = cbase + off + ilen;
          x[rd] = link | 0;
          x[rd + 1] = (link / TWO32) | 0;
          off += imm;
          n++;
          continue;
        }
        case Op.JR: { /* jr, ret, c.jr */
          const t = x[rs1 + 1] * TWO32 + (x[rs1] >>> 0) + imm;
          const d = t - (t & 1) - cbase;
          if (d >= 0 && d < PAGE_SIZE) off = d | 0;
          else { cbase += d - PAGE_SIZE; off = PAGE_SIZE; }
          n++;
          continue;
        }
        case Op.JALR: { /* jalr, c.jalr */
          const t = x[rs1 + 1] * TWO32 + (x[rs1] >>> 0) + imm;
          const link = cbase + off + ilen;
          x[rd] = link | 0;
          x[rd + 1] = (link / TWO32) | 0;
          const d = t - (t & 1) - cbase;
          if (d >= 0 && d < PAGE_SIZE) off = d | 0;
          else { cbase += d - PAGE_SIZE; off = PAGE_SIZE; }
          n++;
          continue;
        }
        case Op.ECALL: /* ecall */
          stop = Stop.Ecall;
          break loop;
        case Op.EBREAK: /* ebreak, c.ebreak */
          this.fault(Cause.Breakpoint, cbase + off);
          stop = Stop.Trap;
          break loop;
        case Op.FENCE_I: /* fence.i */
          this.flushCaches();
          cbase += off - PAGE_SIZE;
          off = PAGE_SIZE;
          this.codeInvalidated = false;
          break;
        case Op.CSR: /* csrrw csrrs csrrc csrrwi csrrsi csrrci */
          if (!execCsr(s, imm, s.instret + n, this.readTime)) {
            this.raiseIllegal(imm);
            stop = Stop.Trap;
            break loop;
          }
          break;
        case Op.AMO: /* lr sc amoswap amoadd amoxor amoand amoor amomin amomax amominu amomaxu */
          if (!execAmo(this, imm)) { stop = Stop.Trap; break loop; }
          if (this.codeInvalidated) { cbase += off - PAGE_SIZE; off = PAGE_SIZE; this.codeInvalidated = false; }
          break;
        case Op.FP: /* F and D arithmetic */
          if (!execFp(s, imm)) {
            this.raiseIllegal(imm);
            stop = Stop.Trap;
            break loop;
          }
          x[0] = 0;
          x[1] = 0;
          break;
        default: /* illegal or reserved */
          this.raiseIllegal(imm);
          stop = Stop.Trap;
          break loop;
      }
      off += ilen;
      n++;
    }
    s.pc = cbase + off;
    s.instret += n;
    return stop;
  }

  private raiseIllegal(bits: number): void {
    this.s.cause = Cause.IllegalInsn;
    this.s.tval = bits >>> 0;
  }

  /**
   * Decodes the instruction at `off` of `page` into the page's cache and returns that cache, or, for an
   * instruction straddling into the next page, into a scratch pair returned instead (slot 0). Returns null
   * with a fetch fault set when the second half cannot be fetched.
   */
  private decodeAt(page: CodePage, off: number): Int32Array | null {
    const lo = page.view.getUint16(off, true);
    if ((lo & 3) !== 3) {
      decode16(lo, page.ops, off);
      return page.ops;
    }
    if (off <= PAGE_SIZE - 4) {
      decode32(page.view.getInt32(off, true), page.ops, off);
      return page.ops;
    }
    const next = this.codePageFor(page.base + PAGE_SIZE);
    if (next === null) {
      this.fault(Cause.FetchPageFault, page.base + PAGE_SIZE);
      return null;
    }
    decode32(lo | (next.view.getUint16(0, true) << 16), this.straddle, 0);
    return this.straddle;
  }
}

function shiftLeft(x: Int32Array, rd: number, lo: number, hi: number, sh: number): void {
  if (sh >= 32) {
    x[rd + 1] = lo << (sh - 32);
    x[rd] = 0;
  } else if (sh !== 0) {
    x[rd + 1] = (hi << sh) | (lo >>> (32 - sh));
    x[rd] = lo << sh;
  } else {
    x[rd] = lo;
    x[rd + 1] = hi;
  }
}

function shiftRightLogical(x: Int32Array, rd: number, lo: number, hi: number, sh: number): void {
  if (sh >= 32) {
    x[rd] = hi >>> (sh - 32);
    x[rd + 1] = 0;
  } else if (sh !== 0) {
    x[rd] = (lo >>> sh) | (hi << (32 - sh));
    x[rd + 1] = hi >>> sh;
  } else {
    x[rd] = lo;
    x[rd + 1] = hi;
  }
}

function shiftRightArith(x: Int32Array, rd: number, lo: number, hi: number, sh: number): void {
  if (sh >= 32) {
    x[rd] = hi >> (sh - 32);
    x[rd + 1] = hi >> 31;
  } else if (sh !== 0) {
    x[rd] = (lo >>> sh) | (hi << (32 - sh));
    x[rd + 1] = hi >> sh;
  } else {
    x[rd] = lo;
    x[rd + 1] = hi;
  }
}
