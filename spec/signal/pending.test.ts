// SigPending coalescing and queueing, next-signal order, and the default-action table (signal(7)).
import test from 'ava';
import {
  defaultAction, isDefaultIgnored, lowestSignal, sigBit, SIGCHLD, SIGINT, SIGRTMIN, SIGSEGV, SIGTERM, SIGUSR1, SIGUSR2,
} from '../../lib/emukernel/signal/constants';
import { MAX_QUEUED_SIGNALS, SigPending } from '../../lib/emukernel/signal/pending';
import { SigHand } from '../../lib/emukernel/signal/sighand';

const info = (signo: number, pid = 0) => ({ signo, code: 0, pid, uid: 0 });

test('standard signals coalesce: the second instance is dropped and the first siginfo kept', (t) => {
  const p = new SigPending();
  t.true(p.add(info(SIGUSR1, 100)));
  t.false(p.add(info(SIGUSR1, 200)));
  t.is(p.queue.length, 1);
  t.is(p.dequeue(SIGUSR1)?.pid, 100);
  t.false(p.has(SIGUSR1));
  t.is(p.dequeue(SIGUSR1), null);
});

test('real-time signals queue every instance in order and keep the bit until the last is taken', (t) => {
  const p = new SigPending();
  const rt = SIGRTMIN + 2;
  for (const pid of [1, 2, 3]) t.true(p.add(info(rt, pid)));
  t.is(p.dequeue(rt)?.pid, 1);
  t.true(p.has(rt));
  t.is(p.dequeue(rt)?.pid, 2);
  t.is(p.dequeue(rt)?.pid, 3);
  t.false(p.has(rt));
});

test('a full real-time queue still records the signal but reports the loss', (t) => {
  const p = new SigPending();
  for (let i = 0; i < MAX_QUEUED_SIGNALS; i++) p.add(info(SIGRTMIN, i));
  t.false(p.add(info(SIGRTMIN + 1)));
  t.true(p.has(SIGRTMIN + 1));
  t.deepEqual(p.dequeue(SIGRTMIN + 1), { signo: SIGRTMIN + 1, code: 0, pid: 0, uid: 0 });
});

test('next() picks the lowest unblocked signal, synchronous faults first', (t) => {
  const p = new SigPending();
  p.add(info(SIGTERM));
  p.add(info(SIGUSR2));
  p.add(info(SIGINT));
  t.is(p.next(0n), SIGINT);
  t.is(p.next(sigBit(SIGINT)), SIGUSR2);
  p.add(info(SIGSEGV));
  t.is(p.next(0n), SIGSEGV);
  p.add(info(64));
  t.is(lowestSignal(sigBit(64)), 64);
  t.is(lowestSignal(sigBit(32) | sigBit(64)), 32);
  t.is(lowestSignal(0n), 0);
});

test('discard() removes every instance of the masked signals only', (t) => {
  const p = new SigPending();
  p.add(info(SIGUSR1));
  p.add(info(SIGRTMIN));
  p.add(info(SIGRTMIN));
  t.true(p.discard(sigBit(SIGRTMIN)));
  t.deepEqual(p.queue.map((i) => i.signo), [SIGUSR1]);
  t.is(p.mask, sigBit(SIGUSR1));
  t.false(p.discard(sigBit(SIGCHLD)));
});

// signal(7), "Standard signals" table (Linux man-pages 6.x); SIGIO is SIGPOLL, SIGSTKFLT terminates.
const MAN7: Record<string, [number, string]> = {
  SIGHUP: [1, 'term'], SIGINT: [2, 'term'], SIGQUIT: [3, 'core'], SIGILL: [4, 'core'], SIGTRAP: [5, 'core'],
  SIGABRT: [6, 'core'], SIGBUS: [7, 'core'], SIGFPE: [8, 'core'], SIGKILL: [9, 'term'], SIGUSR1: [10, 'term'],
  SIGSEGV: [11, 'core'], SIGUSR2: [12, 'term'], SIGPIPE: [13, 'term'], SIGALRM: [14, 'term'], SIGTERM: [15, 'term'],
  SIGSTKFLT: [16, 'term'], SIGCHLD: [17, 'ignore'], SIGCONT: [18, 'cont'], SIGSTOP: [19, 'stop'], SIGTSTP: [20, 'stop'],
  SIGTTIN: [21, 'stop'], SIGTTOU: [22, 'stop'], SIGURG: [23, 'ignore'], SIGXCPU: [24, 'core'], SIGXFSZ: [25, 'core'],
  SIGVTALRM: [26, 'term'], SIGPROF: [27, 'term'], SIGWINCH: [28, 'ignore'], SIGIO: [29, 'term'], SIGPWR: [30, 'term'],
  SIGSYS: [31, 'core'],
};

test('default actions follow signal(7); real-time signals terminate', (t) => {
  for (const [name, [n, act]] of Object.entries(MAN7)) t.is(defaultAction(n) as string, act, name);
  for (let s = 32; s <= 64; s++) t.is(defaultAction(s), 'term');
  t.true(isDefaultIgnored(SIGCHLD));
  t.false(isDefaultIgnored(SIGTERM));
});

test('SigHand: clone() is independent, resetForExec keeps SIG_IGN and drops handlers, flags and masks', (t) => {
  const h = new SigHand();
  h.set(SIGUSR1, { handler: 0x1234, flags: 4, mask: 8n, restorer: 0 });
  h.set(SIGUSR2, { handler: 1, flags: 0x10000000, mask: 2n, restorer: 0 });
  const c = h.clone();
  c.set(SIGUSR1, { handler: 0x5678, flags: 0, mask: 0n, restorer: 0 });
  t.is(h.get(SIGUSR1).handler, 0x1234);
  h.resetForExec();
  t.deepEqual(h.get(SIGUSR1), { handler: 0, flags: 0, mask: 0n, restorer: 0 });
  t.deepEqual(h.get(SIGUSR2), { handler: 1, flags: 0, mask: 0n, restorer: 0 });
  t.is(c.get(SIGUSR2).flags, 0x10000000);
  t.true(h.ignores(SIGUSR2));
  t.true(h.ignores(SIGCHLD));
  t.false(h.ignores(SIGUSR1));
  t.true(h.isFatal(SIGUSR1));
});
