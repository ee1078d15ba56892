// Test fixture for the signal modules: a fake kernel, processes and tasks over a real Mm with a few mapped regions.
import { getI64, getU64, Reg, setI64 } from '../../lib/arch/riscv64/state';
import { FdTable } from '../../lib/emukernel/fs/fdtable';
import { FsContext } from '../../lib/emukernel/fs/fs-context';
import { Mm } from '../../lib/emukernel/mm/mm';
import { PROT_READ, PROT_WRITE, Vma } from '../../lib/emukernel/mm/vma';
import { Process } from '../../lib/emukernel/process';
import { SigHand } from '../../lib/emukernel/signal/sighand';
import type { SignalKernel } from '../../lib/emukernel/signal/signal-kernel';
import { BLOCKED, SyscallOutcome } from '../../lib/emukernel/syscall';
import { signalSyscalls } from '../../lib/emukernel/signal/syscalls';
import { Task } from '../../lib/emukernel/task';

/** A mapped read-write region: the stack lives at its top. */
export const STACK_LO = 0x7f000000, STACK_HI = 0x7f100000;
/** Another mapped region for user buffers (sigaction structs, sigsets, alternate stacks). */
export const DATA_LO = 0x10000000, DATA_HI = 0x10100000;
/** Nothing is mapped here. */
export const UNMAPPED = 0x5000000;
export const INITIAL_SP = STACK_HI - 0x1008;
export const ECALL_PC = 0x10078;

/** A syscall that has not happened yet: it sleeps again whenever it is re-executed. */
export const stillWaiting = (_k: SignalKernel, t: Task): SyscallOutcome => {
  t.sleepOn([]);
  return BLOCKED;
};

export class FakeKernel implements SignalKernel {
  readonly tasks = new Map<number, Task>();
  readonly processes = new Map<number, Process>();
  now = 1_000_000;
  instructions = 0;
  /** Handlers by number; the signal syscalls are real, anything else defaults to `stillWaiting`. */
  readonly handlers = new Map<number, (k: SignalKernel, t: Task) => SyscallOutcome>(
    Object.entries(signalSyscalls).map(([nr, h]) => [Number(nr), h as (k: SignalKernel, t: Task) => SyscallOutcome]),
  );

  syscallHandler(nr: number): (k: SignalKernel, t: Task) => SyscallOutcome {
    return this.handlers.get(nr) ?? stillWaiting;
  }
  readonly exits: { pid: number; status: number }[] = [];
  readonly stateChanges: number[] = [];

  nowNs(): number {
    return this.now;
  }

  /** Record the exit and do what exit_group does to the objects the signal code looks at. */
  exitGroup(proc: Process, waitStatus: number): void {
    this.exits.push({ pid: proc.pid, status: waitStatus });
    if (proc.groupExitStatus === null) proc.groupExitStatus = waitStatus;
    for (const t of [...proc.threads]) {
      t.state = 'dead';
      proc.threads.delete(t);
      this.tasks.delete(t.tid);
    }
    proc.state = 'zombie';
    proc.waitStatus = waitStatus;
  }

  notifyParentOfStateChange(proc: Process): void {
    this.stateChanges.push(proc.pid);
  }
}

function newMm(): Mm {
  const mm = new Mm();
  mm.vmas.insert(new Vma(STACK_LO, STACK_HI, PROT_READ | PROT_WRITE, 0, '[stack]'));
  mm.vmas.insert(new Vma(DATA_LO, DATA_HI, PROT_READ | PROT_WRITE, 0, ''));
  return mm;
}

/** A new single-threaded process (pid = tid) with its own mm and handler table, registered with `k`. */
export function makeProcess(k: FakeKernel, pid: number, parent: Process | null = null, pgid = pid, sid = pgid): Task {
  const proc = new Process(pid, parent, pgid, sid, 17);
  parent?.children.add(proc);
  const t = new Task(pid, proc, newMm(), new FdTable(), new FsContext('/'), new SigHand(), `p${pid}`);
  setI64(t.cpu, Reg.sp, INITIAL_SP);
  t.cpu.pc = ECALL_PC;
  proc.threads.add(t);
  k.processes.set(pid, proc);
  k.tasks.set(pid, t);
  return t;
}

/** Another thread of `leader`'s process (CLONE_VM | CLONE_SIGHAND | CLONE_THREAD). */
export function makeThread(k: FakeKernel, leader: Task, tid: number): Task {
  leader.mm.users++;
  const t = new Task(tid, leader.proc, leader.mm, leader.files, leader.fs, leader.sighand, `t${tid}`);
  setI64(t.cpu, Reg.sp, STACK_LO + 0x80000);
  t.cpu.pc = ECALL_PC;
  leader.proc.threads.add(t);
  k.tasks.set(tid, t);
  return t;
}

/** Put `t` at an ecall for syscall `nr` with the given arguments (a0..a5). */
export function setSyscall(t: Task, nr: number, ...args: number[]): void {
  t.cpu.pc = ECALL_PC;
  setI64(t.cpu, Reg.a7, nr);
  args.forEach((v, i) => setI64(t.cpu, Reg.a0 + i, v));
}

/** Call a handler as the dispatcher would, applying a numeric result (a0 = result, pc += 4). */
export function callSyscall(
  k: FakeKernel, t: Task, nr: number, handler: (k: SignalKernel, t: Task) => SyscallOutcome, ...args: number[]
): SyscallOutcome {
  setSyscall(t, nr, ...args);
  const r = handler(k, t);
  if (typeof r === 'number') {
    setI64(t.cpu, Reg.a0, r);
    t.cpu.pc += 4;
    t.restart = null;
  }
  return r;
}

/** Put a blocked task to sleep in syscall `nr` (pc at the ecall), as a handler returning BLOCKED would. */
export function blockIn(t: Task, nr: number, ...args: number[]): void {
  setSyscall(t, nr, ...args);
  t.sleepOn([]);
}

export const reg = (t: Task, r: number): number => getU64(t.cpu, r);
export const sreg = (t: Task, r: number): number => getI64(t.cpu, r);
