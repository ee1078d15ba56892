// The initial stack and address space the loader builds, read back from memory.
import test from 'ava';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PAGE_SIZE } from '../../lib/arch/riscv64/bus';
import { parseElf } from '../../lib/emukernel/exec/elf';
import {
  AT_CLKTCK, AT_EGID, AT_ENTRY, AT_EUID, AT_EXECFN, AT_GID, AT_HWCAP, AT_NULL, AT_PAGESZ, AT_PHDR, AT_PHENT,
  AT_PHNUM, AT_RANDOM, AT_SECURE, AT_UID, argumentsFit,
} from '../../lib/emukernel/exec/stack';
import { SIGRETURN_TRAMPOLINE } from '../../lib/emukernel/exec/vdso';
import { STACK_SIZE, STACK_TOP, pageUp } from '../../lib/emukernel/mm/layout';
import type { Mm } from '../../lib/emukernel/mm/mm';
import { PROT_EXEC, PROT_READ, PROT_WRITE, VM_GROWSDOWN } from '../../lib/emukernel/mm/vma';
import { buildStatic } from './fixtures';
import { RANDOM, loadImage } from './load';

const bin = buildStatic('spec/exec/fixtures/auxdump.c', 'auxdump');
const ARGV = ['/bin/auxdump', 'one', '', 'three and four'];
const ENVP = ['HOME=/root', 'LANG=C', 'EMPTY='];

function str(mm: Mm, addr: number): string {
  return mm.readCString(addr, 1 << 20) ?? '<fault>';
}

test('the initial stack: argc, argv, envp and auxv exactly where Linux puts them', (t) => {
  const img = loadImage(bin, ARGV, ENVP, '/bin/auxdump');
  const mm = img.mm;
  const sp = img.sp;
  t.is(sp % 16, 0);
  const word = (i: number): number => mm.readU64Num(sp + 8 * i) as number;
  t.is(word(0), ARGV.length);
  ARGV.forEach((a, i) => t.is(str(mm, word(1 + i)), a));
  t.is(word(1 + ARGV.length), 0);
  const envBase = 2 + ARGV.length;
  ENVP.forEach((e, i) => t.is(str(mm, word(envBase + i)), e));
  t.is(word(envBase + ENVP.length), 0);

  const aux = new Map<number, number>();
  const order: number[] = [];
  for (let i = envBase + ENVP.length + 1; ; i += 2) {
    order.push(word(i));
    aux.set(word(i), word(i + 1));
    if (word(i) === AT_NULL) break;
  }
  // Linux's create_elf_tables order (riscv64 defines no AT_PLATFORM; we map no ELF vDSO).
  t.deepEqual(order, [AT_HWCAP, AT_PAGESZ, AT_CLKTCK, AT_PHDR, AT_PHENT, AT_PHNUM, 7, 8, AT_ENTRY, AT_UID, AT_EUID, AT_GID, AT_EGID, AT_SECURE, AT_RANDOM, AT_EXECFN, AT_NULL]);
  const header = execFileSync('riscv64-linux-gnu-readelf', ['-hlW', bin], { encoding: 'utf8' });
  t.is(aux.get(AT_ENTRY), Number(/Entry point address:\s+(\S+)/.exec(header)?.[1]));
  t.is(aux.get(AT_ENTRY), img.entry);
  t.is(aux.get(AT_PHNUM), Number(/Number of program headers:\s+(\d+)/.exec(header)?.[1]));
  t.is(aux.get(AT_PHENT), 56);
  t.is(aux.get(AT_PAGESZ), 4096);
  t.is(aux.get(AT_CLKTCK), 100);
  // I M A F D C: bits 8, 12, 0, 5, 3, 2 (the letter's offset from 'a').
  t.is(aux.get(AT_HWCAP), (1 << 8) | (1 << 12) | (1 << 0) | (1 << 5) | (1 << 3) | (1 << 2));
  for (const k of [AT_UID, AT_EUID, AT_GID, AT_EGID, AT_SECURE]) t.is(aux.get(k), 0);
  // AT_PHDR really points at the program header table: its first entry matches the file's.
  const phdr = aux.get(AT_PHDR) as number;
  const file = new Uint8Array(fs.readFileSync(bin));
  const phoff = parseElf(file, bin).phoff;
  t.deepEqual(mm.read(phdr, 56 * 2), file.subarray(phoff, phoff + 56 * 2));
  t.deepEqual(mm.read(aux.get(AT_RANDOM) as number, 16), RANDOM);
  t.is(str(mm, aux.get(AT_EXECFN) as number), '/bin/auxdump');

  // Strings: argv then envp then execfn, contiguous, ending 8 bytes below the top (Linux's bprm->p start).
  const execfn = aux.get(AT_EXECFN) as number;
  t.is(execfn + '/bin/auxdump'.length + 1, STACK_TOP - 8);
  t.deepEqual(mm.read(STACK_TOP - 8, 8), new Uint8Array(8));
  const all = [...ARGV, ...ENVP].map((s) => s + '\0').join('');
  const argStart = word(1);
  t.is(Buffer.from(mm.read(argStart, all.length) as Uint8Array).toString(), all);
  t.is(argStart + all.length, execfn);
  // AT_RANDOM's bytes sit just below the 16-byte aligned start of the strings.
  t.is(aux.get(AT_RANDOM), argStart - (argStart % 16) - 16);
  t.deepEqual(mm.layout.argStart, argStart);
  t.deepEqual(mm.layout.envEnd, execfn);
  t.is(mm.auxv.length, order.length);
});

test('the address space: segments by p_flags, brk after the bss, [vdso], an 8 MiB [stack]', (t) => {
  const img = loadImage(bin, ['x'], []);
  const mm = img.mm;
  const elf = parseElf(new Uint8Array(fs.readFileSync(bin)), bin);
  const text = elf.loads[0], data = elf.loads[1];
  t.is(mm.vmas.find(text.vaddr)?.prot, PROT_READ | PROT_EXEC);
  t.is(mm.vmas.find(data.vaddr)?.prot, PROT_READ | PROT_WRITE);
  t.is(mm.vmas.find(text.vaddr)?.name, bin);
  const bssEnd = data.vaddr + data.memsz;
  t.is(mm.startBrk, pageUp(bssEnd));
  t.is(mm.brk, mm.startBrk);
  t.not(mm.readPage((bssEnd - 1) / PAGE_SIZE >>> 0), null);
  t.is(mm.vmas.find(mm.startBrk), null, 'no heap until brk grows');
  // The bss starts zeroed, even inside the last file page (padzero).
  t.deepEqual(mm.read(data.vaddr + data.filesz, 64), new Uint8Array(64));
  t.deepEqual(mm.read(text.vaddr, 4), Uint8Array.from([0x7f, 0x45, 0x4c, 0x46]), 'the ELF header is mapped at the text start');

  const vdso = mm.vmas.find(SIGRETURN_TRAMPOLINE);
  t.is(vdso?.name, '[vdso]');
  t.is(vdso?.prot, PROT_READ | PROT_EXEC);
  t.is(mm.writePage(SIGRETURN_TRAMPOLINE / PAGE_SIZE), null);
  const stack = mm.vmas.find(STACK_TOP - 1);
  t.is(stack?.name, '[stack]');
  t.is(stack?.start, STACK_TOP - STACK_SIZE);
  t.is((stack?.flags ?? 0) & VM_GROWSDOWN, VM_GROWSDOWN);
  t.is(stack?.prot, PROT_READ | PROT_WRITE);
  t.is(mm.exePath, bin);
});

test('the trampoline is the assembler encoding of `li a7, 139; ecall`', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tramp-'));
  const src = path.join(dir, 't.s'), obj = path.join(dir, 't.o'), raw = path.join(dir, 't.bin');
  fs.writeFileSync(src, '.option norvc\nli a7, 139\necall\n');
  execFileSync('riscv64-linux-gnu-as', ['-march=rv64gc', '-o', obj, src]);
  execFileSync('riscv64-linux-gnu-objcopy', ['-O', 'binary', '-j', '.text', obj, raw]);
  const expected = new Uint8Array(fs.readFileSync(raw));
  const img = loadImage(bin, ['x'], []);
  t.deepEqual(img.mm.read(SIGRETURN_TRAMPOLINE, expected.length), expected);
  fs.rmSync(dir, { recursive: true });
});

test('argument limits: 2 MiB in all, 128 KiB per string (Linux E2BIG)', (t) => {
  const b = (n: number): Uint8Array => new Uint8Array(n).fill(65);
  t.true(argumentsFit([b(10)], [b(10)], b(5)));
  t.true(argumentsFit([b(128 * 1024 - 1)], [], b(5)));
  t.false(argumentsFit([b(128 * 1024)], [], b(5)));
  t.false(argumentsFit(Array.from({ length: 20 }, () => b(110 * 1024)), [], b(5)));
  t.true(argumentsFit(Array.from({ length: 18 }, () => b(110 * 1024)), [], b(5)));
});
