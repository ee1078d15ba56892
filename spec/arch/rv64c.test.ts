// RV64C: every 16-bit encoding that the oracle can run, against qemu, plus sp-relative forms on the Hart.
import test from 'ava';
import { assertMatchesQemu, caseWithRandomRegs } from './differential';
import { isHarnessReg } from './encode';
import { InsnCase, runCaseOnHart } from './oracle';
import { buildProgram, readWords, runProgramOnHart, runProgramOnQemu } from './asm-program';
import { chooseSeed, Rng } from './rng';

const seed = chooseSeed();

/** The oracle cannot run control transfers or anything that reads or writes sp/gp/tp. */
function isOracleSafe(h: number): boolean {
  const q = h & 3, f3 = h >>> 13, r = (h >>> 7) & 31, r2 = (h >>> 2) & 31;
  if (q === 0) return f3 !== 0; // c.addi4spn reads sp
  if (q === 1) {
    if (f3 === 5 || f3 === 6 || f3 === 7) return false; // c.j c.beqz c.bnez
    if (f3 <= 3) return !isHarnessReg(r); // c.addi c.addiw c.li c.lui/c.addi16sp
    return true;
  }
  if (f3 === 4) {
    if (r2 === 0) return false; // c.jr c.jalr c.ebreak (c.ebreak is covered by the trap tests)
    return !isHarnessReg(r) && !isHarnessReg(r2);
  }
  if (f3 === 0) return !isHarnessReg(r); // c.slli
  return false; // sp-relative loads and stores
}

test('every oracle-safe 16-bit encoding matches qemu', (t) => {
  t.log(`seed ${seed}`);
  const rng = new Rng(seed);
  const cases: InsnCase[] = [];
  for (let h = 0; h < 0x10000; h++) {
    if ((h & 3) === 3 || !isOracleSafe(h)) continue;
    // Loads and stores (quadrant 0) get an unmapped base so they fault in both worlds.
    cases.push(caseWithRandomRegs(rng, h, 2, (h & 3) === 0 ? [8 + ((h >>> 7) & 7)] : []));
  }
  t.true(cases.length > 25000, `only ${cases.length} cases`);
  assertMatchesQemu(t, cases, seed);
});

test('c.addi4spn scales its immediate: nzuimm[9:2] all ones is 1020', (t) => {
  // sp reads as 0 in a hart case, so x8 = 0 + 1020.
  t.is(runCaseOnHart({ insn: 0x1fe0, len: 2 }).x[8], 1020n);
});

test('reserved encodings are illegal: zero halfword, c.lui 0, c.addiw x0, c.addi16sp 0, c.lwsp x0, c.jr x0', (t) => {
  for (const h of [0x0000, 0x6281, 0x2001, 0x6101, 0x4002, 0x8002]) {
    t.is(runCaseOnHart({ insn: h, len: 2 }).trapped, 'SIGILL', `0x${h.toString(16)}`);
  }
});

const SP_FORMS = `
  addi sp, sp, -512
  li t0, 0x1122334455667788
  li t1, -0x12345678
  c.sdsp t0, 504(sp)
  c.swsp t1, 252(sp)
  c.ldsp a0, 504(sp)
  OUT a0
  c.lwsp a0, 252(sp)
  OUT a0
  fmv.d.x fa0, t0
  c.fsdsp fa0, 8(sp)
  c.fldsp fa1, 8(sp)
  fmv.x.d a0, fa1
  OUT a0
  c.addi4spn s0, sp, 1020
  sub a0, s0, sp
  OUT a0
  c.addi16sp sp, -496
  c.addi16sp sp, 496
  c.addi4spn a1, sp, 4
  sub a0, a1, sp
  OUT a0
  mv a2, sp
  c.fld fa2, 8(a2)
  addi s1, sp, 256
  c.fsd fa2, 248(s1)
  c.ld a0, 248(s1)
  OUT a0
  c.lui a0, 0x1f
  OUT a0
  c.lui a0, 0xfffe0
  OUT a0
  c.li a0, -32
  OUT a0
  addi sp, sp, 512
`;

test('sp-relative compressed forms (c.lwsp c.ldsp c.fldsp c.swsp c.sdsp c.fsdsp c.addi4spn c.addi16sp) agree with qemu', (t) => {
  const elf = buildProgram(SP_FORMS);
  const hart = runProgramOnHart(elf);
  const qemu = runProgramOnQemu(elf);
  t.is(qemu.status, 0);
  t.is(hart.status, 0);
  t.deepEqual(hart.stdout, qemu.stdout);
  const w = readWords(hart.stdout);
  t.is(w[0], 0x1122334455667788n);
  t.is(w[3], 1020n);
  t.is(w[6], 0x1f000n);
});
