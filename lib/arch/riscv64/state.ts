// One RV64 hart's architectural state, laid out for speed: 64-bit integer registers as Int32 low/high pairs.

/** Why `run` returned. The pc always points at the instruction concerned. */
export const enum Stop {
  /** The instruction budget ran out; pc is the next instruction to execute. */
  Budget = 0,
  /** An `ecall`; pc points at the ecall itself (the kernel advances it by 4 when the call completes). */
  Ecall = 1,
  /** A synchronous exception; `cause` and `tval` say which (RISC-V mcause/mtval numbering). pc is the faulting instruction. */
  Trap = 2,
}

/** RISC-V exception causes used by the interpreter (privileged spec, table 3.6). */
export const enum Cause {
  InsnMisaligned = 0,
  InsnAccessFault = 1,
  IllegalInsn = 2,
  Breakpoint = 3,
  LoadMisaligned = 4,
  LoadAccessFault = 5,
  StoreMisaligned = 6,
  StoreAccessFault = 7,
  FetchPageFault = 12,
  LoadPageFault = 13,
  StorePageFault = 15,
}

export class CpuState {
  /** x[2r] = low 32 bits of xr, x[2r+1] = high 32 bits. x0 (x[0], x[1]) is always zero. */
  readonly x = new Int32Array(64);
  /** f registers share one buffer so a register can be read as bits, as a double, or as a NaN-boxed single. */
  readonly fbuf = new ArrayBuffer(32 * 8);
  /** f64[r]: fr as a double. */
  readonly f64 = new Float64Array(this.fbuf);
  /** fi[2r], fi[2r+1]: low and high 32 bits of fr. */
  readonly fi = new Int32Array(this.fbuf);
  /** f32[2r]: the low 32 bits of fr as a single (valid only when fi[2r+1] === -1, i.e. NaN-boxed). */
  readonly f32 = new Float32Array(this.fbuf);
  /** Program counter; user addresses are far below 2^53 so a double holds them exactly. */
  pc = 0;
  /** fcsr split into its fields: fflags (bits 4:0) and frm (bits 7:5). */
  fflags = 0;
  frm = 0;
  /** Instructions retired by this hart since it was created (an ecall counts when it is executed). */
  instret = 0;
  /** LR/SC reservation: the reserved address, or -1 when none is held. */
  reservation = -1;
  /** Set on Stop.Trap. */
  cause = 0;
  tval = 0;

  /** Copy every architectural register from another hart (used by fork/clone and restart). */
  copyFrom(o: CpuState): void {
    this.x.set(o.x);
    this.fi.set(o.fi);
    this.pc = o.pc;
    this.fflags = o.fflags;
    this.frm = o.frm;
    this.reservation = -1;
  }
}

/** Register numbers by ABI name, for the kernel's syscall and signal code. */
export const enum Reg {
  zero = 0, ra = 1, sp = 2, gp = 3, tp = 4,
  t0 = 5, t1 = 6, t2 = 7, s0 = 8, s1 = 9,
  a0 = 10, a1 = 11, a2 = 12, a3 = 13, a4 = 14, a5 = 15, a6 = 16, a7 = 17,
}

const TWO32 = 4294967296;

/** xr as an unsigned number; exact below 2^53 (addresses, sizes). */
export function getU64(s: CpuState, r: number): number {
  return (s.x[2 * r + 1] >>> 0) * TWO32 + (s.x[2 * r] >>> 0);
}

/** xr as a signed number; exact for |v| < 2^53 (offsets, return values). */
export function getI64(s: CpuState, r: number): number {
  return s.x[2 * r + 1] * TWO32 + (s.x[2 * r] >>> 0);
}

/** xr as a BigInt (unsigned), for the rare values that need all 64 bits. */
export function getBig(s: CpuState, r: number): bigint {
  return (BigInt(s.x[2 * r + 1] >>> 0) << 32n) | BigInt(s.x[2 * r] >>> 0);
}

/** Low 32 bits of xr, signed (C int arguments). */
export function getI32(s: CpuState, r: number): number {
  return s.x[2 * r];
}

/** Set xr from a number in [-2^53, 2^64): negative values are sign-extended two's complement. Writes to x0 are ignored. */
export function setI64(s: CpuState, r: number, v: number): void {
  if (r === 0) return;
  const lo = v % TWO32;
  let hi = Math.floor(v / TWO32);
  s.x[2 * r] = lo | 0;
  if (hi >= 2147483648) hi -= TWO32;
  s.x[2 * r + 1] = hi | 0;
}

/** Set xr from a BigInt (taken modulo 2^64). */
export function setBig(s: CpuState, r: number, v: bigint): void {
  if (r === 0) return;
  const u = BigInt.asUintN(64, v);
  s.x[2 * r] = Number(u & 0xffffffffn) | 0;
  s.x[2 * r + 1] = Number(u >> 32n) | 0;
}
