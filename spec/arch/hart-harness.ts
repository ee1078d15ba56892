// Helpers for Hart-level tests: a hart on a TestBus with code at CODE and data pages at DATA.
import { Hart } from '../../lib/arch/riscv64/cpu';
import { CpuState, getBig, setBig } from '../../lib/arch/riscv64/state';
import { PROT_R, PROT_W, PROT_X, TestBus } from './test-bus';

export const CODE = 0x10000;
export const DATA = 0x40000;

export interface Rig {
  hart: Hart;
  bus: TestBus;
  s: CpuState;
}

/** A hart whose pc is CODE, with `words` (32-bit instructions) there, and `dataPages` zeroed RW pages at DATA. */
export function makeRig(words: number[], dataPages = 2, codeProt = PROT_R | PROT_X): Rig {
  const bus = new TestBus();
  bus.map(CODE, Math.max(4, words.length * 4), codeProt);
  const code = new Uint8Array(words.length * 4);
  const dv = new DataView(code.buffer);
  words.forEach((w, i) => dv.setUint32(4 * i, w >>> 0, true));
  bus.poke(CODE, code);
  if (dataPages > 0) bus.map(DATA, dataPages * 4096, PROT_R | PROT_W);
  const s = new CpuState();
  s.pc = CODE;
  return { hart: new Hart(s, bus), bus, s };
}

export const reg = (s: CpuState, r: number): bigint => getBig(s, r);
export const setReg = (s: CpuState, r: number, v: bigint): void => setBig(s, r, v);
