// RV64I register/immediate arithmetic: seeded random differential tests against qemu plus spec-derived cases.
import test from 'ava';
import { assertMatchesQemu, caseWithRandomRegs } from './differential';
import { CASE_REGS, encodeI, encodeR, encodeU } from './encode';
import { runCaseOnHart } from './oracle';
import { chooseSeed, Rng } from './rng';

const seed = chooseSeed();
const REGS = [0, ...CASE_REGS];
const M64 = (1n << 64n) - 1n;

test('register-register ops (add sub sll slt sltu xor srl sra or and) match qemu', (t) => {
  t.log(`seed ${seed}`);
  const rng = new Rng(seed);
  const cases = [];
  for (let i = 0; i < 3000; i++) {
    const f7 = rng.below(8) === 0 ? rng.below(128) : rng.pick([0, 0x20]);
    cases.push(caseWithRandomRegs(rng, encodeR(f7, rng.pick(REGS), rng.pick(REGS), rng.below(8), rng.pick(REGS), 0x33)));
  }
  assertMatchesQemu(t, cases, seed);
});

test('immediate ops (addi slti sltiu xori ori andi slli srli srai) match qemu', (t) => {
  const rng = new Rng(seed + 1);
  const cases = [];
  for (let i = 0; i < 3000; i++) {
    const f3 = rng.below(8);
    let imm = rng.below(4096);
    // Shifts: mostly valid shamt encodings, sometimes stray high bits (illegal).
    if ((f3 === 1 || f3 === 5) && rng.below(6) !== 0) imm = (rng.below(2) && f3 === 5 ? 0x400 : 0) | rng.below(64);
    cases.push(caseWithRandomRegs(rng, encodeI(imm, rng.pick(REGS), f3, rng.pick(REGS), 0x13)));
  }
  assertMatchesQemu(t, cases, seed + 1);
});

test('32-bit ops (addw subw sllw srlw sraw addiw slliw srliw sraiw) and lui match qemu', (t) => {
  const rng = new Rng(seed + 2);
  const cases = [];
  for (let i = 0; i < 3000; i++) {
    const rd = rng.pick(REGS), rs1 = rng.pick(REGS), f3 = rng.below(8);
    switch (rng.below(3)) {
      case 0: {
        const f7 = rng.below(8) === 0 ? rng.below(128) : rng.pick([0, 0x20]);
        cases.push(caseWithRandomRegs(rng, encodeR(f7, rng.pick(REGS), rs1, f3, rd, 0x3b)));
        break;
      }
      case 1: {
        let imm = rng.below(4096);
        if ((f3 === 1 || f3 === 5) && rng.below(6) !== 0) imm = (rng.below(2) && f3 === 5 ? 0x400 : 0) | rng.below(32);
        cases.push(caseWithRandomRegs(rng, encodeI(imm, rs1, f3, rd, 0x1b)));
        break;
      }
      default:
        cases.push(caseWithRandomRegs(rng, encodeU(rng.next32() >>> 12, rd, 0x37)));
    }
  }
  assertMatchesQemu(t, cases, seed + 2);
});

// Expected values below follow the ISA definitions, computed with BigInt.
const run = (insn: number, x: Record<number, bigint>): bigint[] => runCaseOnHart({ insn, x }).x;
const sext = (v: bigint, bits: number): bigint => BigInt.asUintN(64, BigInt.asIntN(bits, v));

test('add carries from the low word into the high word; sub borrows', (t) => {
  t.is(run(encodeR(0, 7, 6, 0, 5, 0x33), { 6: 0xffffffffn, 7: 1n })[5], 0x100000000n);
  t.is(run(encodeR(0x20, 7, 6, 0, 5, 0x33), { 6: 0x100000000n, 7: 1n })[5], 0xffffffffn);
  t.is(run(encodeR(0x20, 7, 6, 0, 5, 0x33), { 6: 0n, 7: 1n })[5], M64);
});

test('sltiu sign-extends its immediate before the unsigned compare', (t) => {
  // sltiu rd, rs, -1 is 1 for every rs except 2^64-1.
  t.is(run(encodeI(0xfff, 6, 3, 5, 0x13), { 6: 0xfffffffffffffffen })[5], 1n);
  t.is(run(encodeI(0xfff, 6, 3, 5, 0x13), { 6: M64 })[5], 0n);
});

test('shifts use 6-bit amounts for 64-bit ops and 5-bit amounts for W ops', (t) => {
  const v = 0x8000000180000001n;
  for (const sh of [0n, 1n, 31n, 32n, 33n, 63n]) {
    t.is(run(encodeR(0x20, 7, 6, 5, 5, 0x33), { 6: v, 7: sh + 64n })[5], BigInt.asUintN(64, BigInt.asIntN(64, v) >> sh), `sra ${sh}`);
    t.is(run(encodeR(0, 7, 6, 5, 5, 0x33), { 6: v, 7: sh })[5], v >> sh, `srl ${sh}`);
    t.is(run(encodeR(0, 7, 6, 1, 5, 0x33), { 6: v, 7: sh })[5], (v << sh) & M64, `sll ${sh}`);
    t.is(run(encodeR(0x20, 7, 6, 5, 5, 0x3b), { 6: v, 7: sh + 32n })[5], sext(BigInt.asIntN(32, v) >> (sh & 31n), 64), `sraw ${sh}`);
  }
});

test('writes to x0 are discarded', (t) => {
  t.is(run(encodeI(5, 0, 0, 0, 0x13), {})[0], 0n);
  t.is(run(encodeR(0, 7, 6, 0, 0, 0x33), { 6: 1n, 7: 2n })[0], 0n);
  t.is(run(encodeU(0x12345, 0, 0x37), {})[0], 0n);
});
