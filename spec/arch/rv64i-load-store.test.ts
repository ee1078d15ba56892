// Loads and stores: every width and sign, misaligned and page-crossing, against a byte model and against qemu.
import test from 'ava';
import { Cause, Stop } from '../../lib/arch/riscv64/state';
import { buildProgram, readWords, runProgramOnHart, runProgramOnQemu } from './asm-program';
import { encodeI, encodeS } from './encode';
import { DATA, makeRig, reg, setReg } from './hart-harness';
import { chooseSeed, Rng } from './rng';
import { PROT_R } from './test-bus';

const seed = chooseSeed();
const LOADS = [
  { f3: 0, size: 1, signed: true }, { f3: 1, size: 2, signed: true }, { f3: 2, size: 4, signed: true },
  { f3: 3, size: 8, signed: true }, { f3: 4, size: 1, signed: false }, { f3: 5, size: 2, signed: false },
  { f3: 6, size: 4, signed: false },
];

/** The spec's load: little-endian bytes, sign- or zero-extended to 64 bits. */
function modelLoad(mem: Uint8Array, off: number, size: number, signed: boolean): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(mem[off + i]);
  return signed ? BigInt.asUintN(64, BigInt.asIntN(size * 8, v)) : v;
}

test('random loads of every width at any alignment, including across a page boundary, match a byte model', (t) => {
  t.log(`seed ${seed}`);
  const rng = new Rng(seed);
  const n = 3000;
  const plan = Array.from({ length: n }, () => ({ ld: rng.pick(LOADS), imm: rng.below(4096) - 2048, off: rng.below(3 * 4096 - 8) }));
  // lX x5, imm(x6), with x6 chosen so the address is DATA + off.
  const rig = makeRig(plan.map((p) => encodeI(p.imm, 6, p.ld.f3, 5, 0x03)), 3);
  const mem = new Uint8Array(3 * 4096).map(() => rng.below(256));
  rig.bus.poke(DATA, mem);
  const bad: string[] = [];
  for (const p of plan) {
    setReg(rig.s, 6, BigInt(DATA + p.off - p.imm));
    t.is(rig.hart.run(1), Stop.Budget);
    const want = modelLoad(mem, p.off, p.ld.size, p.ld.signed);
    if (reg(rig.s, 5) !== want && bad.length < 5) bad.push(`f3=${p.ld.f3} off=0x${p.off.toString(16)}: got ${reg(rig.s, 5)} want ${want}`);
  }
  t.deepEqual(bad, []);
});

test('random stores of every width at any alignment, including across a page boundary, match a byte model', (t) => {
  const rng = new Rng(seed + 1);
  const n = 3000;
  const plan = Array.from({ length: n }, () => ({ f3: rng.below(4), imm: rng.below(4096) - 2048, off: rng.below(3 * 4096 - 8), v: rng.value64() }));
  const rig = makeRig(plan.map((p) => encodeS(p.imm, 7, 6, p.f3, 0x23)), 3);
  const mem = new Uint8Array(3 * 4096);
  for (const p of plan) {
    setReg(rig.s, 6, BigInt(DATA + p.off - p.imm));
    setReg(rig.s, 7, p.v);
    rig.hart.run(1);
    for (let i = 0; i < 1 << p.f3; i++) mem[p.off + i] = Number((p.v >> BigInt(8 * i)) & 0xffn);
  }
  t.deepEqual(rig.bus.peek(DATA, 3 * 4096), mem);
});

test('a load crossing into an unmapped page faults with the second page address and changes nothing', (t) => {
  const rig = makeRig([encodeI(0, 6, 3, 5, 0x03)], 1);
  setReg(rig.s, 5, 0x1234n);
  setReg(rig.s, 6, BigInt(DATA + 4096 - 3));
  t.is(rig.hart.run(10), Stop.Trap);
  t.is(rig.s.cause, Cause.LoadPageFault);
  t.is(rig.s.tval, DATA + 4096);
  t.is(rig.s.pc, 0x10000);
  t.is(rig.s.instret, 0);
  t.is(reg(rig.s, 5), 0x1234n);
});

test('a store crossing into a read-only page faults and writes no byte of the first page', (t) => {
  const rig = makeRig([encodeS(0, 7, 6, 3, 0x23)], 1);
  rig.bus.map(DATA + 4096, 4096, PROT_R);
  setReg(rig.s, 6, BigInt(DATA + 4096 - 4));
  setReg(rig.s, 7, 0x1122334455667788n);
  t.is(rig.hart.run(10), Stop.Trap);
  t.is(rig.s.cause, Cause.StorePageFault);
  t.is(rig.s.tval, DATA + 4096);
  t.deepEqual([...rig.bus.peek(DATA + 4092, 8)], [0, 0, 0, 0, 0, 0, 0, 0]);
});

const MISALIGNED = `
  la s0, buf
  li t0, 0x8877665544332211
  li t1, 0x0123456789abcdef
  sd t0, 0(s0)
  sd t1, 8(s0)
  # misaligned loads inside a page
  ld a0, 1(s0)
  OUT a0
  lw a0, 3(s0)
  OUT a0
  lwu a0, 5(s0)
  OUT a0
  lh a0, 7(s0)
  OUT a0
  lhu a0, 9(s0)
  OUT a0
  # misaligned stores inside a page, read back
  sd t1, 17(s0)
  sw t0, 30(s0)
  sh t0, 35(s0)
  ld a0, 16(s0)
  OUT a0
  ld a0, 24(s0)
  OUT a0
  ld a0, 32(s0)
  OUT a0
  # page-crossing: buf2 ends 3 bytes before a page boundary
  la s1, edge
  sd t0, -5(s1)
  sw t1, -2(s1)
  ld a0, -5(s1)
  OUT a0
  ld a0, -1(s1)
  OUT a0
  lhu a0, -1(s1)
  OUT a0
  lb a0, 0(s1)
  OUT a0
  c.ld a0, 0(s0)
  OUT a0
  mv a1, t0
  c.sw a1, 4(s0)
  ld a0, 0(s0)
  OUT a0
`;
const MISALIGNED_DATA = `
buf:
  .space 64
  .balign 4096
  .space 4096
edge:
  .space 64
`;

test('misaligned and page-crossing loads and stores in a program agree with qemu', (t) => {
  const elf = buildProgram(MISALIGNED, MISALIGNED_DATA);
  const hart = runProgramOnHart(elf);
  const qemu = runProgramOnQemu(elf);
  t.is(qemu.status, 0);
  t.is(hart.status, 0);
  t.deepEqual(hart.stdout, qemu.stdout);
  t.is(readWords(hart.stdout)[0], 0xef88776655443322n);
});

const FP_MEMORY = `
  la s0, buf
  li t0, 0x3fc00000c0490fdb
  sd t0, 0(s0)
  flw fa0, 0(s0)
  fmv.x.d a0, fa0
  OUT a0
  flw fa1, 2(s0)
  fmv.x.d a0, fa1
  OUT a0
  fld fa2, 0(s0)
  fmv.x.d a0, fa2
  OUT a0
  fsw fa2, 12(s0)
  fsd fa0, 17(s0)
  ld a0, 8(s0)
  OUT a0
  ld a0, 16(s0)
  OUT a0
  ld a0, 24(s0)
  OUT a0
  la s1, edge
  fsd fa2, -3(s1)
  fld fa3, -3(s1)
  fmv.x.d a0, fa3
  OUT a0
  flw fa4, -1(s1)
  fmv.x.d a0, fa4
  OUT a0
`;

test('flw NaN-boxes, fsw/fsd store raw bits, fld/fsd work misaligned and across pages, as in qemu', (t) => {
  const elf = buildProgram(FP_MEMORY, MISALIGNED_DATA);
  const hart = runProgramOnHart(elf);
  const qemu = runProgramOnQemu(elf);
  t.is(qemu.status, 0);
  t.is(hart.status, 0);
  t.deepEqual(hart.stdout, qemu.stdout);
  t.is(readWords(hart.stdout)[0], 0xffffffffc0490fdbn);
});
