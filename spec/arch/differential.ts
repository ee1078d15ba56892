// Compares Hart outcomes with qemu's for a batch of cases and reports the first mismatches with the seed.
import type { ExecutionContext } from 'ava';
import { InsnCase, InsnOutcome, runCaseOnHart, runCasesOnQemu } from './oracle';
import { CASE_REGS } from './encode';
import { Rng } from './rng';

const hex = (v: bigint): string => '0x' + v.toString(16);

function describeCase(c: InsnCase): string {
  const regs = Object.entries(c.x ?? {}).map(([r, v]) => `x${r}=${hex(v as bigint)}`);
  const fregs = Object.entries(c.f ?? {}).map(([r, v]) => `f${r}=${hex(v as bigint)}`);
  const bits = (c.insn >>> 0).toString(16).padStart(c.len === 2 ? 4 : 8, '0');
  return `insn 0x${bits} (len ${c.len ?? 4}) fcsr=${c.fcsr ?? 0} ${[...regs, ...fregs].join(' ')}`;
}

function diffOutcomes(got: InsnOutcome, want: InsnOutcome): string[] {
  const d: string[] = [];
  if (got.trapped !== want.trapped) d.push(`trapped: hart ${got.trapped ?? '-'} qemu ${want.trapped ?? '-'}`);
  for (let r = 0; r < 32; r++) if (got.x[r] !== want.x[r]) d.push(`x${r}: hart ${hex(got.x[r])} qemu ${hex(want.x[r])}`);
  for (let r = 0; r < 32; r++) if (got.f[r] !== want.f[r]) d.push(`f${r}: hart ${hex(got.f[r])} qemu ${hex(want.f[r])}`);
  // qemu-user reports si_addr 0 for some addresses outside its guest address space, and CpuState.tval is
  // a double, exact only below 2^53: compare fault addresses where both sides can be exact.
  const comparable = want.faultAddr !== undefined && want.faultAddr !== 0n && want.faultAddr < 1n << 53n;
  if (comparable && got.faultAddr !== want.faultAddr) d.push(`fault address: hart ${got.faultAddr} qemu ${want.faultAddr}`);
  if (got.fcsr !== want.fcsr) d.push(`fcsr: hart ${got.fcsr} qemu ${want.fcsr}`);
  return d;
}

/** Runs `cases` on qemu and on the Hart; passes iff every outcome matches, else fails listing up to 5 mismatches. */
export function assertMatchesQemu(t: ExecutionContext, cases: InsnCase[], seed?: number): void {
  const want = runCasesOnQemu(cases);
  const failures: string[] = [];
  for (let i = 0; i < cases.length && failures.length < 5; i++) {
    const d = diffOutcomes(runCaseOnHart(cases[i]), want[i]);
    if (d.length > 0) failures.push(`${describeCase(cases[i])}\n    ${d.join('\n    ')}`);
  }
  const where = seed === undefined ? '' : ` (seed ${seed}; rerun with CRFS_SEED=${seed})`;
  t.deepEqual(failures, [], `${failures.length} mismatching case(s)${where}:\n${failures.join('\n')}`);
}

/**
 * A case for `insn` with every settable x register given a random edge-biased value, except `baseRegs`,
 * which get addresses that are unmapped in qemu's process too (so loads and stores fault in both worlds).
 */
export function caseWithRandomRegs(rng: Rng, insn: number, len: 2 | 4 = 4, baseRegs: number[] = []): InsnCase {
  const x: Record<number, bigint> = {};
  for (const r of CASE_REGS) x[r] = rng.value64();
  for (const r of baseRegs) if (r !== 0) x[r] = unmappedAddress(rng);
  return { insn, len, x };
}

/** A random address qemu-user never maps (the top half, or [2^45, 2^46) far above its mmap area), at any alignment. */
export function unmappedAddress(rng: Rng): bigint {
  const v = (BigInt(rng.next32()) << 32n) | BigInt(rng.next32());
  return rng.below(2) === 0 ? v | (1n << 63n) : (v & ((1n << 45n) - 1n)) | (1n << 45n);
}
