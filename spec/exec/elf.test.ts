// ELF validation: what a static riscv64 executable parses to (checked against readelf), and every rejection.
import test from 'ava';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { ExecError } from '../../lib/emukernel/errno';
import { ET_DYN, ET_EXEC, PF_R, PF_W, PF_X, parseElf } from '../../lib/emukernel/exec/elf';
import { ET_DYN_BASE } from '../../lib/emukernel/mm/layout';
import { buildRiscv, buildStatic } from './fixtures';

const hello = buildStatic('examples/hello.c', 'hello');
const dynamic = buildRiscv('examples/hello.c', 'hello-dynamic', []);
const pie = buildRiscv('spec/exec/fixtures/pie.c', 'pie', ['-nostdlib', '-static-pie', '-fPIE', '-Wl,--no-dynamic-linker']);

function bytesOf(p: string): Uint8Array {
  return new Uint8Array(fs.readFileSync(p));
}

/** A copy of hello with `edit` applied to its bytes. */
function patched(edit: (b: Uint8Array, dv: DataView) => void): Uint8Array {
  const b = bytesOf(hello).slice();
  edit(b, new DataView(b.buffer));
  return b;
}

function rejection(t: import('ava').ExecutionContext, bytes: Uint8Array, message: string): void {
  const e = t.throws(() => parseElf(bytes, 'prog'), { instanceOf: ExecError });
  if (e === undefined) return;
  t.is(e.message, `prog: ${message}`);
  t.is((e as ExecError).status, 126);
  t.is((e as ExecError).errno, 8, 'ENOEXEC');
}

/** readelf's view of the program headers, the reference for what parseElf reports. */
function readelfLoads(p: string): { offset: number; vaddr: number; filesz: number; memsz: number; flags: string }[] {
  const text = execFileSync('riscv64-linux-gnu-readelf', ['-lW', p], { encoding: 'utf8' });
  return text.split('\n').filter((l) => /^\s+LOAD\s/.test(l)).map((l) => {
    const f = l.trim().split(/\s+/);
    return { offset: Number(f[1]), vaddr: Number(f[2]), filesz: Number(f[4]), memsz: Number(f[5]), flags: f.slice(6, -1).join('') };
  });
}

test('a static glibc executable parses as readelf sees it', (t) => {
  const elf = parseElf(bytesOf(hello), hello);
  const header = execFileSync('riscv64-linux-gnu-readelf', ['-hW', hello], { encoding: 'utf8' });
  t.is(elf.type, ET_EXEC);
  t.is(elf.bias, 0);
  t.is(elf.entry, Number(/Entry point address:\s+(\S+)/.exec(header)?.[1]));
  t.is(elf.phnum, Number(/Number of program headers:\s+(\d+)/.exec(header)?.[1]));
  const loads = readelfLoads(hello);
  t.deepEqual(elf.loads.map((s) => [s.offset, s.vaddr, s.filesz, s.memsz]), loads.map((s) => [s.offset, s.vaddr, s.filesz, s.memsz]));
  const flagText = (f: number): string => `${f & PF_R ? 'R' : ''}${f & PF_W ? 'W' : ''}${f & PF_X ? 'E' : ''}`;
  t.deepEqual(elf.loads.map((s) => flagText(s.flags)), loads.map((s) => s.flags));
  t.not(elf.tls, null, 'glibc static binaries have PT_TLS');
  t.not(elf.relro, null);
  t.is(elf.stackFlags & PF_X, 0);
  // The program headers sit in the first (text) segment, right after the ELF header.
  t.is(elf.phdrAddr, loads[0].vaddr + elf.phoff - loads[0].offset);
});

test('a static-pie (ET_DYN without PT_INTERP) is biased to ET_DYN_BASE', (t) => {
  const elf = parseElf(bytesOf(pie), pie);
  t.is(elf.type, ET_DYN);
  t.is(elf.bias, ET_DYN_BASE);
  t.is(elf.loads[0].vaddr, ET_DYN_BASE);
  const header = execFileSync('riscv64-linux-gnu-readelf', ['-hW', pie], { encoding: 'utf8' });
  t.is(elf.entry, ET_DYN_BASE + Number(/Entry point address:\s+(\S+)/.exec(header)?.[1]));
});

test('rejects a file that is not ELF', (t) => {
  rejection(t, Buffer.from('#!/bin/sh\necho hi\n'), 'not an ELF file');
  rejection(t, new Uint8Array(0), 'not an ELF file');
  rejection(t, Uint8Array.from([0x7f, 0x45, 0x4c]), 'not an ELF file');
});

test('rejects a dynamically linked executable, naming its interpreter', (t) => {
  const interp = /Requesting program interpreter: ([^\]]+)\]/.exec(execFileSync('riscv64-linux-gnu-readelf', ['-lW', dynamic], { encoding: 'utf8' }))?.[1];
  t.is(interp, '/lib/ld-linux-riscv64-lp64d.so.1');
  rejection(t, bytesOf(dynamic), `dynamically linked (has PT_INTERP ${interp}); only static executables run`);
});

test('rejects the host machine binary and other machines by name', (t) => {
  const host = fs.realpathSync('/bin/true');
  const machine = /Machine:\s+(.*)/.exec(execFileSync('readelf', ['-h', host], { encoding: 'utf8' }))?.[1];
  t.is(machine, 'Advanced Micro Devices X86-64');
  rejection(t, bytesOf(host), 'ELF for another machine (x86-64)');
  rejection(t, patched((_b, dv) => dv.setUint16(18, 183, true)), 'ELF for another machine (AArch64)');
  rejection(t, patched((_b, dv) => dv.setUint16(18, 9999, true)), 'ELF for another machine (machine 9999)');
});

test('rejects 32-bit and big-endian ELF', (t) => {
  rejection(t, patched((b) => { b[4] = 1; }), '32-bit ELF');
  rejection(t, patched((b) => { b[5] = 2; }), 'big-endian ELF');
  rejection(t, patched((b) => { b[4] = 7; }), 'bad ELF class 7');
});

test('rejects objects that are not executables', (t) => {
  rejection(t, patched((_b, dv) => dv.setUint16(16, 1, true)), 'not an executable (relocatable object)');
  rejection(t, patched((_b, dv) => dv.setUint16(16, 4, true)), 'not an executable (core dump)');
});

test('rejects malformed program header tables', (t) => {
  rejection(t, patched((_b, dv) => dv.setUint16(54, 32, true)), 'bad ELF (program header size 32, expected 56)');
  rejection(t, patched((_b, dv) => dv.setUint16(56, 0, true)), 'bad ELF (no program headers)');
});

test('rejects truncated files, naming the first missing piece', (t) => {
  const full = bytesOf(hello);
  rejection(t, full.subarray(0, 40), 'truncated ELF (header)');
  rejection(t, full.subarray(0, 64 + 3 * 56 + 10), 'truncated ELF (program header 3 beyond end of file)');
  const loads = readelfLoads(hello);
  const dataSeg = parseElf(full, hello).loads[1].index;
  rejection(t, full.subarray(0, loads[1].offset + 16), `truncated ELF (segment ${dataSeg} beyond end of file)`);
});

test('rejects segments that cannot be loaded', (t) => {
  const elf = parseElf(bytesOf(hello), hello);
  const i = elf.loads[1].index;
  const ph = (b: DataView): number => Number(b.getBigUint64(32, true)) + i * 56;
  rejection(t, patched((_b, dv) => dv.setBigUint64(ph(dv) + 32, dv.getBigUint64(ph(dv) + 40, true) + 1n, true)),
    `bad ELF (segment ${i}: file size larger than memory size)`);
  rejection(t, patched((_b, dv) => dv.setBigUint64(ph(dv) + 16, dv.getBigUint64(ph(dv) + 16, true) + 8n, true)),
    `bad ELF (segment ${i}: address and file offset differ modulo the page size)`);
  const high = 0x7fff_ffff_f000 + (elf.loads[1].vaddr % 4096);
  rejection(t, patched((_b, dv) => dv.setBigUint64(ph(dv) + 16, BigInt(high), true)),
    `bad ELF (segment ${i} at 0x${high.toString(16)} is outside the user address space)`);
  rejection(t, patched((_b, dv) => dv.setBigUint64(ph(dv) + 16, BigInt(elf.loads[1].vaddr % 4096), true)),
    `bad ELF (segment ${i} at 0x${(elf.loads[1].vaddr % 4096).toString(16)} is outside the user address space)`);
});
