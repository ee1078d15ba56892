// Runs a program image on a bare hart with just enough syscalls for glibc start-up and stdio (no kernel needed).
import { Hart } from '../../lib/arch/riscv64/cpu';
import { CpuState, getI32, getU64, Reg, setI64, Stop } from '../../lib/arch/riscv64/state';
import type { Mm } from '../../lib/emukernel/mm/mm';
import { mapRegion, protectRegion, remapRegion, setBrk, unmapRegion, adviseRegion } from '../../lib/emukernel/mm/ops';
import type { ProgramImage } from '../../lib/emukernel/exec/image';

export interface RunOutcome {
  stdout: string;
  stderr: string;
  /** exit_group's status, or -1 if the program trapped or ran out of budget. */
  status: number;
  instructions: number;
}

const ENOSYS = 38, EBADF = 9;

/** Run `img` for at most `budget` instructions, answering ENOSYS to any syscall not listed here. */
export function runImage(img: ProgramImage, budget = 50_000_000): RunOutcome {
  const cpu = new CpuState();
  cpu.pc = img.entry;
  setI64(cpu, Reg.sp, img.sp);
  const mm: Mm = img.mm;
  const hart = new Hart(cpu, mm);
  const out: Buffer[] = [], err: Buffer[] = [];
  const a = (i: number): number => getU64(cpu, Reg.a0 + i);
  while (cpu.instret < budget) {
    const stop = hart.run(Math.min(1_000_000, budget - cpu.instret));
    if (stop === Stop.Budget) continue;
    if (stop === Stop.Trap) return { stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), status: -1, instructions: cpu.instret };
    const nr = getI32(cpu, Reg.a7);
    let r = -ENOSYS;
    switch (nr) {
      case 64: { // write
        const data = mm.read(a(1), a(2));
        const fd = getI32(cpu, Reg.a0);
        if (data === null) r = -14;
        else if (fd === 1 || fd === 2) { (fd === 1 ? out : err).push(Buffer.from(data)); r = data.length; }
        else r = -EBADF;
        break;
      }
      case 93: case 94:
        return { stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), status: getI32(cpu, Reg.a0) & 0xff, instructions: cpu.instret };
      case 214: r = setBrk(mm, a(0)); break;
      case 222: r = mapRegion(mm, { addr: a(0), len: a(1), prot: a(2), flags: a(3) >>> 0, file: null, offset: a(5) }); break;
      case 215: r = unmapRegion(mm, a(0), a(1)); break;
      case 226: r = protectRegion(mm, a(0), a(1), a(2)); break;
      case 216: r = remapRegion(mm, a(0), a(1), a(2), a(3), a(4)); break;
      case 233: r = adviseRegion(mm, a(0), a(1), a(2)); break;
    }
    setI64(cpu, Reg.a0, r);
    cpu.pc += 4;
    cpu.instret++;
  }
  return { stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), status: -1, instructions: cpu.instret };
}
