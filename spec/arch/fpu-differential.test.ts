// Differential test of every F/D computational instruction against qemu-riscv64: results and fflags, bit for bit.
//
// Operands are seeded random (edge values, structured floats that make ties and exact results likely, values near
// integer-conversion limits) under every rounding mode. Set FPU_SEED to reproduce or vary a run; a failure prints the
// seed and the failing cases.
import test from 'ava';
import { execFp } from '../../lib/arch/riscv64/fpu';
import { CpuState } from '../../lib/arch/riscv64/state';
import { InsnCase, InsnOutcome, runCaseOnHart, runCasesOnQemu } from './oracle';
import { EDGE_D, EDGE_S, Rng, boxS, encodeFma, encodeOpFp, getF, getX, setF, setX } from './fpu-cases';
import {
  genBoundaryDouble, genBoundaryOperands, genConvertSourceD, genConvertSourceS, genD, genIntSource, genRelatedD, genRelatedS, genS,
} from './fpu-gen';

const SEED = process.env.FPU_SEED !== undefined ? Number(process.env.FPU_SEED) : 20240601;
const RANDOM_PER_OP = 700;
const EDGE_PER_OP = 250;

/** Source kinds: f operands in D or S, integer operands, and conversion-to-integer sources. */
type Src = 'D' | 'S' | 'X' | 'CD' | 'CS';

interface OpDef {
  name: string;
  srcs: Src[];
  usesRm: boolean;
  word(rm: number, rd: number): number;
  /** Which boundary-operand generator applies (results near the smallest normal / largest finite value). */
  boundary?: 'mul' | 'div' | 'fma' | 'cvt';
}

const RS1 = 10, RS2 = 11, RS3 = 12, RD = 13;

function opFp(name: string, f7: number, srcs: Src[], usesRm: boolean, rs2?: number, f3?: number): OpDef {
  return {
    name, srcs, usesRm,
    word: (rm, rd) => encodeOpFp(f7, rs2 ?? RS2, RS1, f3 ?? rm, rd),
  };
}

function fma(name: string, opcode: number, fmt: number): OpDef {
  const t: Src = fmt === 0 ? 'S' : 'D';
  return {
    name, srcs: [t, t, t], usesRm: true, boundary: 'fma', word: (rm, rd) => encodeFma(opcode, fmt, RS3, RS2, RS1, rm, rd),
  };
}

function buildOps(): OpDef[] {
  const ops: OpDef[] = [];
  const fmts: [string, number, Src, Src][] = [['s', 0, 'S', 'CS'], ['d', 1, 'D', 'CD']];
  for (const [sfx, fmt, t, ct] of fmts) {
    ops.push(opFp(`fadd.${sfx}`, 0x00 | fmt, [t, t], true));
    ops.push(opFp(`fsub.${sfx}`, 0x04 | fmt, [t, t], true));
    ops.push({ ...opFp(`fmul.${sfx}`, 0x08 | fmt, [t, t], true), boundary: 'mul' });
    ops.push({ ...opFp(`fdiv.${sfx}`, 0x0c | fmt, [t, t], true), boundary: 'div' });
    ops.push(opFp(`fsqrt.${sfx}`, 0x2c | fmt, [t], true, 0));
    ['fsgnj', 'fsgnjn', 'fsgnjx'].forEach((n, f3) => ops.push(opFp(`${n}.${sfx}`, 0x10 | fmt, [t, t], false, undefined, f3)));
    ['fmin', 'fmax'].forEach((n, f3) => ops.push(opFp(`${n}.${sfx}`, 0x14 | fmt, [t, t], false, undefined, f3)));
    ['fle', 'flt', 'feq'].forEach((n, f3) => ops.push(opFp(`${n}.${sfx}`, 0x50 | fmt, [t, t], false, undefined, f3)));
    ['w', 'wu', 'l', 'lu'].forEach((k, kind) => {
      ops.push(opFp(`fcvt.${k}.${sfx}`, 0x60 | fmt, [ct], true, kind));
      ops.push(opFp(`fcvt.${sfx}.${k}`, 0x68 | fmt, ['X'], true, kind));
    });
    ops.push(opFp(`fclass.${sfx}`, 0x70 | fmt, [t], false, 0, 1));
    ops.push(opFp(fmt === 0 ? 'fmv.x.w' : 'fmv.x.d', 0x70 | fmt, [t], false, 0, 0));
    ops.push(opFp(fmt === 0 ? 'fmv.w.x' : 'fmv.d.x', 0x78 | fmt, ['X'], false, 0, 0));
    ops.push(fma(`fmadd.${sfx}`, 0x43, fmt), fma(`fmsub.${sfx}`, 0x47, fmt));
    ops.push(fma(`fnmsub.${sfx}`, 0x4b, fmt), fma(`fnmadd.${sfx}`, 0x4f, fmt));
  }
  ops.push({ ...opFp('fcvt.s.d', 0x20, ['D'], true, 1), boundary: 'cvt' });
  ops.push(opFp('fcvt.d.s', 0x21, ['S'], true, 0));
  return ops;
}

function genSource(r: Rng, src: Src, first: bigint | undefined, edge: boolean): bigint {
  if (edge && (src === 'D' || src === 'CD')) return r.pick(EDGE_D);
  if (edge && (src === 'S' || src === 'CS')) return boxS(r.pick(EDGE_S));
  switch (src) {
    case 'D': return first === undefined ? genD(r) : genRelatedD(r, first);
    case 'S': return first === undefined ? genS(r) : genRelatedS(r, first);
    case 'CD': return genConvertSourceD(r);
    case 'CS': return genConvertSourceS(r);
    default: return genIntSource(r);
  }
}

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

// An addend that nearly cancels a*b, so fused multiply-add is tested where a double rounding would show.
function genCancellingAddend(fmt: number, a: bigint, b: bigint, r: Rng): bigint {
  let p: number;
  if (fmt === 1) {
    u64[0] = a; const x = f64[0]; u64[0] = b; p = x * f64[0];
    f64[0] = -p;
    return u64[0] + BigInt(r.below(3)) - 1n;
  }
  u32[0] = Number(a & 0xffffffffn); const x = f32[0]; u32[0] = Number(b & 0xffffffffn); p = x * f32[0];
  f32[0] = -p;
  return boxS((u32[0] + r.below(3) - 1) >>> 0);
}

interface Labeled {
  op: OpDef;
  c: InsnCase;
}

function genCase(r: Rng, op: OpDef, edge: boolean): Labeled {
  let rm = r.pick([0, 1, 2, 3, 4, 7, 7]);
  let frm = r.below(5);
  if (r.below(60) === 0) rm = 5 + r.below(2);
  if (r.below(50) === 0) frm = 5 + r.below(3);
  const fflags = r.below(10) === 0 ? r.below(32) : 0;
  const rd = r.below(8) === 0 ? RS1 : RD;
  const c: InsnCase = { insn: op.word(rm, rd), fcsr: (frm << 5) | fflags, x: {}, f: {} };
  const regs = [RS1, RS2, RS3];
  let first: bigint | undefined;
  op.srcs.forEach((src, i) => {
    let v = genSource(r, src, first, edge);
    if (i === 2 && !edge && r.below(3) === 0) v = genCancellingAddend(src === 'D' ? 1 : 0, c.f![RS1]!, c.f![RS2]!, r);
    if (first === undefined) first = v;
    if (src === 'X') c.x![regs[i]] = v;
    else c.f![regs[i]] = v;
  });
  if (!edge && op.boundary !== undefined && r.below(4) === 0) {
    if (op.boundary === 'cvt') {
      c.f![RS1] = genBoundaryDouble(r);
    } else {
      const vals = genBoundaryOperands(r, op.boundary, op.srcs[0] === 'D' ? 1 : 0);
      op.srcs.forEach((_, i) => { c.f![regs[i]] = vals[i]; });
    }
  }
  // Noise in the destination shows whether a result is written in full (e.g. NaN-boxing of singles).
  if (r.below(2) === 0 && rd === RD) c.f![RD] = r.big64();
  return { op, c };
}

/** Our side of the oracle: one instruction through execFp on a fresh state, reported like the qemu outcome. */
function runCaseOnFpu(c: InsnCase): InsnOutcome {
  const s = new CpuState();
  for (let r = 1; r < 32; r++) setX(s, r, c.x?.[r] ?? 0n);
  for (let r = 0; r < 32; r++) setF(s, r, c.f?.[r] ?? 0n);
  s.fflags = (c.fcsr ?? 0) & 0x1f;
  s.frm = ((c.fcsr ?? 0) >>> 5) & 7;
  const ok = execFp(s, c.insn);
  const out: InsnOutcome = {
    x: Array.from({ length: 32 }, (_, r) => (r >= 2 && r <= 4 ? 0n : getX(s, r))),
    f: Array.from({ length: 32 }, (_, r) => getF(s, r)),
    fcsr: (s.frm << 5) | s.fflags,
  };
  if (!ok) out.trapped = 'SIGILL';
  return out;
}

function hex(v: bigint | undefined): string {
  return v === undefined ? '-' : '0x' + v.toString(16);
}

function describe(l: Labeled, want: InsnOutcome, got: InsnOutcome): string {
  const { c } = l;
  const rd = (c.insn >>> 7) & 31;
  const srcs = l.op.srcs.map((s, i) => `${s}:${hex(s === 'X' ? c.x?.[RS1 + i] : c.f?.[RS1 + i])}`).join(' ');
  const res = (o: InsnOutcome) => `f${rd}=${hex(o.f[rd])} x${rd}=${hex(o.x[rd])} fcsr=0x${o.fcsr.toString(16)} ${o.trapped ?? ''}`;
  return `${l.op.name} insn=0x${(c.insn >>> 0).toString(16)} rm=${(c.insn >>> 12) & 7} fcsr=0x${(c.fcsr ?? 0).toString(16)} ` +
    `${srcs}\n    qemu: ${res(want)}\n    ours: ${res(got)}`;
}

function sameOutcome(a: InsnOutcome, b: InsnOutcome): boolean {
  if (a.fcsr !== b.fcsr || a.trapped !== b.trapped) return false;
  for (let i = 0; i < 32; i++) if (a.x[i] !== b.x[i] || a.f[i] !== b.f[i]) return false;
  return true;
}

const OPS = buildOps();

function genAll(seed: number): Labeled[] {
  const r = new Rng(seed);
  const all: Labeled[] = [];
  for (const op of OPS) {
    for (let i = 0; i < RANDOM_PER_OP; i++) all.push(genCase(r, op, false));
    for (let i = 0; i < EDGE_PER_OP; i++) all.push(genCase(r, op, true));
  }
  return all;
}

test(`every F/D instruction matches qemu-riscv64 bit for bit (seed ${SEED})`, (t) => {
  const cases = genAll(SEED);
  const want = runCasesOnQemu(cases.map((l) => l.c));
  const failures: string[] = [];
  const failedOps = new Map<string, number>();
  cases.forEach((l, i) => {
    const got = runCaseOnFpu(l.c);
    if (!sameOutcome(want[i], got)) {
      failedOps.set(l.op.name, (failedOps.get(l.op.name) ?? 0) + 1);
      if (failures.length < 40) failures.push(describe(l, want[i], got));
    }
  });
  if (failures.length > 0) {
    t.log(`FPU_SEED=${SEED}; failures by op: ${[...failedOps].map(([n, k]) => `${n}:${k}`).join(' ')}`);
    t.log(failures.join('\n'));
  }
  t.is(failures.length, 0, `${failures.length} mismatching cases out of ${cases.length}`);
  // The oracle must have executed the instructions rather than trapping on all of them.
  t.true(want.filter((o) => o.trapped === undefined).length > cases.length * 0.9);
});

test('the encodings qemu-riscv64 rejects as illegal are exactly the ones execFp rejects', (t) => {
  // Every funct7 x funct3 under OP-FP with a spread of rs2 values, and every fmt/rs3 x rm of the FMA opcodes.
  const cases: InsnCase[] = [];
  const f = { [RS1]: 0x3ff8000000000000n, [RS2]: 0xffffffff40000000n, 1: 0x4000000000000000n };
  for (const opc of [0x53, 0x43, 0x47, 0x4b, 0x4f]) {
    for (let f7 = 0; f7 < 128; f7++) {
      for (let f3 = 0; f3 < 8; f3++) {
        for (const rs2 of opc === 0x53 ? [0, 1, 2, 3, 4, 5, 8, 31] : [RS2]) {
          const insn = ((f7 << 25) | (rs2 << 20) | (RS1 << 15) | (f3 << 12) | (RD << 7) | opc) >>> 0;
          cases.push({ insn, fcsr: (f3 === 7 ? 5 + (f7 % 3) : 1) << 5, f });
        }
      }
    }
  }
  const want = runCasesOnQemu(cases);
  const failures = cases.flatMap((c, i) => {
    const got = runCaseOnFpu(c);
    return sameOutcome(want[i], got) ? [] : [`insn=0x${c.insn.toString(16)} fcsr=0x${c.fcsr!.toString(16)}: qemu ${want[i].trapped ?? 'ok'}, ours ${got.trapped ?? 'ok'}`];
  });
  t.deepEqual(failures.slice(0, 20), []);
  t.true(want.some((o) => o.trapped === 'SIGILL') && want.some((o) => o.trapped === undefined));
});

test(`F/D instructions through the Hart match qemu-riscv64 (seed ${SEED})`, (t) => {
  const r = new Rng(SEED ^ 0x5a5a5a5a);
  const cases = OPS.flatMap((op) => Array.from({ length: 12 }, () => genCase(r, op, r.below(3) === 0)));
  const want = runCasesOnQemu(cases.map((l) => l.c));
  const failures: string[] = [];
  cases.forEach((l, i) => {
    const got = runCaseOnHart(l.c);
    if (!sameOutcome(want[i], got) && failures.length < 20) failures.push(describe(l, want[i], got));
  });
  if (failures.length > 0) t.log(`FPU_SEED=${SEED}\n` + failures.join('\n'));
  t.is(failures.length, 0);
});
