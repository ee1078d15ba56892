// The riscv64 `cpu` and `head_arch` records: register files survive an image bit for bit; foreign harts are refused.
import test from 'ava';
import fc from 'fast-check';
import {
  ARCH_NAME, HART_ISA, checkCpuRecord, checkHeadArch, cpuRecord, headArchRecord, restoreCpu,
} from '../../lib/arch/riscv64/checkpoint';
import { CpuState, getBig, setBig } from '../../lib/arch/riscv64/state';
import { CollectSink, ImageWriter, readImageItems } from '../../lib/crfs/image/codec';
import type { RecordValue } from '../../lib/crfs/image/schema';
import { writePrologue } from '../image/sample-image';

/** Writes `rec` as the only record after a prologue, and decodes it back out of the bytes. */
function throughImage(rec: RecordValue<'cpu'>): RecordValue<'cpu'> {
  const sink = new CollectSink();
  const w = new ImageWriter(sink);
  writePrologue(w);
  w.record('cpu', rec);
  w.finish();
  const it = readImageItems(sink.bytes(), { validate: false }).find((i) => i.kind === 'record' && i.name === 'cpu');
  if (!it || it.kind !== 'record' || it.name !== 'cpu') throw new Error('no cpu record');
  return it.value;
}

/** Bits of f-register `r` as the spec writes them: FLEN = 64, the raw pattern. */
function setF(s: CpuState, r: number, bits: bigint): void {
  s.fi[2 * r] = Number(bits & 0xffffffffn) | 0;
  s.fi[2 * r + 1] = Number(bits >> 32n) | 0;
}

function u64At(b: Uint8Array, at: number): bigint {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(at, true);
}

test('the record lays out x1..x31 and f0..f31 as little-endian 64-bit values, fcsr as frm << 5 | fflags', (t) => {
  const s = new CpuState();
  setBig(s, 1, 0x1111111111111111n);
  setBig(s, 5, 0x0123456789abcdefn);
  setBig(s, 31, 0xfedcba9876543210n);
  setF(s, 0, 0x7ff0000000000001n); // signaling binary64 NaN
  setF(s, 3, 0xffffffff7f800001n); // NaN-boxed signaling binary32 NaN
  setF(s, 31, 0x8000000000000000n); // -0.0
  s.frm = 3;
  s.fflags = 0x15;
  s.pc = 0x10abe;
  s.instret = 2 ** 40 + 7;
  const rec = throughImage(cpuRecord(s));
  t.is(rec.regs.length, 31 * 8);
  t.is(rec.regs[(5 - 1) * 8], 0xef, 'x5 starts with its least significant byte');
  t.is(u64At(rec.regs, 0), 0x1111111111111111n);
  t.is(u64At(rec.regs, (5 - 1) * 8), 0x0123456789abcdefn);
  t.is(u64At(rec.regs, 30 * 8), 0xfedcba9876543210n);
  t.is(u64At(rec.fregs, 0), 0x7ff0000000000001n);
  t.is(u64At(rec.fregs, 3 * 8), 0xffffffff7f800001n);
  t.is(u64At(rec.fregs, 31 * 8), 0x8000000000000000n);
  t.is(rec.fcsr, (3 << 5) | 0x15);
  t.is(rec.pc, 0x10abe);
  t.is(rec.instret, 2 ** 40 + 7);
});

const word = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });

test('random register files round-trip through an image exactly, NaN payloads included', (t) => {
  fc.assert(fc.property(
    fc.array(word, { minLength: 62, maxLength: 62 }),
    fc.array(word, { minLength: 64, maxLength: 64 }),
    fc.integer({ min: 0, max: 2 ** 52 - 1 }), fc.integer({ min: 0, max: 31 }), fc.integer({ min: 0, max: 7 }),
    fc.maxSafeNat(),
    (xs, fs, halfPc, fflags, frm, instret) => {
      const s = new CpuState();
      s.x.set(xs, 2);
      s.fi.set(fs);
      s.pc = halfPc * 2;
      s.fflags = fflags;
      s.frm = frm;
      s.instret = instret;
      s.reservation = 0x1000;
      const rec = throughImage(cpuRecord(s));
      t.is(checkCpuRecord(rec), null);
      const back = new CpuState();
      back.reservation = 0x2000;
      back.cause = 5;
      restoreCpu(back, rec);
      t.deepEqual([...back.x], [0, 0, ...xs]);
      t.deepEqual([...back.fi], fs);
      t.is(back.pc, s.pc);
      t.is(back.fflags, fflags);
      t.is(back.frm, frm);
      t.is(back.instret, instret);
      t.is(back.reservation, 0x1000, 'an LR reservation survives a checkpoint, so an SC right after the cut behaves as uninterrupted');
      t.is(back.cause, 0);
    },
  ), { numRuns: 200 });
});

test('special f-register patterns come back as the same bits, not as canonicalized NaNs', (t) => {
  const patterns = [
    0x7ff8000000000000n, 0xfff8deadbeef0001n, 0x7ff0000000000001n, 0xffffffff7fc00000n, 0xffffffff7f800001n,
    0x123456787fc00001n, 0x0000000000000001n, 0x7ff0000000000000n, 0xffffffffffffffffn,
  ];
  const s = new CpuState();
  patterns.forEach((p, r) => setF(s, r, p));
  const back = new CpuState();
  restoreCpu(back, throughImage(cpuRecord(s)));
  patterns.forEach((p, r) => {
    const got = (BigInt(back.fi[2 * r + 1] >>> 0) << 32n) | BigInt(back.fi[2 * r] >>> 0);
    t.is(got, p, `f${r}`);
  });
  // The double view reads the same NaN-ness (Float64Array shares the buffer).
  t.true(Number.isNaN(back.f64[1]));
});

test('x0 is never loaded from an image', (t) => {
  const s = new CpuState();
  setBig(s, 10, 42n);
  const back = new CpuState();
  back.x[0] = 7;
  back.x[1] = 9;
  restoreCpu(back, cpuRecord(s));
  t.is(getBig(back, 0), 0n);
  t.is(getBig(back, 10), 42n);
});

test('checkCpuRecord refuses reserved fcsr bits and an odd pc', (t) => {
  const rec = cpuRecord(new CpuState());
  t.is(checkCpuRecord(rec), null);
  t.regex(checkCpuRecord({ ...rec, fcsr: 0x100 }) ?? '', /fcsr 0x100 has reserved bits/);
  t.regex(checkCpuRecord({ ...rec, pc: 0x10001 }) ?? '', /pc 0x10001 is not 2-byte aligned/);
});

test('head_arch describes an RV64IMAFDC hart, which checkHeadArch accepts', (t) => {
  const h = headArchRecord();
  // misa bits: A=0, C=2, D=3, F=5, I=8, M=12 (RISC-V privileged spec, misa).
  t.is(h.isa, (1n << 0n) | (1n << 2n) | (1n << 3n) | (1n << 5n) | (1n << 8n) | (1n << 12n));
  t.is(HART_ISA, Number(h.isa));
  t.is(h.xlen, 64);
  t.is(h.flen, 64);
  t.is(checkHeadArch(h), null);
  t.is(checkHeadArch({ ...h, isa: (1n << 8n) | (1n << 12n) }), null, 'an image needing fewer extensions runs');
});

test('checkHeadArch names what this hart cannot run', (t) => {
  const h = headArchRecord();
  t.is(checkHeadArch({ ...h, xlen: 32 }), 'image is for xlen 32, this hart is rv64');
  t.is(checkHeadArch({ ...h, flen: 128 }), 'image has 128-bit f registers, this hart has 64-bit ones');
  t.is(checkHeadArch({ ...h, isa: h.isa | (1n << 16n) | (1n << 21n) }), `image needs extension Q, V, which this ${ARCH_NAME} hart lacks`);
  t.regex(checkHeadArch({ ...h, isa: h.isa | (1n << 40n) }) ?? '', /bit 40/);
});
