// The riscv64 rt_sigframe (siginfo + ucontext) on the user stack: building it and restoring from it.
import { getU64, Reg, setI64 } from '../../arch/riscv64/state';
import type { Task } from '../task';
import { currentAltStack, onSigStack, readStackT, applyAltStack, writeStackT } from './altstack';
import { blockableMask, SA_ONSTACK, SS_AUTODISARM, SS_DISABLE } from './constants';
import type { SigInfo } from './pending';
import type { SigAction } from './sighand';
import { encodeSigInfo, SIGINFO_SIZE } from './siginfo';
import { SIGRETURN_TRAMPOLINE } from '../exec/vdso';

/*
 * Layout, from the cross toolchain's asm/ucontext.h, asm/sigcontext.h, asm/ptrace.h and glibc's
 * sys/ucontext.h (sizes checked with offsetof): struct rt_sigframe { siginfo_t info (128);
 * struct ucontext uc (960) }. ucontext: uc_flags 0, uc_link 8, uc_stack 16 (24 bytes), uc_sigmask 40
 * (8 bytes, then padding to 128 bytes), uc_mcontext 176. sigcontext: sc_regs = pc, x1..x31 (256
 * bytes), then union __riscv_fp_state (528 bytes, the Q variant's size): the kernel fills the D
 * variant (f[32] as u64, fcsr u32 at +256) and zeroes q.reserved[3] at +516, which sigreturn checks.
 */
export const UC_OFFSET = SIGINFO_SIZE;
export const UC_FLAGS = 0, UC_LINK = 8, UC_STACK = 16, UC_SIGMASK = 40, UC_MCONTEXT = 176;
export const UCONTEXT_SIZE = 960;
export const MC_FP = 256, FP_FCSR = 256, FP_Q_RESERVED = 516;
export const RT_SIGFRAME_SIZE = SIGINFO_SIZE + UCONTEXT_SIZE;

const REGS_AT = UC_OFFSET + UC_MCONTEXT;
const FP_AT = REGS_AT + MC_FP;

/**
 * Where the frame goes (Linux's get_sigframe): below sp, or at the top of the alternate stack for
 * SA_ONSTACK, 16-byte aligned. Returns -1 when the frame would overflow the alternate stack it is
 * already on (the caller then raises SIGSEGV, as Linux does with its bogus address).
 */
export function frameAddress(t: Task, sp: number, act: SigAction, size = RT_SIGFRAME_SIZE): number {
  if (onSigStack(t, sp) && !onSigStack(t, sp - size)) return -1;
  let top = sp;
  if ((act.flags & SA_ONSTACK) !== 0 && t.altStackSize !== 0 && !onSigStack(t, sp)) top = t.altStackSp + t.altStackSize;
  const frame = top - size;
  return frame < 0 ? -1 : frame - (frame % 16);
}

/** The frame's bytes for the task's current registers, `info` and the mask to restore on return. */
export function buildRtFrame(t: Task, info: SigInfo, savedMask: bigint): Uint8Array {
  const cpu = t.cpu;
  const bytes = new Uint8Array(RT_SIGFRAME_SIZE);
  bytes.set(encodeSigInfo(info), 0);
  const dv = new DataView(bytes.buffer);
  // uc_flags and uc_link stay 0.
  writeStackT(dv, UC_OFFSET + UC_STACK, currentAltStack(t, getU64(cpu, Reg.sp)));
  dv.setBigUint64(UC_OFFSET + UC_SIGMASK, savedMask, true);
  const x = cpu.x;
  dv.setUint32(REGS_AT, cpu.pc % 4294967296, true);
  dv.setUint32(REGS_AT + 4, Math.floor(cpu.pc / 4294967296), true);
  for (let r = 1; r < 32; r++) {
    dv.setInt32(REGS_AT + 8 * r, x[2 * r], true);
    dv.setInt32(REGS_AT + 8 * r + 4, x[2 * r + 1], true);
  }
  const fi = cpu.fi;
  for (let r = 0; r < 32; r++) {
    dv.setInt32(FP_AT + 8 * r, fi[2 * r], true);
    dv.setInt32(FP_AT + 8 * r + 4, fi[2 * r + 1], true);
  }
  dv.setUint32(FP_AT + FP_FCSR, (cpu.fflags & 0x1f) | ((cpu.frm & 7) << 5), true);
  return bytes;
}

/**
 * Build the handler's frame and point the registers at the handler (Linux's setup_rt_frame): sp =
 * frame, ra = the sigreturn trampoline, pc = handler, a0 = sig, a1 = &info, a2 = &uc (always, as
 * Linux does, whether or not SA_SIGINFO is set). Returns false, with registers untouched, if the
 * frame cannot be placed or written (the caller forces SIGSEGV).
 */
export function setupRtFrame(t: Task, sig: number, info: SigInfo, act: SigAction, savedMask: bigint): boolean {
  const cpu = t.cpu;
  const sp = getU64(cpu, Reg.sp);
  const frame = frameAddress(t, sp, act);
  if (frame < 0) return false;
  const bytes = buildRtFrame(t, info, savedMask);
  if (!t.mm.write(frame, bytes)) return false;
  if ((t.altStackFlags & SS_AUTODISARM) !== 0 && t.altStackSize !== 0) {
    t.altStackSp = 0;
    t.altStackSize = 0;
    t.altStackFlags = SS_DISABLE;
  }
  // A trap between LR and SC loses the reservation (the kernel's exception return does an SC).
  cpu.reservation = -1;
  setI64(cpu, Reg.ra, SIGRETURN_TRAMPOLINE);
  setI64(cpu, Reg.sp, frame);
  setI64(cpu, Reg.a0, sig);
  setI64(cpu, Reg.a1, frame);
  setI64(cpu, Reg.a2, frame + UC_OFFSET);
  cpu.pc = act.handler;
  return true;
}

/**
 * rt_sigreturn: restore the mask, every x and f register, fcsr and the alternate stack from the frame
 * at sp. Returns false (nothing changed) if the frame is unreadable or its reserved FP words are not
 * zero; the caller forces SIGSEGV then.
 */
export function restoreRtFrame(t: Task): boolean {
  const cpu = t.cpu;
  const frame = getU64(cpu, Reg.sp);
  const bytes = t.mm.read(frame, RT_SIGFRAME_SIZE);
  if (!bytes) return false;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < 3; i++) if (dv.getUint32(FP_AT + FP_Q_RESERVED + 4 * i, true) !== 0) return false;
  t.blocked = blockableMask(dv.getBigUint64(UC_OFFSET + UC_SIGMASK, true));
  cpu.pc = dv.getUint32(REGS_AT + 4, true) * 4294967296 + dv.getUint32(REGS_AT, true);
  const x = cpu.x;
  for (let r = 1; r < 32; r++) {
    x[2 * r] = dv.getInt32(REGS_AT + 8 * r, true);
    x[2 * r + 1] = dv.getInt32(REGS_AT + 8 * r + 4, true);
  }
  const fi = cpu.fi;
  for (let r = 0; r < 32; r++) {
    fi[2 * r] = dv.getInt32(FP_AT + 8 * r, true);
    fi[2 * r + 1] = dv.getInt32(FP_AT + 8 * r + 4, true);
  }
  const fcsr = dv.getUint32(FP_AT + FP_FCSR, true);
  cpu.fflags = fcsr & 0x1f;
  cpu.frm = (fcsr >>> 5) & 7;
  cpu.reservation = -1;
  // Linux ignores every sigaltstack error here but EFAULT (e.g. EPERM when returning onto the stack).
  applyAltStack(t, getU64(cpu, Reg.sp), readStackT(dv, UC_OFFSET + UC_STACK));
  return true;
}
