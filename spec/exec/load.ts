// Builds a program image straight from a host file, as execProgram would from the memfs root.
import * as fs from 'fs';
import { parseElf } from '../../lib/emukernel/exec/elf';
import { ProgramImage, buildProgramImage } from '../../lib/emukernel/exec/image';
import { PagePool } from '../../lib/emukernel/mm/page';

export const RANDOM = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);

export function loadImage(bin: string, argv: string[], envp: string[], execfn = bin): ProgramImage {
  const bytes = new Uint8Array(fs.readFileSync(bin));
  return buildProgramImage({
    bytes, elf: parseElf(bytes, bin), execfn: Buffer.from(execfn), exePath: bin,
    argv: argv.map((s) => Buffer.from(s)), envp: envp.map((s) => Buffer.from(s)), random: RANDOM, pool: new PagePool(),
  });
}
