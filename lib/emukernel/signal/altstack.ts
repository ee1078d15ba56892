// The alternate signal stack (sigaltstack): where it is, whether sp is on it, and changing it.
import { EINVAL, ENOMEM, EPERM } from '../errno';
import type { Task } from '../task';
import { KERNEL_MINSIGSTKSZ, SS_AUTODISARM, SS_DISABLE, SS_ONSTACK } from './constants';

/** stack_t: ss_sp at 0, ss_flags (int) at 8, ss_size at 16. */
export const STACK_T_SIZE = 24;

export interface StackT {
  sp: number;
  flags: number;
  size: number;
}

/** True when `sp` lies on `t`'s alternate stack (stacks grow down, so the top address itself counts). */
export function onSigStack(t: Task, sp: number): boolean {
  if (t.altStackSize === 0 || (t.altStackFlags & SS_AUTODISARM) !== 0) return false;
  return sp > t.altStackSp && sp - t.altStackSp <= t.altStackSize;
}

/** The stack_t that sigaltstack's old-value argument and uc_stack report for a task running at `sp`. */
export function currentAltStack(t: Task, sp: number): StackT {
  let flags: number;
  if (t.altStackSize === 0) flags = SS_DISABLE;
  else flags = (onSigStack(t, sp) ? SS_ONSTACK : 0) | (t.altStackFlags & SS_AUTODISARM);
  return { sp: t.altStackSp, flags: flags | 0, size: t.altStackSize };
}

/** Linux's do_sigaltstack for a new stack: 0 or -errno (EPERM while running on it, EINVAL, ENOMEM). */
export function applyAltStack(t: Task, sp: number, ss: StackT): number {
  if (onSigStack(t, sp)) return -EPERM;
  const mode = (ss.flags & ~SS_AUTODISARM) >>> 0;
  if (mode !== SS_DISABLE && mode !== SS_ONSTACK && mode !== 0) return -EINVAL;
  if (mode === SS_DISABLE) {
    t.altStackSp = 0;
    t.altStackSize = 0;
    t.altStackFlags = SS_DISABLE;
    return 0;
  }
  if (ss.size < KERNEL_MINSIGSTKSZ) return -ENOMEM;
  t.altStackSp = ss.sp;
  t.altStackSize = ss.size;
  t.altStackFlags = (ss.flags & SS_AUTODISARM) >>> 0;
  return 0;
}

/** Encode a stack_t into `dv` at `off`. */
export function writeStackT(dv: DataView, off: number, ss: StackT): void {
  dv.setBigUint64(off, BigInt(ss.sp), true);
  dv.setInt32(off + 8, ss.flags, true);
  dv.setInt32(off + 12, 0, true);
  dv.setBigUint64(off + 16, BigInt(ss.size), true);
}

/** Decode a stack_t; sizes beyond 2^53 are clamped (no real stack is that large). */
export function readStackT(dv: DataView, off: number): StackT {
  const sp = dv.getBigUint64(off, true), size = dv.getBigUint64(off + 16, true);
  const clamp = (v: bigint): number => (v > 2n ** 53n ? 2 ** 53 : Number(v));
  return { sp: clamp(sp), flags: dv.getInt32(off + 8, true), size: clamp(size) };
}
