// mm syscalls: brk, mmap, munmap, mprotect, mremap, madvise, msync, mincore.
import { EFAULT } from '../errno';
import { argInt, argU32, argU64, SyscallTable } from '../syscall';
import { NR } from '../syscall-numbers';
import { mappableFileFor } from './file-map';
import { MAP_ANONYMOUS, adviseRegion, mapRegion, protectRegion, remapRegion, residency, setBrk, syncRegion, unmapRegion } from './ops';
import type { MappedFile } from './vma';

/** asm-generic's __NR3264_mmap; syscall-numbers.ts lacks the __NR3264_* names. */
export const NR_MMAP = 222;

export const mmSyscalls: SyscallTable = {
  [NR.brk]: (_k, t) => setBrk(t.mm, argU64(t, 0)),

  [NR_MMAP]: (_k, t) => {
    const flags = argU32(t, 3);
    let file: MappedFile | null = null;
    if ((flags & MAP_ANONYMOUS) === 0) {
      const f = mappableFileFor(t, argInt(t, 4));
      if (typeof f === 'number') return f;
      file = f;
    }
    return mapRegion(t.mm, { addr: argU64(t, 0), len: argU64(t, 1), prot: argU32(t, 2), flags, file, offset: argU64(t, 5) });
  },

  [NR.munmap]: (_k, t) => unmapRegion(t.mm, argU64(t, 0), argU64(t, 1)),

  [NR.mprotect]: (_k, t) => protectRegion(t.mm, argU64(t, 0), argU64(t, 1), argU32(t, 2)),

  [NR.mremap]: (_k, t) => remapRegion(t.mm, argU64(t, 0), argU64(t, 1), argU64(t, 2), argU32(t, 3), argU64(t, 4)),

  [NR.madvise]: (_k, t) => adviseRegion(t.mm, argU64(t, 0), argU64(t, 1), argInt(t, 2)),

  [NR.msync]: (_k, t) => syncRegion(t.mm, argU64(t, 0), argU64(t, 1), argInt(t, 2)),

  [NR.mincore]: (_k, t) => {
    const vec = residency(t.mm, argU64(t, 0), argU64(t, 1));
    if (typeof vec === 'number') return vec;
    return t.mm.write(argU64(t, 2), vec) ? 0 : -EFAULT;
  },
};
