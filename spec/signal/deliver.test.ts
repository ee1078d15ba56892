// Delivery: mask handling, SA_NODEFER/SA_RESETHAND, stacking order, default actions, stop/continue and SIGCHLD.
import test from 'ava';
import { Reg } from '../../lib/arch/riscv64/state';
import * as C from '../../lib/emukernel/signal/constants';
import { deliverPendingSignals } from '../../lib/emukernel/signal/deliver';
import { forceSignal, sendSignalToProcess, sendSignalToTask } from '../../lib/emukernel/signal/send';
import { JUMPED } from '../../lib/emukernel/syscall';
import { sysRtSigreturn } from '../../lib/emukernel/signal/syscalls-wait';
import type { Task } from '../../lib/emukernel/task';
import { NR } from '../../lib/emukernel/syscall-numbers';
import { blockIn, ECALL_PC, FakeKernel, makeProcess, makeThread, reg } from './fixture';

const H1 = 0x10400, H2 = 0x10800;
const user = (signo: number, pid = 1) => ({ signo, code: C.SI_USER, pid, uid: 0 });

function handle(t: Task, sig: number, handler: number, flags = 0, mask = 0n): void {
  t.sighand.set(sig, { handler, flags, mask, restorer: 0 });
}

test('a handler runs with sa_mask and the signal itself blocked; sigreturn restores the old mask', (t) => {
  const k = new FakeKernel();
  const task = makeProcess(k, 10);
  handle(task, C.SIGUSR1, H1, 0, C.sigBit(C.SIGTERM) | C.sigBit(C.SIGKILL));
  sendSignalToProcess(k, task.proc, C.SIGUSR1, user(C.SIGUSR1));
  deliverPendingSignals(k, task);
  t.is(task.cpu.pc, H1);
  t.is(task.blocked, C.sigBit(C.SIGUSR1) | C.sigBit(C.SIGTERM));
  t.is(sysRtSigreturn(k, task), JUMPED);
  t.is(task.blocked, 0n);
});

test('SA_NODEFER leaves the signal unblocked; SA_RESETHAND restores SIG_DFL on entry', (t) => {
  const k = new FakeKernel();
  const task = makeProcess(k, 10);
  handle(task, C.SIGUSR1, H1, C.SA_NODEFER | C.SA_RESETHAND);
  sendSignalToTask(k, task, C.SIGUSR1, user(C.SIGUSR1));
  deliverPendingSignals(k, task);
  t.is(task.cpu.pc, H1);
  t.is(task.blocked, 0n);
  t.is(task.sighand.get(C.SIGUSR1).handler, C.SIG_DFL);
  // A second SIGUSR1 inside the handler now takes the default action: the process dies.
  sendSignalToTask(k, task, C.SIGUSR1, user(C.SIGUSR1));
  deliverPendingSignals(k, task);
  t.deepEqual(k.exits, [{ pid: 10, status: C.SIGUSR1 }]);
});

test('several deliverable signals stack frames: the last set up (highest number) runs first, as on Linux and qemu', (t) => {
  const k = new FakeKernel();
  const task = makeProcess(k, 10);
  handle(task, C.SIGUSR1, H1);
  handle(task, C.SIGUSR2, H2);
  task.blocked = C.sigBit(C.SIGUSR1) | C.sigBit(C.SIGUSR2);
  sendSignalToProcess(k, task.proc, C.SIGUSR2, user(C.SIGUSR2));
  sendSignalToProcess(k, task.proc, C.SIGUSR1, user(C.SIGUSR1));
  deliverPendingSignals(k, task);
  t.is(task.cpu.pc, ECALL_PC); // still blocked: nothing delivered
  task.cpu.pc = 0x2000;
  task.blocked = 0n;
  deliverPendingSignals(k, task);
  // SIGUSR1 was set up first (lowest number), then SIGUSR2 on top of it.
  t.is(task.cpu.pc, H2);
  t.is(reg(task, Reg.a0), C.SIGUSR2);
  t.is(task.blocked, C.sigBit(C.SIGUSR1) | C.sigBit(C.SIGUSR2));
  t.is(sysRtSigreturn(k, task), JUMPED);
  t.is(task.cpu.pc, H1);
  t.is(task.blocked, C.sigBit(C.SIGUSR1));
  t.is(sysRtSigreturn(k, task), JUMPED);
  t.is(task.cpu.pc, 0x2000);
  t.is(task.blocked, 0n);
});

test('a pending fault is delivered before lower-numbered asynchronous signals', (t) => {
  const k = new FakeKernel();
  const task = makeProcess(k, 10);
  handle(task, C.SIGINT, H1);
  handle(task, C.SIGSEGV, H2, 0, C.sigBit(C.SIGINT));
  sendSignalToTask(k, task, C.SIGINT, user(C.SIGINT));
  forceSignal(k, task, C.SIGSEGV, { signo: C.SIGSEGV, code: C.SEGV_MAPERR, pid: 0, uid: 0, addr: 0x10 });
  deliverPendingSignals(k, task);
  t.is(task.cpu.pc, H2);
  t.true(task.pending.has(C.SIGINT));
});

test('forceSignal unblocks a blocked fault and resets an ignored one to SIG_DFL', (t) => {
  const k = new FakeKernel();
  const a = makeProcess(k, 10);
  a.blocked = C.sigBit(C.SIGSEGV);
  handle(a, C.SIGSEGV, H1);
  forceSignal(k, a, C.SIGSEGV, { signo: C.SIGSEGV, code: C.SEGV_MAPERR, pid: 0, uid: 0, addr: 0 });
  t.is(a.blocked, 0n);
  t.is(a.sighand.get(C.SIGSEGV).handler, C.SIG_DFL);
  const b = makeProcess(k, 11);
  handle(b, C.SIGILL, C.SIG_IGN);
  forceSignal(k, b, C.SIGILL, { signo: C.SIGILL, code: C.ILL_ILLOPC, pid: 0, uid: 0, addr: 0x1000 });
  deliverPendingSignals(k, b);
  deliverPendingSignals(k, a);
  t.deepEqual(k.exits, [{ pid: 11, status: C.SIGILL }, { pid: 10, status: C.SIGSEGV }]);
});

test('default actions: term kills with the signal, core adds 0x80 only when RLIMIT_CORE allows, ignore drops', (t) => {
  const k = new FakeKernel();
  const a = makeProcess(k, 10);
  sendSignalToProcess(k, a.proc, C.SIGTERM, user(C.SIGTERM));
  deliverPendingSignals(k, a);
  const b = makeProcess(k, 11);
  b.proc.rlimits.set(4, [C.FULL_MASK, C.FULL_MASK]);
  sendSignalToProcess(k, b.proc, C.SIGQUIT, user(C.SIGQUIT));
  deliverPendingSignals(k, b);
  const c = makeProcess(k, 12);
  sendSignalToProcess(k, c.proc, C.SIGABRT, user(C.SIGABRT));
  deliverPendingSignals(k, c);
  t.deepEqual(k.exits, [{ pid: 10, status: 15 }, { pid: 11, status: 3 | 0x80 }, { pid: 12, status: 6 }]);
  const d = makeProcess(k, 13);
  for (const s of [C.SIGCHLD, C.SIGURG, C.SIGWINCH, C.SIGCONT]) sendSignalToProcess(k, d.proc, s, user(s));
  t.is(d.proc.signal.shared.mask, 0n); // discarded at send time
  d.blocked = C.sigBit(C.SIGCHLD);
  sendSignalToProcess(k, d.proc, C.SIGCHLD, user(C.SIGCHLD));
  t.true(d.proc.signal.shared.has(C.SIGCHLD)); // kept while blocked
  d.blocked = 0n;
  deliverPendingSignals(k, d);
  t.is(d.state, 'runnable');
  t.is(d.proc.signal.shared.mask, 0n);
  t.is(k.exits.length, 3);
});

test('SIG_IGN discards at send time', (t) => {
  const k = new FakeKernel();
  const a = makeProcess(k, 10);
  handle(a, C.SIGUSR1, C.SIG_IGN);
  sendSignalToProcess(k, a.proc, C.SIGUSR1, user(C.SIGUSR1));
  t.is(a.proc.signal.shared.mask, 0n);
});

test('a process-directed signal goes to the first thread that does not block it and interrupts it', (t) => {
  const k = new FakeKernel();
  const leader = makeProcess(k, 20);
  const th = makeThread(k, leader, 21);
  handle(leader, C.SIGUSR1, H1);
  leader.blocked = C.sigBit(C.SIGUSR1);
  th.sleepOn([]);
  sendSignalToProcess(k, leader.proc, C.SIGUSR1, user(C.SIGUSR1));
  t.is(th.state, 'runnable');
  t.true(th.interrupted);
  deliverPendingSignals(k, leader);
  t.not(leader.cpu.pc, H1);
  deliverPendingSignals(k, th);
  t.is(th.cpu.pc, H1);
});

test('a thread-directed signal stays with its thread even if another could take it', (t) => {
  const k = new FakeKernel();
  const leader = makeProcess(k, 20);
  const th = makeThread(k, leader, 21);
  handle(leader, C.SIGUSR1, H1);
  th.blocked = C.sigBit(C.SIGUSR1);
  sendSignalToTask(k, th, C.SIGUSR1, user(C.SIGUSR1));
  deliverPendingSignals(k, leader);
  t.not(leader.cpu.pc, H1);
  t.true(th.pending.has(C.SIGUSR1));
});

test('a fatal signal wakes and kills the whole group, even blocked and stopped threads', (t) => {
  const k = new FakeKernel();
  const leader = makeProcess(k, 20);
  const th = makeThread(k, leader, 21);
  th.sleepOn([]);
  sendSignalToProcess(k, leader.proc, C.SIGTERM, user(C.SIGTERM));
  t.is(th.state, 'runnable');
  deliverPendingSignals(k, th);
  t.deepEqual(k.exits, [{ pid: 20, status: C.SIGTERM }]);
});

test('stop signals stop every thread and report CLD_STOPPED; SIGCONT resumes and reports CLD_CONTINUED', (t) => {
  const k = new FakeKernel();
  const parent = makeProcess(k, 1);
  handle(parent, C.SIGCHLD, H1, C.SA_SIGINFO);
  const child = makeProcess(k, 30, parent.proc, 1, 1);
  const th = makeThread(k, child, 31);
  th.sleepOn([]);
  sendSignalToProcess(k, child.proc, C.SIGSTOP, user(C.SIGSTOP));
  deliverPendingSignals(k, child);
  t.is(child.state, 'stopped');
  t.is(th.state, 'stopped');
  t.true(th.interrupted); // its syscall re-executes after SIGCONT
  t.is(child.proc.stopReport, C.SIGSTOP);
  t.deepEqual(k.stateChanges, [30]);
  const chld = parent.proc.signal.shared.queue[0];
  t.like(chld, { signo: C.SIGCHLD, code: C.CLD_STOPPED, pid: 30, status: C.SIGSTOP });
  // A stopped process keeps ordinary signals pending.
  handle(child, C.SIGUSR1, H2);
  sendSignalToProcess(k, child.proc, C.SIGUSR1, user(C.SIGUSR1));
  t.is(child.state, 'stopped');
  sendSignalToProcess(k, child.proc, C.SIGCONT, user(C.SIGCONT));
  t.is(child.state, 'runnable');
  t.is(th.state, 'runnable');
  t.is(child.proc.stopReport, null);
  t.true(child.proc.continueReport);
  t.deepEqual(k.stateChanges, [30, 30]);
  deliverPendingSignals(k, child);
  t.is(child.cpu.pc, H2);
});

test('SA_NOCLDSTOP suppresses the parent\'s SIGCHLD for stops but wait4 is still woken', (t) => {
  const k = new FakeKernel();
  const parent = makeProcess(k, 1);
  handle(parent, C.SIGCHLD, H1, C.SA_NOCLDSTOP);
  const child = makeProcess(k, 30, parent.proc, 1, 1);
  sendSignalToProcess(k, child.proc, C.SIGTSTP, user(C.SIGTSTP));
  deliverPendingSignals(k, child);
  t.is(child.state, 'stopped');
  t.is(parent.proc.signal.shared.mask, 0n);
  t.deepEqual(k.stateChanges, [30]);
});

test('SIGTSTP is discarded in an orphaned process group; SIGSTOP is not', (t) => {
  const k = new FakeKernel();
  const init = makeProcess(k, 1);
  const orphan = makeProcess(k, 40, init.proc, 40, 40); // setsid(): its parent is in another session
  sendSignalToProcess(k, orphan.proc, C.SIGTSTP, user(C.SIGTSTP));
  deliverPendingSignals(k, orphan);
  t.is(orphan.state, 'runnable');
  sendSignalToProcess(k, orphan.proc, C.SIGSTOP, user(C.SIGSTOP));
  deliverPendingSignals(k, orphan);
  t.is(orphan.state, 'stopped');
});

test('SIGCONT discards pending stop signals and a stop signal discards a pending SIGCONT', (t) => {
  const k = new FakeKernel();
  const task = makeProcess(k, 10);
  task.blocked = C.sigBit(C.SIGTSTP) | C.sigBit(C.SIGCONT);
  sendSignalToProcess(k, task.proc, C.SIGTSTP, user(C.SIGTSTP));
  sendSignalToProcess(k, task.proc, C.SIGCONT, user(C.SIGCONT));
  t.is(task.proc.signal.shared.mask, C.sigBit(C.SIGCONT));
  sendSignalToProcess(k, task.proc, C.SIGTTOU, user(C.SIGTTOU));
  t.is(task.proc.signal.shared.mask, C.sigBit(C.SIGTTOU));
});

test('SIGKILL reaches a stopped process', (t) => {
  const k = new FakeKernel();
  const task = makeProcess(k, 10);
  sendSignalToProcess(k, task.proc, C.SIGSTOP, user(C.SIGSTOP));
  deliverPendingSignals(k, task);
  t.is(task.state, 'stopped');
  sendSignalToProcess(k, task.proc, C.SIGTERM, user(C.SIGTERM));
  t.is(task.state, 'stopped'); // SIGTERM waits for SIGCONT
  sendSignalToProcess(k, task.proc, C.SIGKILL, user(C.SIGKILL));
  t.is(task.state, 'runnable');
  deliverPendingSignals(k, task);
  t.deepEqual(k.exits, [{ pid: 10, status: C.SIGKILL }]);
});

test('a vfork parent (asleep in clone) is not interrupted by ordinary signals, only by fatal ones', (t) => {
  const k = new FakeKernel();
  const task = makeProcess(k, 10);
  handle(task, C.SIGUSR1, H1);
  blockIn(task, NR.clone, 0x4111, 0);
  sendSignalToProcess(k, task.proc, C.SIGUSR1, user(C.SIGUSR1));
  t.is(task.state, 'blocked');
  sendSignalToProcess(k, task.proc, C.SIGSTOP, user(C.SIGSTOP));
  t.is(task.state, 'blocked');
  task.completeSyscall(11); // the child exec'd
  deliverPendingSignals(k, task);
  // SIGUSR1 (10) got its frame first, then SIGSTOP (19) stopped the process.
  t.is(task.cpu.pc, H1);
  t.is(task.state, 'stopped');
  sendSignalToProcess(k, task.proc, C.SIGCONT, user(C.SIGCONT));
  const other = makeProcess(k, 20);
  blockIn(other, NR.clone, 0x4111, 0);
  sendSignalToProcess(k, other.proc, C.SIGKILL, user(C.SIGKILL));
  t.is(other.state, 'runnable');
});

test('a thread that wakes while its group is stopped stops before running', (t) => {
  const k = new FakeKernel();
  const leader = makeProcess(k, 20);
  const th = makeThread(k, leader, 21);
  blockIn(th, NR.clone, 0x4111, 0);
  sendSignalToProcess(k, leader.proc, C.SIGSTOP, user(C.SIGSTOP));
  deliverPendingSignals(k, leader);
  t.is(leader.state, 'stopped');
  t.is(th.state, 'blocked');
  th.completeSyscall(0);
  deliverPendingSignals(k, th);
  t.is(th.state, 'stopped');
  sendSignalToProcess(k, leader.proc, C.SIGCONT, user(C.SIGCONT));
  t.is(th.state, 'runnable');
  t.is(leader.state, 'runnable');
});
