// The hart's caches stay coherent: self-modifying stores, fence.i, bus generation bumps, copy-on-write views.
import test from 'ava';
import { MemoryBus, PAGE_SIZE } from '../../lib/arch/riscv64/bus';
import { Hart } from '../../lib/arch/riscv64/cpu';
import { CpuState, Stop } from '../../lib/arch/riscv64/state';
import { encodeI, encodeJ, encodeS } from './encode';
import { CODE, DATA, makeRig, reg, setReg } from './hart-harness';
import { PROT_R, PROT_W, PROT_X } from './test-bus';

const ADDI_X5_1 = encodeI(1, 5, 0, 5, 0x13);
const ADDI_X5_100 = encodeI(100, 5, 0, 5, 0x13);
const JAL_BACK_8 = encodeJ(-8, 0);
const word = (w: number): Uint8Array => new Uint8Array(new Uint32Array([w]).buffer);

test('a store by the hart into code it already executed takes effect on the next execution', (t) => {
  // 0: addi x5,x5,1   4: sw x7, 0(x6)   8: jal x0, -8 (back to 0)
  const rig = makeRig([ADDI_X5_1, encodeS(0, 7, 6, 2, 0x23), JAL_BACK_8], 0, PROT_R | PROT_W | PROT_X);
  setReg(rig.s, 6, BigInt(CODE));
  setReg(rig.s, 7, BigInt(ADDI_X5_100));
  t.is(rig.hart.run(2), Stop.Budget); // addi (+1), then sw overwrites the addi at CODE
  t.is(rig.hart.run(2), Stop.Budget); // jal back, then the new addi (+100)
  t.is(reg(rig.s, 5), 101n);
});

test('bytes changed behind the hart are seen after fence.i-equivalent flushCaches', (t) => {
  const rig = makeRig([ADDI_X5_1, encodeI(0, 0, 0, 0, 0x13)]);
  t.is(rig.hart.run(1), Stop.Budget);
  rig.bus.poke(CODE, word(ADDI_X5_100));
  rig.s.pc = CODE;
  rig.hart.flushCaches();
  rig.hart.run(1);
  t.is(reg(rig.s, 5), 101n);
});

test('a fence.i instruction drops decoded code', (t) => {
  const FENCE_I = 0x0000100f;
  const rig = makeRig([ADDI_X5_1, FENCE_I, JAL_BACK_8]);
  t.is(rig.hart.run(2), Stop.Budget); // addi, fence.i
  rig.bus.poke(CODE, word(ADDI_X5_100)); // an external writer, then the program's own fence.i below
  rig.s.pc = CODE + 4;
  t.is(rig.hart.run(3), Stop.Budget); // fence.i, jal, addi
  t.is(reg(rig.s, 5), 101n);
});

test('remapping a page (generation bump) is noticed at the next run', (t) => {
  const rig = makeRig([ADDI_X5_1, ADDI_X5_1], 1);
  setReg(rig.s, 6, BigInt(DATA));
  t.is(rig.hart.run(1), Stop.Budget);
  rig.bus.unmap(CODE, PAGE_SIZE);
  rig.bus.map(CODE, PAGE_SIZE, PROT_R | PROT_X);
  rig.bus.poke(CODE + 4, word(ADDI_X5_100));
  t.is(rig.hart.run(1), Stop.Budget);
  t.is(reg(rig.s, 5), 101n);
  rig.bus.unmap(CODE, PAGE_SIZE);
  t.is(rig.hart.run(1), Stop.Trap, 'the unmapped page is not fetched from a stale view');
});

/** A bus whose first write to a page hands out a private copy, like a copy-on-write fault. */
class CowBus implements MemoryBus {
  generation = 0;
  readonly shared = new Map<number, DataView>();
  readonly private = new Map<number, DataView>();
  readPage(vpn: number): DataView | null {
    return this.private.get(vpn) ?? this.shared.get(vpn) ?? null;
  }
  writePage(vpn: number): DataView | null {
    const p = this.private.get(vpn);
    if (p) return p;
    const s = this.shared.get(vpn);
    if (!s || vpn === CODE / PAGE_SIZE) return null;
    const copy = new DataView(s.buffer.slice(0));
    this.private.set(vpn, copy);
    return copy;
  }
  execPage(vpn: number): DataView | null {
    return vpn === CODE / PAGE_SIZE ? this.readPage(vpn) : null;
  }
}

test('after a copy-on-write break, loads see the private copy, not the cached shared view', (t) => {
  const bus = new CowBus();
  const code = new DataView(new ArrayBuffer(PAGE_SIZE));
  // ld x5, 0(x6); sd x7, 0(x6); ld x8, 0(x6)
  [encodeI(0, 6, 3, 5, 0x03), encodeS(0, 7, 6, 3, 0x23), encodeI(0, 6, 3, 8, 0x03)].forEach((w, i) => code.setUint32(4 * i, w, true));
  bus.shared.set(CODE / PAGE_SIZE, code);
  const data = new DataView(new ArrayBuffer(PAGE_SIZE));
  data.setBigUint64(0, 0x1111n, true);
  bus.shared.set(DATA / PAGE_SIZE, data);
  const s = new CpuState();
  s.pc = CODE;
  const hart = new Hart(s, bus);
  const x = s.x;
  x[12] = DATA;
  x[14] = 0x2222;
  t.is(hart.run(3), Stop.Budget);
  t.is(x[10], 0x1111);
  t.is(x[16], 0x2222, 'the load after the store reads the new private page');
  t.is(data.getUint32(0, true), 0x1111, 'the shared page is untouched');
});
