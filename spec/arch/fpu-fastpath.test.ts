// The native round-to-nearest fast paths agree with the exact BigInt reference path on many seeded random operands.
//
// The exact path is checked against qemu-riscv64 in fpu-differential.test.ts; this file covers far more operands
// than a qemu round trip allows, aimed at the fast paths' bail-out boundaries (tiny, huge, cancelling results).
import test from 'ava';
import { execFp } from '../../lib/arch/riscv64/fpu';
import { Fmt, Num, Rm, Rounded, unpackD, unpackS } from '../../lib/arch/riscv64/fpu-exact';
import {
  addExact, convertFloatExact, convertIntExact, divExact, fmaExact, mulExact, sqrtExact,
} from '../../lib/arch/riscv64/fpu-exact-ops';
import { CpuState } from '../../lib/arch/riscv64/state';
import { Rng, encodeFma, encodeOpFp, getF, setF, setX } from './fpu-cases';
import { genBoundaryOperands, genD, genIntSource, genRelatedD, genRelatedS, genS } from './fpu-gen';

const SEED = process.env.FPU_SEED !== undefined ? Number(process.env.FPU_SEED) : 77;
const CASES_PER_OP = 12000;

function unpack(bits: bigint, fmt: Fmt): Num {
  const lo = Number(bits & 0xffffffffn) | 0;
  const hi = Number(bits >> 32n) | 0;
  return fmt === Fmt.D ? unpackD(lo, hi) : unpackS(lo, hi === -1);
}

function expectBits(res: Rounded, fmt: Fmt): bigint {
  return fmt === Fmt.D ? res.bits : 0xffffffff00000000n | res.bits;
}

interface FastCase {
  name: string;
  fmt: Fmt;
  insn: number;
  nsrc: number;
  boundary?: 'mul' | 'div' | 'fma';
  reference(a: Num, b: Num, c: Num): Rounded;
}

function buildCases(): FastCase[] {
  const out: FastCase[] = [];
  for (const fmt of [Fmt.S, Fmt.D]) {
    const sfx = fmt === Fmt.D ? 'd' : 's';
    out.push({ name: `fadd.${sfx}`, fmt, nsrc: 2, insn: encodeOpFp(0x00 | fmt, 2, 1, 0, 4), reference: (a, b) => addExact(a, b, false, fmt, Rm.RNE) });
    out.push({ name: `fsub.${sfx}`, fmt, nsrc: 2, insn: encodeOpFp(0x04 | fmt, 2, 1, 0, 4), reference: (a, b) => addExact(a, b, true, fmt, Rm.RNE) });
    out.push({ name: `fmul.${sfx}`, fmt, nsrc: 2, insn: encodeOpFp(0x08 | fmt, 2, 1, 0, 4), boundary: 'mul', reference: (a, b) => mulExact(a, b, fmt, Rm.RNE) });
    out.push({ name: `fdiv.${sfx}`, fmt, nsrc: 2, insn: encodeOpFp(0x0c | fmt, 2, 1, 0, 4), boundary: 'div', reference: (a, b) => divExact(a, b, fmt, Rm.RNE) });
    out.push({ name: `fsqrt.${sfx}`, fmt, nsrc: 1, insn: encodeOpFp(0x2c | fmt, 0, 1, 0, 4), reference: (a) => sqrtExact(a, fmt, Rm.RNE) });
    const fmas: [string, number, boolean, boolean][] = [
      ['fmadd', 0x43, false, false], ['fmsub', 0x47, false, true], ['fnmsub', 0x4b, true, false], ['fnmadd', 0x4f, true, true],
    ];
    for (const [n, opc, np, nc] of fmas) {
      out.push({ name: `${n}.${sfx}`, fmt, nsrc: 3, insn: encodeFma(opc, fmt, 3, 2, 1, 0, 4), boundary: 'fma', reference: (a, b, c) => fmaExact(a, b, c, np, nc, fmt, Rm.RNE) });
    }
  }
  out.push({ name: 'fcvt.s.d', fmt: Fmt.S, nsrc: 1, insn: encodeOpFp(0x20, 1, 1, 0, 4), reference: (a) => convertFloatExact(a, Fmt.S, Rm.RNE) });
  return out;
}

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

// Operands that stress the fast paths: a third operand cancelling a*b, products and quotients near the range ends.
function genOperands(r: Rng, fc: FastCase): bigint[] {
  const srcFmt = fc.name === 'fcvt.s.d' ? Fmt.D : fc.fmt;
  const gen = (first?: bigint) => srcFmt === Fmt.D ? (first === undefined ? genD(r) : genRelatedD(r, first)) : (first === undefined ? genS(r) : genRelatedS(r, first));
  if (fc.boundary !== undefined && r.below(4) === 0) return genBoundaryOperands(r, fc.boundary, fc.fmt);
  const a = gen();
  const b = gen(a);
  let c = gen(b);
  if (fc.nsrc === 3 && srcFmt === Fmt.D && r.below(2) === 0) {
    u64[0] = a; const x = f64[0]; u64[0] = b; f64[0] = -(x * f64[0]);
    c = u64[0] + BigInt(r.below(5)) - 2n;
  }
  return [a, b, c];
}

test(`round-to-nearest fast paths match the exact path (seed ${SEED})`, (t) => {
  const r = new Rng(SEED);
  const failures: string[] = [];
  let total = 0;
  for (const fc of buildCases()) {
    for (let i = 0; i < CASES_PER_OP; i++) {
      const ops = genOperands(r, fc);
      const s = new CpuState();
      ops.forEach((v, k) => setF(s, k + 1, v));
      t.true(execFp(s, fc.insn));
      const srcFmt = fc.name === 'fcvt.s.d' ? Fmt.D : fc.fmt;
      const want = fc.reference(unpack(ops[0], srcFmt), unpack(ops[1], srcFmt), unpack(ops[2], srcFmt));
      const gotBits = getF(s, 4);
      total++;
      if (gotBits !== expectBits(want, fc.fmt) || s.fflags !== want.flags) {
        if (failures.length < 30) {
          failures.push(`${fc.name} ${ops.slice(0, fc.nsrc).map((v) => '0x' + v.toString(16)).join(' ')}: ` +
            `exact 0x${expectBits(want, fc.fmt).toString(16)}/${want.flags} fast 0x${gotBits.toString(16)}/${s.fflags}`);
        }
      }
    }
  }
  if (failures.length > 0) t.log(`FPU_SEED=${SEED}\n` + failures.join('\n'));
  t.is(failures.length, 0, `${failures.length} of ${total} disagree`);
});

test(`integer-to-float fast paths match the exact path (seed ${SEED})`, (t) => {
  const r = new Rng(SEED + 1);
  let bad = 0;
  for (let i = 0; i < 20000; i++) {
    const v = genIntSource(r);
    const kind = r.below(4);
    const fmt = r.below(2) as Fmt;
    const s = new CpuState();
    setX(s, 1, v);
    t.true(execFp(s, encodeOpFp(0x68 | fmt, kind, 1, 0, 4)));
    const u = BigInt.asUintN(64, v);
    const asInt = kind === 0 ? BigInt.asIntN(32, u) : kind === 1 ? BigInt.asUintN(32, u) : kind === 2 ? BigInt.asIntN(64, u) : u;
    const want = convertIntExact(asInt, fmt, Rm.RNE);
    if (getF(s, 4) !== expectBits(want, fmt) || s.fflags !== want.flags) {
      if (bad++ < 10) t.log(`kind ${kind} fmt ${fmt} value ${asInt}: exact 0x${expectBits(want, fmt).toString(16)}/${want.flags} fast 0x${getF(s, 4).toString(16)}/${s.fflags}`);
    }
  }
  t.is(bad, 0);
});
