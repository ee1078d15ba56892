// Runs a program image on a bare hart with just enough syscalls for glibc start-up and stdio (no kernel needed).
import { Hart } from '../../lib/arch/riscv64/cpu';
import { CpuState, Reg, setI64, Stop } from '../../lib/arch/riscv64/state';
import type { Mm } from '../../lib/emukernel/mm/mm';
import type { ProgramImage } from '../../lib/emukernel/exec/image';
import { answerBareSyscall } from './bare-syscalls';

export interface RunOutcome {
  stdout: string;
  stderr: string;
  /** exit_group's status, or -1 if the program trapped or ran out of budget. */
  status: number;
  instructions: number;
}

/** Run `img` for at most `budget` instructions, answering ENOSYS to any syscall bare-syscalls.ts does not know. */
export function runImage(img: ProgramImage, budget = 50_000_000): RunOutcome {
  const cpu = new CpuState();
  cpu.pc = img.entry;
  setI64(cpu, Reg.sp, img.sp);
  const mm: Mm = img.mm;
  const hart = new Hart(cpu, mm);
  const out: Buffer[] = [], err: Buffer[] = [];
  while (cpu.instret < budget) {
    const stop = hart.run(Math.min(1_000_000, budget - cpu.instret));
    if (stop === Stop.Budget) continue;
    if (stop === Stop.Trap) return { stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), status: -1, instructions: cpu.instret };
    const status = answerBareSyscall(cpu, mm, { 1: out, 2: err });
    if (status !== null) return { stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), status, instructions: cpu.instret };
  }
  return { stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), status: -1, instructions: cpu.instret };
}
