// RV64M: multiply/divide against qemu (random, edge-biased operands) and against the ISA's BigInt definitions.
import test from 'ava';
import { assertMatchesQemu, caseWithRandomRegs } from './differential';
import { CASE_REGS, encodeR } from './encode';
import { runCaseOnHart } from './oracle';
import { chooseSeed, Rng } from './rng';

const seed = chooseSeed();
const REGS = [0, ...CASE_REGS];

test('mul mulh mulhsu mulhu div divu rem remu and the W forms match qemu', (t) => {
  t.log(`seed ${seed}`);
  const rng = new Rng(seed);
  const cases = [];
  for (let i = 0; i < 6000; i++) {
    const c = caseWithRandomRegs(rng, encodeR(1, rng.pick(REGS), rng.pick(REGS), rng.below(8), rng.pick(REGS), rng.pick([0x33, 0x3b])));
    cases.push(c);
  }
  assertMatchesQemu(t, cases, seed);
});

const M64 = (1n << 64n) - 1n;
const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);
const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const s32 = (v: bigint): bigint => BigInt.asIntN(32, v);
const u32 = (v: bigint): bigint => BigInt.asUintN(32, v);

/** The M-extension definitions (spec chapter 7, including the division-by-zero and overflow table). */
const REFERENCE: Record<string, [number, number, (a: bigint, b: bigint) => bigint]> = {
  mul: [0x33, 0, (a, b) => a * b],
  mulh: [0x33, 1, (a, b) => (s64(a) * s64(b)) >> 64n],
  mulhsu: [0x33, 2, (a, b) => (s64(a) * b) >> 64n],
  mulhu: [0x33, 3, (a, b) => (a * b) >> 64n],
  div: [0x33, 4, (a, b) => (b === 0n ? -1n : s64(a) === -(1n << 63n) && s64(b) === -1n ? a : s64(a) / s64(b))],
  divu: [0x33, 5, (a, b) => (b === 0n ? M64 : a / b)],
  rem: [0x33, 6, (a, b) => (b === 0n ? a : s64(b) === -1n ? 0n : s64(a) % s64(b))],
  remu: [0x33, 7, (a, b) => (b === 0n ? a : a % b)],
  mulw: [0x3b, 0, (a, b) => s32(a * b)],
  divw: [0x3b, 4, (a, b) => (u32(b) === 0n ? -1n : s32(s32(a) === -(1n << 31n) && s32(b) === -1n ? a : s32(a) / s32(b)))],
  divuw: [0x3b, 5, (a, b) => (u32(b) === 0n ? M64 : s32(u32(a) / u32(b)))],
  remw: [0x3b, 6, (a, b) => (u32(b) === 0n ? s32(a) : s32(b) === -1n ? 0n : s32(s32(a) % s32(b)))],
  remuw: [0x3b, 7, (a, b) => (u32(b) === 0n ? s32(a) : s32(u32(a) % u32(b)))],
};

const EDGES = [0n, 1n, 2n, 3n, 10n, M64, M64 - 1n, 1n << 63n, (1n << 63n) - 1n, 0x80000000n, 0xffffffffn, 0xffffffff80000000n,
  0x7fffffffn, 1n << 53n, (1n << 53n) + 1n, 0xfffffffffffffff6n, 0x123456789abcdefn, 0xfedcba9876543210n];

for (const [name, [opcode, f3, ref]] of Object.entries(REFERENCE)) {
  test(`${name} follows the ISA definition on edge operands`, (t) => {
    const bad: string[] = [];
    for (const a of EDGES) {
      for (const b of EDGES) {
        const got = runCaseOnHart({ insn: encodeR(1, 7, 6, f3, 5, opcode), x: { 6: a, 7: b } }).x[5];
        const want = u64(ref(a, b));
        if (got !== want) bad.push(`${name} 0x${a.toString(16)}, 0x${b.toString(16)}: got 0x${got.toString(16)} want 0x${want.toString(16)}`);
      }
    }
    t.deepEqual(bad, []);
  });
}

test('rd aliasing a source still reads the old value', (t) => {
  // mulhu x6, x6, x6 with x6 = 2^64-1: (2^64-1)^2 >> 64 = 2^64-2.
  t.is(runCaseOnHart({ insn: encodeR(1, 6, 6, 3, 6, 0x33), x: { 6: M64 } }).x[6], M64 - 1n);
  t.is(runCaseOnHart({ insn: encodeR(1, 6, 6, 4, 6, 0x33), x: { 6: 7n } }).x[6], 1n);
});
