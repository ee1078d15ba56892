import test from 'ava';
import { CpuState, getI64, getU64, setI64, setBig, getBig } from '../../lib/arch/riscv64/state';

test('setI64/getI64 round-trip signed values across the 32-bit boundary', (t) => {
  const s = new CpuState();
  for (const v of [0, 1, -1, 2 ** 31, -(2 ** 31) - 1, 2 ** 40 + 5, -(2 ** 52)]) {
    setI64(s, 5, v);
    t.is(getI64(s, 5), v);
  }
});

test('x0 ignores writes and BigInt views agree with the pair layout', (t) => {
  const s = new CpuState();
  setI64(s, 0, 123);
  t.is(getU64(s, 0), 0);
  setBig(s, 7, 0xfedcba9876543210n);
  t.is(getBig(s, 7), 0xfedcba9876543210n);
  t.is(s.x[14] >>> 0, 0x76543210);
  t.is(s.x[15] >>> 0, 0xfedcba98);
});
