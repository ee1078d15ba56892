// rt_sigaction, rt_sigprocmask, rt_sigpending and sigaltstack: a task's dispositions, mask and alternate stack.
import { getU64, Reg } from '../../arch/riscv64/state';
import { EFAULT, EINVAL } from '../errno';
import { argInt, argU64, SyscallOutcome } from '../syscall';
import type { Task } from '../task';
import { applyAltStack, currentAltStack, readStackT, STACK_T_SIZE, writeStackT } from './altstack';
import {
  blockableMask, isValidSignal, SA_KNOWN_FLAGS, sigBit, SIGKILL, SIGSET_SIZE, SIGSTOP, SIG_BLOCK, SIG_SETMASK, SIG_UNBLOCK,
} from './constants';
import { discardPending, retargetSharedPending } from './send';
import type { SigAction } from './sighand';
import type { SignalKernel } from './signal-kernel';

/** struct sigaction as riscv64's kernel reads it: no sa_restorer (the arch has no SA_RESTORER). */
const KSA_HANDLER = 0, KSA_FLAGS = 8, KSA_MASK = 16, KSA_SIZE = 24;

function encodeKernelSigaction(a: SigAction): Uint8Array {
  const b = new Uint8Array(KSA_SIZE);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(KSA_HANDLER, BigInt(a.handler), true);
  dv.setBigUint64(KSA_FLAGS, BigInt(a.flags >>> 0), true);
  dv.setBigUint64(KSA_MASK, a.mask, true);
  return b;
}

/** rt_sigaction(sig, act, oact, sigsetsize): 0, -EINVAL (bad signal, KILL/STOP, size), -EFAULT. */
export function sysRtSigaction(_k: SignalKernel, t: Task): SyscallOutcome {
  const sig = argInt(t, 0), actAddr = argU64(t, 1), oactAddr = argU64(t, 2), size = argU64(t, 3);
  if (size !== SIGSET_SIZE) return -EINVAL;
  if (!isValidSignal(sig) || (actAddr !== 0 && (sig === SIGKILL || sig === SIGSTOP))) return -EINVAL;
  let next: SigAction | null = null;
  if (actAddr !== 0) {
    const b = t.mm.read(actAddr, KSA_SIZE);
    if (!b) return -EFAULT;
    const dv = new DataView(b.buffer, b.byteOffset, KSA_SIZE);
    const handler = dv.getBigUint64(KSA_HANDLER, true);
    next = {
      handler: handler > 2n ** 53n ? 2 ** 53 : Number(handler),
      flags: (Number(dv.getBigUint64(KSA_FLAGS, true) & 0xffffffffn) & SA_KNOWN_FLAGS) >>> 0,
      mask: blockableMask(dv.getBigUint64(KSA_MASK, true)),
      restorer: 0,
    };
  }
  const old = t.sighand.get(sig);
  if (next) {
    t.sighand.set(sig, next);
    // POSIX: setting SIG_IGN (or a default that ignores) discards the signal if pending, blocked or not.
    if (t.sighand.ignores(sig)) discardPending(t.proc, sigBit(sig));
  }
  if (oactAddr !== 0 && !t.mm.write(oactAddr, encodeKernelSigaction(old))) return -EFAULT;
  return 0;
}

/** Set `t`'s mask (never holding SIGKILL/SIGSTOP), handing shared signals it now blocks to other threads. */
export function setBlockedMask(t: Task, mask: bigint): void {
  const next = blockableMask(mask);
  const newlyBlocked = next & ~t.blocked;
  t.blocked = next;
  if (newlyBlocked !== 0n) retargetSharedPending(t, newlyBlocked);
}

/** rt_sigprocmask(how, set, oset, sigsetsize): 0, -EINVAL, -EFAULT. Newly unblocked signals are delivered on return. */
export function sysRtSigprocmask(_k: SignalKernel, t: Task): SyscallOutcome {
  const how = argInt(t, 0), setAddr = argU64(t, 1), osetAddr = argU64(t, 2), size = argU64(t, 3);
  if (size !== SIGSET_SIZE) return -EINVAL;
  const old = t.blocked;
  if (setAddr !== 0) {
    const set = t.mm.readU64(setAddr);
    if (set === null) return -EFAULT;
    switch (how) {
      case SIG_BLOCK: setBlockedMask(t, old | set); break;
      case SIG_UNBLOCK: setBlockedMask(t, old & ~set); break;
      case SIG_SETMASK: setBlockedMask(t, set); break;
      default: return -EINVAL;
    }
  }
  if (osetAddr !== 0 && !t.mm.writeU64(osetAddr, old)) return -EFAULT;
  return 0;
}

/** rt_sigpending(set, sigsetsize): the blocked signals pending for the thread or its group. */
export function sysRtSigpending(_k: SignalKernel, t: Task): SyscallOutcome {
  const addr = argU64(t, 0), size = argU64(t, 1);
  if (size > SIGSET_SIZE) return -EINVAL;
  const pending = (t.pending.mask | t.proc.signal.shared.mask) & t.blocked;
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, pending, true);
  return t.mm.write(addr, b.subarray(0, size)) ? 0 : -EFAULT;
}

/** sigaltstack(ss, old_ss): 0, -EPERM (on the stack now), -EINVAL, -ENOMEM (too small), -EFAULT. */
export function sysSigaltstack(_k: SignalKernel, t: Task): SyscallOutcome {
  const ssAddr = argU64(t, 0), oldAddr = argU64(t, 1);
  const sp = getU64(t.cpu, Reg.sp);
  const old = currentAltStack(t, sp);
  if (ssAddr !== 0) {
    const b = t.mm.read(ssAddr, STACK_T_SIZE);
    if (!b) return -EFAULT;
    const r = applyAltStack(t, sp, readStackT(new DataView(b.buffer, b.byteOffset, STACK_T_SIZE), 0));
    if (r < 0) return r;
  }
  if (oldAddr !== 0) {
    const b = new Uint8Array(STACK_T_SIZE);
    writeStackT(new DataView(b.buffer), 0, old);
    if (!t.mm.write(oldAddr, b)) return -EFAULT;
  }
  return 0;
}
