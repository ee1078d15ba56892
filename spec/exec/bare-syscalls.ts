// The few syscalls glibc's start-up, stdio and malloc need, answered without a kernel (bare-hart test runners).
import { CpuState, getI32, getU64, Reg, setI64 } from '../../lib/arch/riscv64/state';
import type { Mm } from '../../lib/emukernel/mm/mm';
import { adviseRegion, mapRegion, protectRegion, remapRegion, setBrk, unmapRegion } from '../../lib/emukernel/mm/ops';

const ENOSYS = 38, EBADF = 9, EFAULT = 14;

/**
 * Answer the ecall `cpu` is stopped at: write(1|2) goes to `out[fd]`, mm syscalls go to mm/ops,
 * anything else is ENOSYS. Returns the exit status for exit/exit_group (pc left at the ecall),
 * otherwise null after setting a0 and moving past the ecall.
 */
export function answerBareSyscall(cpu: CpuState, mm: Mm, out: { 1: Buffer[]; 2: Buffer[] }): number | null {
  const a = (i: number): number => getU64(cpu, Reg.a0 + i);
  let r = -ENOSYS;
  switch (getI32(cpu, Reg.a7)) {
    case 64: { // write
      const data = mm.read(a(1), a(2));
      const fd = getI32(cpu, Reg.a0);
      if (data === null) r = -EFAULT;
      else if (fd === 1 || fd === 2) { out[fd].push(Buffer.from(data)); r = data.length; }
      else r = -EBADF;
      break;
    }
    case 93: case 94: return getI32(cpu, Reg.a0) & 0xff;
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
  return null;
}
