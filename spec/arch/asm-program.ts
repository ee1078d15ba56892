// Builds tiny static riscv64 programs from assembly and runs them on qemu-riscv64 and on the Hart (write/exit shim).
import { execFileSync, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Hart } from '../../lib/arch/riscv64/cpu';
import { CpuState, Stop } from '../../lib/arch/riscv64/state';
import { QEMU_CPU, REPO } from './oracle';
import { PROT_R, PROT_W, PROT_X, TestBus } from './test-bus';

const CACHE = path.join(REPO, 'build/spec/asm');

/**
 * Program text wrapped around a test body. The body may use `OUT reg` to append a register's 64 bits to the
 * output buffer (s11 is the cursor; do not use s11) and falls through to code that writes the buffer to
 * stdout and exits 0. `.data` / `.bss` sections may follow in `data`.
 */
function wrapBody(body: string, data: string): string {
  return `
  .option norvc
  .macro OUT reg
  sd \\reg, 0(s11)
  addi s11, s11, 8
  .endm
  .text
  .globl _start
_start:
  la s11, out_buf
  .option rvc
${body}
  .option norvc
  la a1, out_buf
  sub a2, s11, a1
  li a0, 1
  li a7, 64
  ecall
  li a0, 0
  li a7, 93
  ecall
  .data
  .balign 8
${data}
  .bss
  .balign 4096
out_buf:
  .space 16384
`;
}

/** Assembles and links `body` (see wrapBody) into a static ELF, cached by content; returns its path. Throws on assembler errors. */
export function buildProgram(body: string, data = ''): string {
  const src = wrapBody(body, data);
  const hash = createHash('sha1').update(src).digest('hex').slice(0, 16);
  const elf = path.join(CACHE, `${hash}.elf`);
  if (fs.existsSync(elf)) return elf;
  fs.mkdirSync(CACHE, { recursive: true });
  const tmp = `${elf}.${process.pid}`;
  fs.writeFileSync(`${tmp}.s`, src);
  try {
    execFileSync('riscv64-linux-gnu-as', ['-march=rv64gc', '-o', `${tmp}.o`, `${tmp}.s`], { stdio: ['ignore', 'ignore', 'inherit'] });
    execFileSync('riscv64-linux-gnu-ld', ['-static', '--no-relax', '-o', tmp, `${tmp}.o`], { stdio: ['ignore', 'ignore', 'inherit'] });
    fs.renameSync(tmp, elf);
  } finally {
    fs.rmSync(`${tmp}.s`, { force: true });
    fs.rmSync(`${tmp}.o`, { force: true });
  }
  return elf;
}

export interface ProgramResult {
  stdout: Buffer;
  status: number;
}

/** Runs the ELF on qemu-riscv64 (plain RV64GC); status is the exit status, or 128+signal. */
export function runProgramOnQemu(elf: string): ProgramResult {
  const r = spawnSync('qemu-riscv64', ['-cpu', QEMU_CPU, elf], { maxBuffer: 1 << 26 });
  const SIGNALS: Record<string, number> = { SIGILL: 4, SIGTRAP: 5, SIGBUS: 7, SIGSEGV: 11 };
  const status = r.status ?? 128 + (SIGNALS[r.signal ?? ''] ?? 0);
  return { stdout: r.stdout, status };
}

export interface HartRun extends ProgramResult {
  hart: Hart;
  bus: TestBus;
  stop: Stop;
}

const STACK_TOP = 0x7fff0000;
const PT_LOAD = 1;

/** Maps the ELF's PT_LOAD segments and a 64 KiB stack into a TestBus; returns the bus and a hart at the entry point. */
export function loadProgram(elf: string): { bus: TestBus; hart: Hart } {
  const img = fs.readFileSync(elf);
  const bus = new TestBus();
  const phoff = Number(img.readBigUInt64LE(32)), phentsize = img.readUInt16LE(54), phnum = img.readUInt16LE(56);
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    if (img.readUInt32LE(p) !== PT_LOAD) continue;
    const flags = img.readUInt32LE(p + 4);
    const off = Number(img.readBigUInt64LE(p + 8)), vaddr = Number(img.readBigUInt64LE(p + 16));
    const filesz = Number(img.readBigUInt64LE(p + 32)), memsz = Number(img.readBigUInt64LE(p + 40));
    const prot = (flags & 4 ? PROT_R : 0) | (flags & 2 ? PROT_W : 0) | (flags & 1 ? PROT_X : 0);
    bus.map(vaddr, memsz, prot);
    bus.poke(vaddr, img.subarray(off, off + filesz));
  }
  bus.map(STACK_TOP - 0x10000, 0x10000, PROT_R | PROT_W);
  const s = new CpuState();
  s.pc = Number(img.readBigUInt64LE(24));
  s.x[4] = STACK_TOP - 64; // sp (pair index 2*2)
  return { bus, hart: new Hart(s, bus) };
}

/**
 * Runs the ELF on a Hart with a write(64)/exit(93, 94) shim, `slice` instructions per run call, until exit,
 * a trap (status 128+signal, like Linux's default action) or `limit` instructions.
 */
export function runProgramOnHart(elf: string, slice = 1000, limit = 1e8): HartRun {
  const { bus, hart } = loadProgram(elf);
  const s = hart.s, x = s.x;
  const out: Buffer[] = [];
  for (;;) {
    const stop = hart.run(slice);
    if (stop === Stop.Budget) {
      if (s.instret >= limit) return { stdout: Buffer.concat(out), status: -1, hart, bus, stop };
      continue;
    }
    if (stop === Stop.Trap) {
      const sig = s.cause === 2 ? 4 : s.cause === 3 ? 5 : s.cause === 4 || s.cause === 6 ? 7 : 11;
      return { stdout: Buffer.concat(out), status: 128 + sig, hart, bus, stop };
    }
    const nr = x[34];
    if (nr === 93 || nr === 94) return { stdout: Buffer.concat(out), status: x[20] & 0xff, hart, bus, stop };
    if (nr === 64) {
      const len = x[24] >>> 0;
      out.push(Buffer.from(bus.peek(x[22] >>> 0, len)));
      x[20] = len;
      x[21] = 0;
    } else {
      x[20] = -38; // ENOSYS
      x[21] = -1;
    }
    s.pc += 4;
    s.instret++;
  }
}

/** The program's output as the 64-bit words its `OUT` macro wrote. */
export function readWords(stdout: Buffer): bigint[] {
  const words: bigint[] = [];
  for (let i = 0; i + 8 <= stdout.length; i += 8) words.push(stdout.readBigUInt64LE(i));
  return words;
}
