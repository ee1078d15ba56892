// RV64A: every AMO (.w/.d) against a BigInt model, LR/SC reservation rules, misaligned traps, and a program vs qemu.
import test from 'ava';
import { Cause, Stop } from '../../lib/arch/riscv64/state';
import { buildProgram, runProgramOnHart, runProgramOnQemu } from './asm-program';
import { assertMatchesQemu, unmappedAddress } from './differential';
import { CASE_REGS, encodeR } from './encode';
import { DATA, makeRig, reg, setReg } from './hart-harness';
import { chooseSeed, Rng } from './rng';

const seed = chooseSeed();
const s32 = (v: bigint): bigint => BigInt.asIntN(32, v);
const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);

/** funct5 -> the value stored, from the old memory value and rs2 (both as signed at the access width). */
const AMOS: Record<string, [number, (m: bigint, r: bigint, wide: boolean) => bigint]> = {
  amoadd: [0x00, (m, r) => m + r],
  amoswap: [0x01, (_m, r) => r],
  amoxor: [0x04, (m, r) => m ^ r],
  amoor: [0x08, (m, r) => m | r],
  amoand: [0x0c, (m, r) => m & r],
  amomin: [0x10, (m, r) => (m < r ? m : r)],
  amomax: [0x14, (m, r) => (m > r ? m : r)],
  amominu: [0x18, (m, r, w) => (unsignedAt(m, w) < unsignedAt(r, w) ? m : r)],
  amomaxu: [0x1c, (m, r, w) => (unsignedAt(m, w) > unsignedAt(r, w) ? m : r)],
};
const unsignedAt = (v: bigint, wide: boolean): bigint => BigInt.asUintN(wide ? 64 : 32, v);
const amo = (f5: number, wide: boolean, rd: number, rs1: number, rs2: number, aqrl = 0): number =>
  encodeR((f5 << 2) | aqrl, rs2, rs1, wide ? 3 : 2, rd, 0x2f);

for (const [name, [f5, op]] of Object.entries(AMOS)) {
  for (const wide of [false, true]) {
    test(`${name}.${wide ? 'd' : 'w'} returns the old value (sign-extended) and stores the spec's result`, (t) => {
      const rng = new Rng(seed + f5 + (wide ? 100 : 0));
      const bad: string[] = [];
      for (let i = 0; i < 100; i++) {
        const rig = makeRig([amo(f5, wide, 5, 6, 7, i & 3)], 1);
        const mem = rng.value64(), src = rng.value64();
        const size = wide ? 8 : 4;
        const off = 8 * rng.below(500);
        const bytes = new Uint8Array(8);
        new DataView(bytes.buffer).setBigUint64(0, mem, true);
        rig.bus.poke(DATA + off, bytes.subarray(0, size));
        setReg(rig.s, 6, BigInt(DATA + off));
        setReg(rig.s, 7, src);
        t.is(rig.hart.run(1), Stop.Budget);
        const sx = wide ? s64 : s32;
        const oldv = BigInt.asUintN(64, sx(mem));
        const stored = unsignedAt(op(sx(mem), sx(src), wide), wide);
        const got = new DataView(rig.bus.peek(DATA + off, 8).buffer);
        const gotStored = wide ? got.getBigUint64(0, true) : BigInt(got.getUint32(0, true));
        if (reg(rig.s, 5) !== oldv || gotStored !== stored) bad.push(`mem=${mem} src=${src}: rd ${reg(rig.s, 5)} (want ${oldv}), stored ${gotStored} (want ${stored})`);
      }
      t.deepEqual(bad.slice(0, 5), [], `seed ${seed}`);
    });
  }
}

test('sc succeeds only on the address lr reserved, once; lr.w sign-extends', (t) => {
  const LR_W = amo(2, false, 5, 6, 0), LR_D = amo(2, true, 5, 6, 0), SC_W = amo(3, false, 8, 6, 7), SC_D = amo(3, true, 8, 6, 7);
  // sc.d (no reservation), lr.d, sc.d (ok), sc.d (reservation gone), lr.w, sc.w on another address
  const rig = makeRig([SC_D, LR_D, SC_D, SC_D, LR_W, SC_W], 1);
  rig.bus.poke(DATA, new Uint8Array([0xf0, 0xff, 0xff, 0xff, 1, 0, 0, 0]));
  setReg(rig.s, 6, BigInt(DATA));
  setReg(rig.s, 7, 0x1111222233334444n);
  rig.hart.run(1);
  t.is(reg(rig.s, 8), 1n, 'sc without a reservation fails');
  t.deepEqual([...rig.bus.peek(DATA, 8)], [0xf0, 0xff, 0xff, 0xff, 1, 0, 0, 0], 'and stores nothing');
  rig.hart.run(1);
  t.is(reg(rig.s, 5), 0x1fffffff0n);
  rig.hart.run(1);
  t.is(reg(rig.s, 8), 0n, 'sc after lr to the same address succeeds');
  t.is(new DataView(rig.bus.peek(DATA, 8).buffer).getBigUint64(0, true), 0x1111222233334444n);
  rig.hart.run(1);
  t.is(reg(rig.s, 8), 1n, 'a second sc fails');
  rig.hart.run(1);
  t.is(reg(rig.s, 5), 0x33334444n, 'lr.w of 0x33334444');
  setReg(rig.s, 6, BigInt(DATA + 8));
  rig.hart.run(1);
  t.is(reg(rig.s, 8), 1n, 'sc to another address fails');
});

test('misaligned lr is a load-misaligned trap and misaligned sc/amo are store-misaligned; nothing changes', (t) => {
  for (const [insn, cause] of [[amo(2, true, 5, 6, 0), Cause.LoadMisaligned], [amo(3, false, 5, 6, 7), Cause.StoreMisaligned],
    [amo(0, true, 5, 6, 7), Cause.StoreMisaligned], [amo(1, false, 5, 6, 7), Cause.StoreMisaligned]] as const) {
    const rig = makeRig([insn], 1);
    setReg(rig.s, 5, 77n);
    setReg(rig.s, 6, BigInt(DATA + 2));
    rig.s.reservation = DATA + 2; // an sc without a matching reservation fails before checking alignment
    t.is(rig.hart.run(1), Stop.Trap);
    t.is(rig.s.cause, cause);
    t.is(rig.s.tval, DATA + 2);
    t.is(reg(rig.s, 5), 77n);
    t.is(rig.s.instret, 0);
  }
});

test('AMOs on unmapped addresses fault like qemu: SIGBUS when misaligned, SIGSEGV otherwise', (t) => {
  const rng = new Rng(seed + 7);
  const f5s = [0, 1, 2, 3, 4, 8, 12, 16, 20, 24, 28];
  const cases = [];
  for (let i = 0; i < 1500; i++) {
    const f5 = rng.pick(f5s), wide = rng.below(2) === 1;
    const x: Record<number, bigint> = {};
    for (const r of CASE_REGS) x[r] = rng.value64();
    x[6] = unmappedAddress(rng);
    cases.push({ insn: amo(f5, wide, rng.pick([0, 5, 9]), 6, f5 === 2 ? 0 : 7, rng.below(4)), x });
  }
  assertMatchesQemu(t, cases, seed + 7);
});

const ATOMICS = `
  la s0, cell
  addi s1, s0, 8
  li t0, 5
  amoadd.d a0, t0, (s0)
  OUT a0
  ld a0, 0(s0)
  OUT a0
  li t0, -1
  amomaxu.w a0, t0, (s0)
  OUT a0
  ld a0, 0(s0)
  OUT a0
  li t0, -7
  amomin.d a0, t0, (s0)
  OUT a0
  ld a0, 0(s0)
  OUT a0
1:
  lr.d a0, (s0)
  addi a0, a0, 100
  sc.d a1, a0, (s0)
  bnez a1, 1b
  OUT a1
  ld a0, 0(s0)
  OUT a0
  li t0, 0x55
  amoswap.w.aqrl a0, t0, (s1)
  OUT a0
  lr.w a0, (s0)
  sc.w a1, t0, (s1)
  OUT a1
`;

test('an atomics program (amo*, lr/sc retry loop) agrees with qemu', (t) => {
  const elf = buildProgram(ATOMICS, 'cell:\n  .dword 0x1234567890\n  .dword 0xffffffff80000001\n');
  const hart = runProgramOnHart(elf);
  const qemu = runProgramOnQemu(elf);
  t.is(qemu.status, 0);
  t.is(hart.status, 0);
  t.deepEqual(hart.stdout, qemu.stdout);
});
