// Branches and jumps (RV64I and RVC forms) in assembled programs, run on qemu and on the Hart.
import test from 'ava';
import { buildProgram, readWords, runProgramOnHart, runProgramOnQemu } from './asm-program';

const VALUES = ['0', '1', '-1', '2', '-2', '0x7fffffff', '0x80000000', '0xffffffff', '0x100000000', '-0x80000000',
  '0x7fffffffffffffff', '-0x8000000000000000', '0x123456789', '-0x123456789'];

/** For every pair of values and every branch kind, OUT 1 if taken else 0. */
function branchMatrixBody(): string {
  const lines: string[] = [];
  let label = 0;
  for (const a of VALUES) {
    for (const b of VALUES) {
      lines.push(`  li a0, ${a}`, `  li a1, ${b}`);
      for (const br of ['beq', 'bne', 'blt', 'bge', 'bltu', 'bgeu']) {
        const l = label++;
        lines.push(`  li t0, 1`, `  ${br} a0, a1, .Lt${l}`, `  li t0, 0`, `.Lt${l}:`, `  OUT t0`);
      }
    }
  }
  return lines.join('\n');
}

const parseValue = (v: string): bigint => (v.startsWith('-') ? -BigInt(v.slice(1)) : BigInt(v));

function isTaken(br: string, a: bigint, b: bigint): boolean {
  const sa = BigInt.asIntN(64, a), sb = BigInt.asIntN(64, b);
  const ua = BigInt.asUintN(64, a), ub = BigInt.asUintN(64, b);
  switch (br) {
    case 'beq': return ua === ub;
    case 'bne': return ua !== ub;
    case 'blt': return sa < sb;
    case 'bge': return sa >= sb;
    case 'bltu': return ua < ub;
    default: return ua >= ub;
  }
}

test('conditional branches on edge values agree with qemu and with the ISA definition', (t) => {
  const elf = buildProgram(branchMatrixBody());
  const hart = runProgramOnHart(elf);
  const qemu = runProgramOnQemu(elf);
  t.is(hart.status, 0);
  t.deepEqual(hart.stdout, qemu.stdout);
  const want: bigint[] = [];
  for (const a of VALUES) for (const b of VALUES) {
    for (const br of ['beq', 'bne', 'blt', 'bge', 'bltu', 'bgeu']) want.push(isTaken(br, parseValue(a), parseValue(b)) ? 1n : 0n);
  }
  t.deepEqual(readWords(hart.stdout), want);
});

const JUMPS = `
  jal ra, 1f
1:
  OUT ra
  la t1, 2f
  jalr ra, 0(t1)
2:
  OUT ra
  la t1, 3f + 6
  jalr t2, -6(t1)
3:
  OUT t2
  # jalr with rd == rs1 uses the old rs1, and clears bit 0 of the target
  la t1, 4f + 1
  jalr t1, 0(t1)
4:
  OUT t1
  # compressed forms
  la s0, 5f
  c.jalr s0
5:
  OUT ra
  la a0, 6f
  c.jr a0
  OUT zero
6:
  li s1, 0
  c.beqz s1, 7f
  OUT zero
7:
  li s1, 3
  c.bnez s1, 8f
  OUT zero
8:
  c.j 9f
  OUT zero
9:
  # backward branches: a counted loop
  li a0, 0
  li a1, 100
10:
  addi a0, a0, 3
  addi a1, a1, -1
  bnez a1, 10b
  OUT a0
  # call/ret through a function
  li a0, 7
  call double_it
  OUT a0
  j 11f
double_it:
  slli a0, a0, 1
  ret
11:
`;

test('jal/jalr/c.jr/c.jalr/c.j/c.beqz/c.bnez link and land like qemu', (t) => {
  const elf = buildProgram(JUMPS);
  const hart = runProgramOnHart(elf);
  const qemu = runProgramOnQemu(elf);
  t.is(hart.status, 0);
  t.is(qemu.status, 0);
  t.deepEqual(hart.stdout, qemu.stdout);
  const w = readWords(hart.stdout);
  t.is(w.length, 7, 'every skipped OUT zero was skipped');
  t.is(w[5], 300n);
  t.is(w[6], 14n);
});

const STRADDLE = `
  li t0, 0
  j page_start
  .option norvc
  .balign 4096
page_start:
  .option rvc
  .fill 2047, 2, 0x0001
  .option norvc
  addi t0, t0, 0x123
  .option rvc
  OUT t0
`;

test('a 32-bit instruction straddling a page boundary executes (after 2047 c.nop)', (t) => {
  const elf = buildProgram(STRADDLE);
  const hart = runProgramOnHart(elf, 7);
  t.is(hart.status, 0);
  t.deepEqual(readWords(hart.stdout), [0x123n]);
  t.deepEqual(hart.stdout, runProgramOnQemu(elf).stdout);
});
