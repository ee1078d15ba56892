// Zicsr: fflags/frm/fcsr read-modify-write forms against qemu; cycle/time/instret and illegal CSRs on the Hart.
import test from 'ava';
import { Cause, Stop } from '../../lib/arch/riscv64/state';
import { assertMatchesQemu, caseWithRandomRegs } from './differential';
import { encodeI } from './encode';
import { makeRig, reg, setReg } from './hart-harness';
import { chooseSeed, Rng } from './rng';

const seed = chooseSeed();
const csrInsn = (csr: number, src: number, f3: number, rd: number): number => encodeI(csr, src, f3, rd, 0x73);

test('csrrw/csrrs/csrrc and their immediate forms on fflags, frm and fcsr match qemu', (t) => {
  const rng = new Rng(seed);
  const cases = [];
  for (let i = 0; i < 3000; i++) {
    const f3 = rng.pick([1, 2, 3, 5, 6, 7]);
    const c = caseWithRandomRegs(rng, csrInsn(rng.pick([1, 2, 3]), rng.pick([0, 1, 5, 9, 31]), f3, rng.pick([0, 1, 10, 31])));
    c.fcsr = rng.below(256);
    cases.push(c);
  }
  assertMatchesQemu(t, cases, seed);
});

test('unknown CSRs and writes to the read-only counters are illegal in qemu too', (t) => {
  const cases = [];
  for (const csr of [0x000, 0x004, 0x100, 0x300, 0x341, 0x7c0, 0xc03, 0xc80, 0xf11]) cases.push({ insn: csrInsn(csr, 5, 2, 10) });
  for (const csr of [0xc00, 0xc01, 0xc02]) {
    cases.push({ insn: csrInsn(csr, 5, 1, 10) }, { insn: csrInsn(csr, 5, 2, 10), x: { 5: 1n } }, { insn: csrInsn(csr, 1, 6, 10) });
  }
  assertMatchesQemu(t, cases);
  t.is(makeRig([csrInsn(0x300, 0, 2, 10)]).hart.run(1), Stop.Trap);
});

test('rdinstret and rdcycle count the instructions retired before them; rdtime reads the clock hook', (t) => {
  const ADDI = encodeI(1, 5, 0, 5, 0x13);
  const rig = makeRig([ADDI, ADDI, csrInsn(0xc02, 0, 2, 10), csrInsn(0xc00, 0, 2, 11), csrInsn(0xc01, 0, 2, 12)]);
  rig.s.instret = 1000;
  rig.hart.readTime = () => 2 ** 40 + 7;
  t.is(rig.hart.run(1), Stop.Budget);
  t.is(rig.hart.run(10), Stop.Trap); // falls into the zero words after the code
  t.is(reg(rig.s, 10), 1002n);
  t.is(reg(rig.s, 11), 1003n);
  t.is(reg(rig.s, 12), 2n ** 40n + 7n);
  t.is(rig.s.instret, 1005);
});

test('an illegal CSR access changes nothing and reports the instruction bits', (t) => {
  const insn = csrInsn(0xc00, 5, 1, 10);
  const rig = makeRig([insn]);
  setReg(rig.s, 10, 5n);
  t.is(rig.hart.run(1), Stop.Trap);
  t.is(rig.s.cause, Cause.IllegalInsn);
  t.is(rig.s.tval, insn);
  t.is(reg(rig.s, 10), 5n);
});
