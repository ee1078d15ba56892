// Traps: illegal instructions, breakpoints, unmapped fetch/load/store, ecall and budget exits; pc and instret rules.
import test from 'ava';
import { Cause, Stop } from '../../lib/arch/riscv64/state';
import { assertMatchesQemu, caseWithRandomRegs } from './differential';
import { encodeI, encodeS } from './encode';
import { CODE, DATA, makeRig, reg, setReg } from './hart-harness';
import { chooseSeed, Rng } from './rng';
import { PROT_R } from './test-bus';

const seed = chooseSeed();
const ADDI_X5_1 = encodeI(1, 5, 0, 5, 0x13);
const ECALL = 0x00000073;
const EBREAK = 0x00100073;

test('an illegal 32-bit instruction traps with its bits in tval, pc on it, not counted', (t) => {
  const rig = makeRig([ADDI_X5_1, 0xffffffff, ADDI_X5_1]);
  t.is(rig.hart.run(100), Stop.Trap);
  t.is(rig.s.cause, Cause.IllegalInsn);
  t.is(rig.s.tval, 0xffffffff);
  t.is(rig.s.pc, CODE + 4);
  t.is(rig.s.instret, 1);
  t.is(reg(rig.s, 5), 1n);
});

test('an illegal 16-bit instruction (all zero) reports its 16 bits', (t) => {
  const rig = makeRig([0x00000000]);
  t.is(rig.hart.run(5), Stop.Trap);
  t.is(rig.s.cause, Cause.IllegalInsn);
  t.is(rig.s.tval, 0);
  t.is(rig.s.pc, CODE);
});

test('ebreak and c.ebreak are breakpoints at their own pc', (t) => {
  const rig = makeRig([EBREAK]);
  t.is(rig.hart.run(5), Stop.Trap);
  t.is(rig.s.cause, Cause.Breakpoint);
  t.is(rig.s.pc, CODE);
  const c = makeRig([0x00019002]); // c.ebreak, c.nop
  t.is(c.hart.run(5), Stop.Trap);
  t.is(c.s.cause, Cause.Breakpoint);
  t.is(c.s.instret, 0);
});

test('ecall stops with pc at the ecall and is not counted; the kernel resumes past it', (t) => {
  const rig = makeRig([ADDI_X5_1, ECALL, ADDI_X5_1]);
  t.is(rig.hart.run(100), Stop.Ecall);
  t.is(rig.s.pc, CODE + 4);
  t.is(rig.s.instret, 1);
  rig.s.pc += 4;
  rig.s.instret++;
  t.is(rig.hart.run(1), Stop.Budget);
  t.is(reg(rig.s, 5), 2n);
  t.is(rig.s.instret, 3);
});

test('the budget bounds retired instructions exactly; run(0) does nothing', (t) => {
  const rig = makeRig(Array(10).fill(ADDI_X5_1));
  t.is(rig.hart.run(0), Stop.Budget);
  t.is(rig.s.pc, CODE);
  t.is(rig.hart.run(3), Stop.Budget);
  t.is(rig.s.pc, CODE + 12);
  t.is(rig.s.instret, 3);
  t.is(reg(rig.s, 5), 3n);
});

test('fetching from an unmapped or non-executable page is a fetch page fault at the target', (t) => {
  // jalr x1, 0(x6) to an unmapped page, then to a readable but not executable one.
  for (const target of [0x123000, DATA]) {
    const rig = makeRig([encodeI(0, 6, 0, 1, 0x67)]);
    setReg(rig.s, 6, BigInt(target));
    t.is(rig.hart.run(5), Stop.Trap);
    t.is(rig.s.cause, Cause.FetchPageFault);
    t.is(rig.s.tval, target);
    t.is(rig.s.pc, target);
    t.is(rig.s.instret, 1, 'the jump itself retired');
    t.is(reg(rig.s, 1), BigInt(CODE + 4));
  }
});

test('falling off the end of the code page into an unmapped one faults at the next page', (t) => {
  const rig = makeRig(Array(1024).fill(ADDI_X5_1));
  t.is(rig.hart.run(5000), Stop.Trap);
  t.is(rig.s.cause, Cause.FetchPageFault);
  t.is(rig.s.pc, CODE + 4096);
  t.is(rig.s.instret, 1024);
});

test('a 32-bit instruction whose second half is on an unmapped page faults at that page', (t) => {
  const rig = makeRig([]);
  rig.bus.poke(CODE + 4094, new Uint8Array([0x93, 0x82])); // first half of addi x5, x5, 1
  rig.s.pc = CODE + 4094;
  t.is(rig.hart.run(5), Stop.Trap);
  t.is(rig.s.cause, Cause.FetchPageFault);
  t.is(rig.s.tval, CODE + 4096);
  t.is(rig.s.pc, CODE + 4094);
});

test('loads from unmapped pages and stores to read-only pages fault with the address; rd is unchanged', (t) => {
  const rig = makeRig([encodeI(8, 6, 3, 5, 0x03), encodeS(-8, 7, 6, 2, 0x23)], 1);
  rig.bus.map(DATA + 4096, 4096, PROT_R);
  setReg(rig.s, 5, 99n);
  setReg(rig.s, 6, 0x700000n);
  t.is(rig.hart.run(5), Stop.Trap);
  t.is(rig.s.cause, Cause.LoadPageFault);
  t.is(rig.s.tval, 0x700008);
  t.is(reg(rig.s, 5), 99n);
  rig.s.pc += 4;
  setReg(rig.s, 6, BigInt(DATA + 4096 + 16));
  t.is(rig.hart.run(5), Stop.Trap);
  t.is(rig.s.cause, Cause.StorePageFault);
  t.is(rig.s.tval, DATA + 4096 + 8);
});

test('random loads and stores to unmapped addresses fault like qemu (same signal and address)', (t) => {
  const rng = new Rng(seed);
  const cases = [];
  for (let i = 0; i < 1500; i++) {
    const fp = rng.below(2) === 1, rs1 = rng.pick([5, 6, 7, 8, 9, 10]);
    // LOAD-FP/STORE-FP with width 0, 5, 6 or 7 are vector loads and stores: outside RV64GC, but
    // qemu's default CPU has V, and whole-register ones (they ignore vtype) do access memory there.
    const f3 = fp ? rng.pick([1, 2, 3, 4]) : rng.below(8);
    const insn = rng.below(2) === 0 ? encodeI(rng.below(4096), rs1, f3, rng.pick([0, 11, 12]), fp ? 0x07 : 0x03)
      : encodeS(rng.below(4096), rng.pick([11, 12]), rs1, f3, fp ? 0x27 : 0x23);
    cases.push(caseWithRandomRegs(rng, insn, 4, [rs1]));
  }
  assertMatchesQemu(t, cases, seed);
});
