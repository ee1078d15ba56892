// Micro-benchmark of the RV64 interpreter: instructions per second on a tight loop and on a mixed C workload.
// Run: npx tsc -p tsconfig.json && node dist/bench/cpu-loop.js [--quick]
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { buildProgram, runProgramOnHart } from '../spec/arch/asm-program';
import { REPO } from '../spec/arch/oracle';

const TIGHT_LOOP = `
  li a1, 20000000
  li a0, 0
  addi sp, sp, -64
1:
  addi a0, a0, 1
  xor a2, a0, a1
  slli a3, a2, 3
  sd a3, 8(sp)
  ld a4, 8(sp)
  add a5, a4, a0
  addi a1, a1, -1
  bnez a1, 1b
  OUT a5
`;

/** Builds bench/cpu-mixed.c (freestanding, no libc) when missing or stale; returns the ELF path. */
function buildMixed(): string {
  const src = path.join(REPO, 'bench/cpu-mixed.c');
  const out = path.join(REPO, 'build/bench/cpu-mixed');
  if (!fs.existsSync(out) || fs.statSync(out).mtimeMs < fs.statSync(src).mtimeMs) {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    execFileSync('riscv64-linux-gnu-gcc', ['-O2', '-static', '-nostdlib', '-ffreestanding', '-o', out, src]);
  }
  return out;
}

/** Runs the program `repeat` times; prints the best rate by wall time and by this process's CPU time (the
 * latter is steadier on a shared machine). */
function measure(name: string, elf: string, slice: number, repeat: number): void {
  let bestWall = 0, bestCpu = 0, n = 0, status = 0;
  for (let i = 0; i < repeat; i++) {
    const t0 = process.hrtime.bigint(), c0 = process.cpuUsage();
    const r = runProgramOnHart(elf, slice, 1e10);
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1e6;
    n = r.hart.s.instret;
    status = r.status;
    bestWall = Math.max(bestWall, n / wall);
    bestCpu = Math.max(bestCpu, n / cpu);
  }
  const m = (v: number): string => (v / 1e6).toFixed(1).padStart(7);
  console.log(`${name.padEnd(12)} ${m(n)} M insns  wall ${m(bestWall)} M/s  cpu ${m(bestCpu)} M/s  (exit ${status}, best of ${repeat})`);
}

const slice = 100000;
const repeat = process.argv.includes('--quick') ? 1 : 3;
console.log(`node ${process.version}, ${slice} instructions per run() call`);
measure('tight-loop', buildProgram(TIGHT_LOOP), slice, repeat);
measure('mixed-c', buildMixed(), slice, repeat);
