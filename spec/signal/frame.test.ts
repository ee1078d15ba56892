// The rt_sigframe: its layout against the toolchain's headers, the handler's registers, and rt_sigreturn's exact restore.
import test from 'ava';
import { Reg, setI64 } from '../../lib/arch/riscv64/state';
import { SIGRETURN_TRAMPOLINE } from '../../lib/emukernel/exec/vdso';
import { JUMPED } from '../../lib/emukernel/syscall';
import { NR } from '../../lib/emukernel/syscall-numbers';
import * as C from '../../lib/emukernel/signal/constants';
import { deliverPendingSignals } from '../../lib/emukernel/signal/deliver';
import {
  FP_FCSR, FP_Q_RESERVED, MC_FP, RT_SIGFRAME_SIZE, UC_MCONTEXT, UC_OFFSET, UC_SIGMASK, UC_STACK, UCONTEXT_SIZE,
} from '../../lib/emukernel/signal/frame';
import { sendSignalToTask } from '../../lib/emukernel/signal/send';
import { SIGINFO_SIZE } from '../../lib/emukernel/signal/siginfo';
import { sysSigaltstack } from '../../lib/emukernel/signal/syscalls-action';
import { sysRtSigreturn } from '../../lib/emukernel/signal/syscalls-wait';
import type { Task } from '../../lib/emukernel/task';
import { callSyscall, DATA_LO, FakeKernel, INITIAL_SP, makeProcess, reg, STACK_LO, UNMAPPED } from './fixture';
import { signalAbi } from './oracle';

const HANDLER = 0x10400;

/** Fill every x (but sp) and f register and fcsr with distinct deterministic patterns. */
function scramble(t: Task, seed: number): void {
  let s = seed >>> 0;
  const next = (): number => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s | 0; };
  for (let r = 1; r < 32; r++) {
    if (r === Reg.sp) continue;
    t.cpu.x[2 * r] = next();
    t.cpu.x[2 * r + 1] = next();
  }
  for (let i = 0; i < 64; i++) t.cpu.fi[i] = next();
  t.cpu.fi[2] = 0x7fc00000; // a NaN-boxed single in f1
  t.cpu.fi[3] = -1;
  t.cpu.fflags = (next() >>> 0) & 0x1f;
  t.cpu.frm = (next() >>> 0) % 5;
}

function snapshot(t: Task): { x: number[]; f: number[]; pc: number; fflags: number; frm: number } {
  return { x: [...t.cpu.x], f: [...t.cpu.fi], pc: t.cpu.pc, fflags: t.cpu.fflags, frm: t.cpu.frm };
}

function setup(flags = C.SA_SIGINFO, mask = 0n): { k: FakeKernel; t: Task } {
  const k = new FakeKernel();
  const t = makeProcess(k, 42);
  t.sighand.set(C.SIGUSR1, { handler: HANDLER, flags, mask, restorer: 0 });
  return { k, t };
}

test('layout constants and flag values match the riscv64 toolchain headers and qemu', (t) => {
  const abi = signalAbi();
  t.is(abi.get('siginfo.size'), SIGINFO_SIZE);
  t.is(abi.get('ucontext.size'), UCONTEXT_SIZE);
  t.is(abi.get('kucontext.size'), UCONTEXT_SIZE);
  t.is(abi.get('ucontext.uc_stack'), UC_STACK);
  t.is(abi.get('ucontext.uc_sigmask'), UC_SIGMASK);
  t.is(abi.get('ucontext.uc_mcontext'), UC_MCONTEXT);
  t.is(abi.get('mcontext.fpregs'), MC_FP);
  t.is(abi.get('ksigcontext.sc_fpregs'), MC_FP);
  t.is(abi.get('mcontext.fcsr'), MC_FP + FP_FCSR);
  t.is(abi.get('ksigcontext.q_reserved'), MC_FP + FP_Q_RESERVED);
  t.is(abi.get('handler.uc_minus_info'), UC_OFFSET);
  t.is(RT_SIGFRAME_SIZE, SIGINFO_SIZE + UCONTEXT_SIZE);
  t.is(abi.get('ksigset.size'), C.SIGSET_SIZE);
  for (const name of ['SA_NOCLDSTOP', 'SA_NOCLDWAIT', 'SA_SIGINFO', 'SA_ONSTACK', 'SA_RESTART', 'SA_NODEFER', 'SA_RESETHAND',
    'SS_ONSTACK', 'SS_DISABLE', 'SS_AUTODISARM', 'SI_USER', 'SI_KERNEL', 'SI_QUEUE', 'SI_TIMER', 'SI_TKILL',
    'CLD_EXITED', 'CLD_KILLED', 'CLD_DUMPED', 'CLD_STOPPED', 'CLD_CONTINUED'] as const) {
    t.is(abi.get(name), C[name], name);
  }
  t.is(abi.get('kMINSIGSTKSZ'), C.KERNEL_MINSIGSTKSZ);
  const sigs: Record<string, number> = { HUP: C.SIGHUP, INT: C.SIGINT, QUIT: C.SIGQUIT, ILL: C.SIGILL, TRAP: C.SIGTRAP,
    ABRT: C.SIGABRT, BUS: C.SIGBUS, FPE: C.SIGFPE, KILL: C.SIGKILL, USR1: C.SIGUSR1, SEGV: C.SIGSEGV, USR2: C.SIGUSR2,
    PIPE: C.SIGPIPE, ALRM: C.SIGALRM, TERM: C.SIGTERM, STKFLT: C.SIGSTKFLT, CHLD: C.SIGCHLD, CONT: C.SIGCONT,
    STOP: C.SIGSTOP, TSTP: C.SIGTSTP, TTIN: C.SIGTTIN, TTOU: C.SIGTTOU, URG: C.SIGURG, XCPU: C.SIGXCPU, XFSZ: C.SIGXFSZ,
    VTALRM: C.SIGVTALRM, PROF: C.SIGPROF, WINCH: C.SIGWINCH, POLL: C.SIGIO, PWR: C.SIGPWR, SYS: C.SIGSYS };
  for (const [n, v] of Object.entries(sigs)) t.is(abi.get(`sig.${n}`), v, n);
});

test('delivery builds the frame below sp, 16-aligned, and enters the handler as Linux does', (t) => {
  const abi = signalAbi();
  const { k, t: task } = setup(C.SA_SIGINFO, C.sigBit(C.SIGUSR2));
  scramble(task, 1);
  task.blocked = C.sigBit(C.SIGHUP);
  const before = snapshot(task);
  sendSignalToTask(k, task, C.SIGUSR1, { signo: C.SIGUSR1, code: C.SI_TKILL, pid: 7, uid: 1000 });
  deliverPendingSignals(k, task);
  const sp = reg(task, Reg.sp);
  t.is(sp % 16, 0);
  t.true(sp <= INITIAL_SP - RT_SIGFRAME_SIZE && sp > INITIAL_SP - RT_SIGFRAME_SIZE - 16);
  t.is(task.cpu.pc, HANDLER);
  t.is(reg(task, Reg.ra), SIGRETURN_TRAMPOLINE);
  t.is(reg(task, Reg.a0), C.SIGUSR1);
  t.is(reg(task, Reg.a1), sp);
  t.is(reg(task, Reg.a2), sp + abi.get('handler.uc_minus_info')!);
  t.is(task.blocked, C.sigBit(C.SIGHUP) | C.sigBit(C.SIGUSR1) | C.sigBit(C.SIGUSR2));
  // siginfo, read with the toolchain's offsets.
  const info = task.mm.read(sp, 128)!;
  const iv = new DataView(info.buffer);
  t.is(iv.getInt32(abi.get('siginfo.si_signo')!, true), C.SIGUSR1);
  t.is(iv.getInt32(abi.get('siginfo.si_code')!, true), C.SI_TKILL);
  t.is(iv.getInt32(abi.get('siginfo.si_pid')!, true), 7);
  t.is(iv.getUint32(abi.get('siginfo.si_uid')!, true), 1000);
  // ucontext: saved mask, pc, every register, the FP state.
  const uc = reg(task, Reg.a2);
  const mc = uc + abi.get('ucontext.uc_mcontext')!;
  t.is(task.mm.readU64(uc + abi.get('ucontext.uc_sigmask')!), C.sigBit(C.SIGHUP));
  t.is(task.mm.readU64Num(mc), before.pc);
  for (let r = 1; r < 32; r++) {
    const want = r === Reg.sp ? BigInt(INITIAL_SP) : (BigInt(before.x[2 * r + 1] >>> 0) << 32n) | BigInt(before.x[2 * r] >>> 0);
    t.is(task.mm.readU64(mc + 8 * r), want, `x${r}`);
  }
  const fp = mc + abi.get('mcontext.fpregs')!;
  for (let i = 0; i < 32; i++) {
    t.is(task.mm.readU32(fp + 8 * i), before.f[2 * i] >>> 0, `f${i} lo`);
    t.is(task.mm.readU32(fp + 8 * i + 4), before.f[2 * i + 1] >>> 0, `f${i} hi`);
  }
  t.is(task.mm.readU32(mc + abi.get('mcontext.fcsr')!), before.fflags | (before.frm << 5));
  t.deepEqual([...task.mm.read(mc + abi.get('mcontext.q_reserved')!, 12)!], new Array(12).fill(0));
  // uc_stack: no alternate stack.
  t.is(task.mm.readU32(uc + abi.get('ucontext.uc_stack')! + abi.get('stack_t.ss_flags')!), C.SS_DISABLE);
});

test('rt_sigreturn restores every x and f register, fcsr, pc and the mask exactly', (t) => {
  const { k, t: task } = setup(C.SA_SIGINFO);
  scramble(task, 2);
  task.blocked = C.sigBit(C.SIGTERM) | C.sigBit(40);
  const before = snapshot(task);
  sendSignalToTask(k, task, C.SIGUSR1, { signo: C.SIGUSR1, code: 0, pid: 1, uid: 0 });
  deliverPendingSignals(k, task);
  const frame = reg(task, Reg.sp);
  scramble(task, 3); // the handler may trash everything
  task.blocked = C.FULL_MASK;
  setI64(task.cpu, Reg.sp, frame); // back at the frame when the trampoline's ecall runs
  task.cpu.pc = SIGRETURN_TRAMPOLINE + 4;
  t.is(sysRtSigreturn(k, task), JUMPED);
  t.deepEqual(snapshot(task), before);
  t.is(task.blocked, C.sigBit(C.SIGTERM) | C.sigBit(40));
});

test('rt_sigreturn never restores SIGKILL or SIGSTOP into the mask', (t) => {
  const { k, t: task } = setup();
  sendSignalToTask(k, task, C.SIGUSR1, { signo: C.SIGUSR1, code: 0, pid: 1, uid: 0 });
  deliverPendingSignals(k, task);
  const uc = reg(task, Reg.a2);
  task.mm.writeU64(uc + UC_SIGMASK, C.FULL_MASK);
  t.is(sysRtSigreturn(k, task), JUMPED);
  t.is(task.blocked, C.blockableMask(C.FULL_MASK));
});

test('a frame with non-zero reserved FP words, or at an unmapped sp, makes rt_sigreturn raise SIGSEGV', (t) => {
  const { k, t: task } = setup();
  sendSignalToTask(k, task, C.SIGUSR1, { signo: C.SIGUSR1, code: 0, pid: 1, uid: 0 });
  deliverPendingSignals(k, task);
  const uc = reg(task, Reg.a2);
  task.mm.writeU32(uc + UC_MCONTEXT + MC_FP + FP_Q_RESERVED + 4, 1);
  const pc = task.cpu.pc;
  t.is(sysRtSigreturn(k, task), 0);
  t.is(task.cpu.pc, pc);
  t.true(task.pending.has(C.SIGSEGV));
  const other = makeProcess(k, 43);
  setI64(other.cpu, Reg.sp, UNMAPPED);
  t.is(sysRtSigreturn(k, other), 0);
  deliverPendingSignals(k, other);
  t.deepEqual(k.exits, [{ pid: 43, status: C.SIGSEGV }]);
});

test('an unwritable stack turns the signal into a fatal SIGSEGV', (t) => {
  const { k, t: task } = setup();
  setI64(task.cpu, Reg.sp, UNMAPPED);
  sendSignalToTask(k, task, C.SIGUSR1, { signo: C.SIGUSR1, code: 0, pid: 1, uid: 0 });
  deliverPendingSignals(k, task);
  // SIGSEGV's default is a core dump, but RLIMIT_CORE is 0 by default: no 0x80 flag (as qemu under ulimit -c 0).
  t.deepEqual(k.exits, [{ pid: 42, status: C.SIGSEGV }]);
});

test('a SIGSEGV handler whose own frame cannot be written is reset and the task dies', (t) => {
  const { k, t: task } = setup();
  task.sighand.set(C.SIGSEGV, { handler: HANDLER, flags: 0, mask: 0n, restorer: 0 });
  task.proc.rlimits.set(4, [1n << 20n, 1n << 20n]);
  setI64(task.cpu, Reg.sp, UNMAPPED);
  sendSignalToTask(k, task, C.SIGSEGV, { signo: C.SIGSEGV, code: C.SEGV_MAPERR, pid: 0, uid: 0, addr: 8 });
  deliverPendingSignals(k, task);
  t.deepEqual(k.exits, [{ pid: 42, status: C.SIGSEGV | 0x80 }]);
});

test('SA_ONSTACK puts the frame at the top of the alternate stack and uc_stack reports it', (t) => {
  const abi = signalAbi();
  const { k, t: task } = setup(C.SA_ONSTACK);
  const ss = DATA_LO + 0x1000, size = 0x4000;
  task.mm.writeU64Num(DATA_LO, ss);
  task.mm.writeU32(DATA_LO + 8, 0);
  task.mm.writeU64Num(DATA_LO + 16, size);
  t.is(callSyscall(k, task, NR.sigaltstack, sysSigaltstack, DATA_LO, 0), 0);
  sendSignalToTask(k, task, C.SIGUSR1, { signo: C.SIGUSR1, code: 0, pid: 1, uid: 0 });
  deliverPendingSignals(k, task);
  const sp = reg(task, Reg.sp);
  t.is(sp, (ss + size - RT_SIGFRAME_SIZE) & ~15);
  const st = reg(task, Reg.a2) + abi.get('ucontext.uc_stack')!;
  t.is(task.mm.readU64Num(st + abi.get('stack_t.ss_sp')!), ss);
  t.is(task.mm.readU32(st + abi.get('stack_t.ss_flags')!), 0); // not on it when the signal arrived
  t.is(task.mm.readU64Num(st + abi.get('stack_t.ss_size')!), size);
  // A second signal while on the stack nests below the first frame and reports SS_ONSTACK.
  task.sighand.set(C.SIGUSR2, { handler: HANDLER, flags: C.SA_ONSTACK, mask: 0n, restorer: 0 });
  sendSignalToTask(k, task, C.SIGUSR2, { signo: C.SIGUSR2, code: 0, pid: 1, uid: 0 });
  deliverPendingSignals(k, task);
  const sp2 = reg(task, Reg.sp);
  t.true(sp2 < sp && sp2 > ss);
  t.is(task.mm.readU32(reg(task, Reg.a2) + abi.get('ucontext.uc_stack')! + 8), C.SS_ONSTACK);
});

test('a frame that would overflow the alternate stack it is on raises SIGSEGV', (t) => {
  const { k, t: task } = setup(C.SA_ONSTACK);
  task.altStackSp = DATA_LO + 0x1000;
  task.altStackSize = 0x1000;
  task.altStackFlags = 0;
  setI64(task.cpu, Reg.sp, DATA_LO + 0x1000 + 0x200); // on the stack, 512 bytes above its bottom
  sendSignalToTask(k, task, C.SIGUSR1, { signo: C.SIGUSR1, code: 0, pid: 1, uid: 0 });
  deliverPendingSignals(k, task);
  t.deepEqual(k.exits, [{ pid: 42, status: C.SIGSEGV }]);
});

test('a frame that just fits above the bottom of the stack mapping is written', (t) => {
  const { k, t: task } = setup();
  setI64(task.cpu, Reg.sp, STACK_LO + RT_SIGFRAME_SIZE + 7);
  sendSignalToTask(k, task, C.SIGUSR1, { signo: C.SIGUSR1, code: 0, pid: 1, uid: 0 });
  deliverPendingSignals(k, task);
  t.is(reg(task, Reg.sp), STACK_LO);
  t.is(task.cpu.pc, HANDLER);
});
