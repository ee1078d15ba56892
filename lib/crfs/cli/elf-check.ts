// Checks a host file before it is handed to emukernel, so a bad program gets a one-line reason, not a crash.
import * as fs from 'node:fs';
import { CliError } from './errors';

const EM_RISCV = 243;
const ET_EXEC = 2, ET_DYN = 3;
const PT_LOAD = 1, PT_INTERP = 3;
const EHDR64_SIZE = 64, PHDR64_SIZE = 56;

/** Machine numbers people are likely to feed us by mistake, for the message (elf.h EM_*). */
const MACHINE_NAMES: Record<number, string> = {
  3: 'x86 (EM_386)', 8: 'MIPS', 20: 'PowerPC', 21: 'PowerPC64', 22: 's390', 40: 'ARM', 62: 'x86-64 (EM_X86_64)',
  183: 'AArch64', 243: 'RISC-V', 258: 'LoongArch',
};
const TYPE_NAMES: Record<number, string> = { 0: 'ET_NONE', 1: 'ET_REL (an object file)', 4: 'ET_CORE (a core dump)' };

/**
 * Validates `hostPath` as something emukernel can start: an existing, executable, regular file holding a
 * complete 64-bit little-endian RISC-V ELF executable with no program interpreter. Returns the file's
 * bytes. Throws CliError with status 127 when the file does not exist and 126 for every other problem,
 * the message being `<path>: <what is wrong>` (as a shell would report a failed exec).
 */
export function checkHostElf(hostPath: string): Buffer {
  let st: fs.Stats;
  try {
    st = fs.statSync(hostPath);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new CliError(`${hostPath}: No such file or directory`, 127);
    throw new CliError(`${hostPath}: cannot stat: ${code ?? 'error'}`, 126);
  }
  if (st.isDirectory()) throw new CliError(`${hostPath}: Is a directory`, 126);
  if (!st.isFile()) throw new CliError(`${hostPath}: not a regular file`, 126);
  if ((st.mode & 0o111) === 0) throw new CliError(`${hostPath}: Permission denied (not executable)`, 126);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(hostPath);
  } catch (e) {
    throw new CliError(`${hostPath}: cannot read: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, 126);
  }
  const problem = describeElfProblem(bytes);
  if (problem !== null) throw new CliError(`${hostPath}: ${problem}`, 126);
  return bytes;
}

/** Returns why `b` is not a static riscv64 ELF executable emukernel can load, or null if it looks fine. */
export function describeElfProblem(b: Buffer): string | null {
  if (b.length < 4 || b[0] !== 0x7f || b[1] !== 0x45 || b[2] !== 0x4c || b[3] !== 0x46) {
    return 'not an ELF file (Exec format error)';
  }
  if (b.length < 20) return `truncated ELF: ${b.length} bytes, shorter than the ELF identification`;
  if (b[4] === 1) return 'ELF class is 32-bit (ELFCLASS32), expected 64-bit RISC-V (ELFCLASS64)';
  if (b[4] !== 2) return `ELF class ${b[4]} is invalid, expected ELFCLASS64`;
  if (b[5] !== 1) return 'ELF data encoding is not little-endian (ELFDATA2LSB)';
  const machine = b.readUInt16LE(18);
  if (machine !== EM_RISCV) {
    return `ELF machine is ${MACHINE_NAMES[machine] ?? `number ${machine}`}, expected RISC-V (EM_RISCV)`;
  }
  if (b.length < EHDR64_SIZE) return `truncated ELF: ${b.length} bytes, shorter than the 64-byte ELF header`;
  const type = b.readUInt16LE(16);
  if (type !== ET_EXEC && type !== ET_DYN) return `not an executable: ELF type ${TYPE_NAMES[type] ?? type}`;
  const phoff = Number(b.readBigUInt64LE(32));
  const phentsize = b.readUInt16LE(54), phnum = b.readUInt16LE(56);
  if (phnum === 0) return 'ELF has no program headers';
  if (phentsize !== PHDR64_SIZE) return `ELF program header size is ${phentsize}, expected ${PHDR64_SIZE}`;
  const phend = phoff + phnum * phentsize;
  if (phend > b.length) return `truncated ELF: ${b.length} bytes, program headers end at ${phend}`;
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    const ptype = b.readUInt32LE(ph);
    const offset = Number(b.readBigUInt64LE(ph + 8)), filesz = Number(b.readBigUInt64LE(ph + 32));
    if (ptype === PT_INTERP) {
      const interp = b.subarray(offset, Math.min(b.length, offset + filesz)).toString('latin1').replace(/\0.*$/s, '');
      return `dynamically linked (interpreter ${interp || '?'}); emukernel runs static executables only (link with -static)`;
    }
    if (ptype === PT_LOAD && offset + filesz > b.length) {
      return `truncated ELF: ${b.length} bytes, segment ${i} needs bytes up to ${offset + filesz}`;
    }
  }
  return null;
}
