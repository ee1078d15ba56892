// Differential oracle for single RV64 instructions: qemu-riscv64 running spec/arch/oracle/insn-oracle.c vs our Hart.
//
// Usage (from a test):
//   import { runCasesOnQemu, runCaseOnHart, InsnCase } from './oracle';
//   const cases: InsnCase[] = [{ insn: 0x02b57553, f: { 10: 0x3ff0000000000000n, 11: 0x4000000000000000n }, fcsr: 0 }];
//   const want = runCasesOnQemu(cases);          // one qemu process for the whole batch
//   cases.forEach((c, i) => t.deepEqual(runCaseOnHart(c), want[i]));
// A case sets x1 and x5..x31 (x2 sp, x3 gp, x4 tp belong to the harness and read as 0 in outcomes; the
// instruction must not write them), any f register (raw 64-bit patterns) and fcsr; unset registers are 0.
// Only straight-line instructions: no branches, jumps or ecall. Loads and stores fault (nothing is mapped
// at small or random addresses in either world), which is useful for trap tests. `trapped` is the signal
// name qemu delivered (SIGILL, SIGSEGV, SIGBUS, SIGTRAP) or absent; faultAddr is si_addr for SIGSEGV/SIGBUS.
// qemu runs as a plain RV64GC CPU (QEMU_CPU). The C program is built on first use into build/spec/insn-oracle (rebuilt when the source is newer).
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Hart } from '../../lib/arch/riscv64/cpu';
import { Cause, CpuState, Stop } from '../../lib/arch/riscv64/state';
import { PROT_R, PROT_X, TestBus } from './test-bus';

export interface InsnCase {
  insn: number;
  len?: 2 | 4;
  x?: Partial<Record<number, bigint>>;
  f?: Partial<Record<number, bigint>>;
  fcsr?: number;
}

export interface InsnOutcome {
  x: bigint[];
  f: bigint[];
  fcsr: number;
  trapped?: string;
  /** The faulting address (si_addr / tval) when trapped is SIGSEGV or SIGBUS. */
  faultAddr?: bigint;
}

export const REPO = findRepoRoot();
const SOURCE = path.join(REPO, 'spec/arch/oracle/insn-oracle.c');
const BINARY = path.join(REPO, 'build/spec/insn-oracle');
const RECORD_BYTES = 16 + 32 * 8 + 32 * 8;
const HARNESS_REGS = new Set([2, 3, 4]);
const M64 = (1n << 64n) - 1n;
/** qemu's default rv64 CPU adds the B and V extensions; the reference is plain RV64GC. */
export const QEMU_CPU = 'rv64,zba=false,zbb=false,zbc=false,zbs=false,v=false,h=false';

function findRepoRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('oracle: cannot find the repository root above ' + __dirname);
    dir = up;
  }
  return dir;
}

/** Builds the oracle binary if it is missing or older than its source; throws if gcc fails. */
export function ensureOracleBuilt(): string {
  const src = fs.statSync(SOURCE);
  if (fs.existsSync(BINARY) && fs.statSync(BINARY).mtimeMs >= src.mtimeMs) return BINARY;
  fs.mkdirSync(path.dirname(BINARY), { recursive: true });
  // Built under a private name and renamed so concurrent test workers never run a half-written file.
  const tmp = `${BINARY}.${process.pid}.tmp`;
  execFileSync('riscv64-linux-gnu-gcc', ['-static', '-O2', '-fno-stack-protector', '-Wl,--no-relax', '-o', tmp, SOURCE], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  fs.renameSync(tmp, BINARY);
  return BINARY;
}

function checkCase(c: InsnCase): void {
  for (const k of Object.keys(c.x ?? {})) {
    const r = Number(k);
    if (HARNESS_REGS.has(r) || r < 0 || r > 31) throw new Error(`oracle: a case may not set x${r}`);
  }
}

function encodeCases(cases: InsnCase[]): Buffer {
  const buf = Buffer.alloc(RECORD_BYTES * cases.length);
  cases.forEach((c, i) => {
    checkCase(c);
    const o = i * RECORD_BYTES;
    buf.writeUInt32LE(c.insn >>> 0, o);
    buf.writeUInt32LE(c.len ?? 4, o + 4);
    buf.writeUInt32LE((c.fcsr ?? 0) >>> 0, o + 8);
    for (let r = 0; r < 32; r++) {
      buf.writeBigUInt64LE((c.x?.[r] ?? 0n) & M64, o + 16 + 8 * r);
      buf.writeBigUInt64LE((c.f?.[r] ?? 0n) & M64, o + 16 + 256 + 8 * r);
    }
  });
  return buf;
}

function parseOutcome(line: string): InsnOutcome {
  const w = line.trim().split(' ');
  if (w.length !== 67) throw new Error('oracle: malformed line: ' + line);
  const nums = w.slice(1).map((h) => BigInt('0x' + h));
  const out: InsnOutcome = { x: nums.slice(0, 32), f: nums.slice(32, 64), fcsr: Number(nums[64]) };
  if (w[0] !== '-') out.trapped = w[0];
  if (w[0] === 'SIGSEGV' || w[0] === 'SIGBUS') out.faultAddr = nums[65];
  return out;
}

/** Runs every case on qemu-riscv64 in one process; returns one outcome per case, in order. Throws on a bad case or a qemu failure. */
export function runCasesOnQemu(cases: InsnCase[]): InsnOutcome[] {
  if (cases.length === 0) return [];
  const bin = ensureOracleBuilt();
  const stdout = execFileSync('qemu-riscv64', ['-cpu', QEMU_CPU, bin], { input: encodeCases(cases), maxBuffer: 1 << 30 }).toString();
  const lines = stdout.split('\n').filter((l) => l.length > 0);
  if (lines.length !== cases.length) throw new Error(`oracle: ${cases.length} cases but ${lines.length} results`);
  return lines.map(parseOutcome);
}

const CODE_ADDR = 0x10000;

/** The signal Linux delivers for a trap cause, as the oracle names it. */
export function nameSignalForCause(cause: number): string {
  switch (cause) {
    case Cause.IllegalInsn: return 'SIGILL';
    case Cause.Breakpoint: return 'SIGTRAP';
    case Cause.LoadMisaligned:
    case Cause.StoreMisaligned:
    case Cause.InsnMisaligned: return 'SIGBUS';
    default: return 'SIGSEGV';
  }
}

/** Runs one case on a fresh Hart whose only mapped page holds the instruction; the outcome mirrors runCasesOnQemu's. */
export function runCaseOnHart(c: InsnCase): InsnOutcome {
  checkCase(c);
  const bus = new TestBus();
  bus.map(CODE_ADDR, 4096, PROT_R | PROT_X);
  const len = c.len ?? 4;
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, c.insn >>> 0, true);
  bus.poke(CODE_ADDR, bytes.subarray(0, len));
  const s = new CpuState();
  for (let r = 1; r < 32; r++) {
    const v = BigInt.asUintN(64, c.x?.[r] ?? 0n);
    if (HARNESS_REGS.has(r)) continue;
    s.x[2 * r] = Number(v & 0xffffffffn) | 0;
    s.x[2 * r + 1] = Number(v >> 32n) | 0;
  }
  for (let r = 0; r < 32; r++) {
    const v = BigInt.asUintN(64, c.f?.[r] ?? 0n);
    s.fi[2 * r] = Number(v & 0xffffffffn) | 0;
    s.fi[2 * r + 1] = Number(v >> 32n) | 0;
  }
  const fcsr = c.fcsr ?? 0;
  s.fflags = fcsr & 0x1f;
  s.frm = (fcsr >>> 5) & 7;
  s.pc = CODE_ADDR;
  const hart = new Hart(s, bus);
  const stop = hart.run(1);
  const out: InsnOutcome = {
    x: Array.from({ length: 32 }, (_, r) =>
      HARNESS_REGS.has(r) ? 0n : (BigInt(s.x[2 * r + 1] >>> 0) << 32n) | BigInt(s.x[2 * r] >>> 0)),
    f: Array.from({ length: 32 }, (_, r) => (BigInt(s.fi[2 * r + 1] >>> 0) << 32n) | BigInt(s.fi[2 * r] >>> 0)),
    fcsr: ((s.frm & 7) << 5) | (s.fflags & 0x1f),
  };
  if (stop === Stop.Trap) {
    out.trapped = nameSignalForCause(s.cause);
    if (out.trapped === 'SIGSEGV' || out.trapped === 'SIGBUS') out.faultAddr = BigInt(s.tval);
  } else if (stop === Stop.Ecall) out.trapped = 'ECALL';
  return out;
}
