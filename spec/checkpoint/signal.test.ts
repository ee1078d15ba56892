// Signal state survives checkpoint then restore: handler tables, pending sets and their siginfo, masks, altstacks, rlimits, group stop.
import test, { ExecutionContext } from 'ava';
import { CollectSink, ImageWriter, readImageItems } from '../../lib/crfs/image/codec';
import type { ImageItem } from '../../lib/crfs/image/schema';
import { CheckpointContext, CheckpointError, RestoreContext } from '../../lib/emukernel/checkpoint/context';
import type { Kernel } from '../../lib/emukernel/kernel';
import { RLIMIT_NOFILE, RLIMIT_STACK } from '../../lib/emukernel/process';
import {
  checkpointSighand, checkpointSignal, restoreTaskSignals, RestoredSignal, signalRestorers, writeTaskSignals,
} from '../../lib/emukernel/signal/checkpoint';
import {
  CLD_EXITED, CLD_STOPPED, SA_NOCLDSTOP, SA_NODEFER, SA_ONSTACK, SA_RESETHAND, SA_RESTART, SA_SIGINFO, SEGV_MAPERR, SIGCHLD,
  SIGINT, SIGKILL, SIGQUIT, SIGRTMIN, SIGSEGV, SIGTSTP, SIGUSR1, SIGUSR2, SIG_IGN, SI_KERNEL, SI_QUEUE, SI_TKILL, SI_USER,
  SS_AUTODISARM, sigBit,
} from '../../lib/emukernel/signal/constants';
import type { SigInfo, SigPending } from '../../lib/emukernel/signal/pending';
import { SigHand } from '../../lib/emukernel/signal/sighand';
import { decodeUserSigInfo, encodeSigInfo, SIGINFO_SIZE } from '../../lib/emukernel/signal/siginfo';
import type { Task } from '../../lib/emukernel/task';
import { writePrologue } from '../image/sample-image';
import { FakeKernel, makeProcess, makeThread } from '../signal/fixture';

/** The signal writers and restorers never look at the kernel; the context only carries it. */
const NO_KERNEL = Object.create(null) as Kernel;

/** Writes a prologue, then whatever `body` writes through a CheckpointContext, then the tail; returns the decoded items. */
function image(body: (ctx: CheckpointContext) => void): ImageItem[] {
  const sink = new CollectSink();
  const w = new ImageWriter(sink);
  writePrologue(w);
  body(new CheckpointContext(NO_KERNEL, w));
  w.finish();
  return readImageItems(sink.bytes(), { validate: false });
}

/** A restore cursor just past the prologue. */
function restorer(items: ImageItem[]): RestoreContext {
  const r = new RestoreContext(NO_KERNEL, items, signalRestorers);
  while (r.next().name !== 'sched');
  return r;
}

/** A siginfo with every optional field explicit, as encodeSigInfo reads it (absent = 0). */
function normal(i: SigInfo): Required<Omit<SigInfo, 'raw'>> & { raw: number[] | null } {
  return {
    signo: i.signo, code: i.code, pid: i.pid, uid: i.uid, addr: i.addr ?? 0, status: i.status ?? 0, errno: i.errno ?? 0,
    value: i.value ?? 0, utime: i.utime ?? 0, stime: i.stime ?? 0, raw: i.raw ? [...i.raw] : null,
  };
}

function samePending(t: ExecutionContext, got: SigPending, want: SigPending): void {
  t.is(got.mask, want.mask);
  t.deepEqual(got.queue.map(normal), want.queue.map(normal));
  // What user space would see in its siginfo_t for each queued signal.
  t.deepEqual(got.queue.map((i) => [...encodeSigInfo(i)]), want.queue.map((i) => [...encodeSigInfo(i)]));
}

/** 128 user bytes for rt_sigqueueinfo: a negative code, junk beyond the union, a sigval above 2^53. */
function userSigInfo(seed: number, sig: number): SigInfo {
  const b = new Uint8Array(SIGINFO_SIZE);
  for (let i = 0; i < b.length; i++) b[i] = (seed * 31 + i * 7) & 0xff;
  const dv = new DataView(b.buffer);
  dv.setInt32(8, SI_QUEUE, true);
  dv.setBigUint64(24, 0xfedc_ba98_7654_3210n + BigInt(seed), true);
  return decodeUserSigInfo(b, sig);
}

/** Fills a pending set through SigPending.add, so coalescing is the kernel's own. */
function fillPending(p: SigPending, seed: number): void {
  p.add({ signo: SIGUSR1, code: SI_USER, pid: 100 + seed, uid: 1000 });
  p.add({ signo: SIGUSR1, code: SI_USER, pid: 200 + seed, uid: 1000 }); // coalesced away
  p.add({ signo: SIGRTMIN + 2, code: SI_QUEUE, pid: 5, uid: 0, value: 1 });
  p.add({ signo: SIGRTMIN + 1, code: SI_QUEUE, pid: 5, uid: 0, value: 2, errno: 0 });
  p.add({ signo: SIGRTMIN + 2, code: SI_QUEUE, pid: 6, uid: 0, value: 0x1f_ffff_ffff_ffff });
  p.add({ signo: SIGCHLD, code: CLD_EXITED, pid: 8, uid: 1000, status: 3, utime: 5, stime: 6 });
  p.add(userSigInfo(seed, SIGRTMIN + 4));
  p.add({ signo: SIGSEGV, code: SEGV_MAPERR, pid: 0, uid: 0, addr: 0x3fff_dead_0000 });
  p.add({ signo: SIGQUIT, code: SI_KERNEL, pid: 0, uid: 0, addr: 0 });
  p.add({ signo: SIGRTMIN + 2, code: SI_TKILL, pid: 7, uid: 0xfffffffe, errno: -5 });
  p.add(userSigInfo(seed + 1, SIGRTMIN + 2));
  p.add({ signo: 64, code: SI_QUEUE, pid: 9, uid: 0, value: 0 });
}

test('a handler table round-trips: handlers, SIG_IGN, SIG_DFL with flags, masks up to signal 64', (t) => {
  const sh = new SigHand();
  sh.set(SIGUSR1, { handler: 0x10500, flags: SA_SIGINFO | SA_RESTART | SA_ONSTACK, mask: sigBit(SIGUSR2) | sigBit(64), restorer: 0 });
  sh.set(SIGINT, { handler: SIG_IGN, flags: 0, mask: 0n, restorer: 0 });
  sh.set(SIGSEGV, { handler: 0x1f_ffff_fff0, flags: (SA_SIGINFO | SA_NODEFER | SA_RESETHAND) >>> 0, mask: (1n << 63n) | 1n, restorer: 0x10600 });
  sh.set(SIGCHLD, { handler: 0, flags: SA_NOCLDSTOP, mask: 0n, restorer: 0 });
  sh.set(SIGRTMIN + 3, { handler: 0x10700, flags: SA_SIGINFO, mask: sigBit(SIGRTMIN), restorer: 0 });
  sh.set(64, { handler: SIG_IGN, flags: SA_RESTART, mask: 0n, restorer: 0 });
  let ref = 0;
  const items = image((ctx) => {
    ref = checkpointSighand(ctx, sh);
    t.is(checkpointSighand(ctx, sh), ref, 'a second sight only returns the objref');
  });
  t.is(items.filter((i) => i.name === 'sighand').length, 1);
  const r = restorer(items);
  r.takeObjects();
  const got = r.object<SigHand>('sighand', ref, 'test');
  t.not(got, sh);
  for (let sig = 1; sig <= 64; sig++) t.deepEqual(got.get(sig), sh.get(sig), `signal ${sig}`);
  t.true(got.ignores(SIGINT));
  t.false(got.isFatal(SIGUSR1));
  t.true(got.isFatal(SIGUSR2));
  t.true(r.at('tail'));
});

test('the thread group\'s signal state round-trips: rlimits, group stop, stop report, shared pending in arrival order', (t) => {
  const k = new FakeKernel();
  const proc = makeProcess(k, 7).proc;
  proc.rlimits.set(RLIMIT_NOFILE, [256n, 512n]);
  proc.rlimits.set(RLIMIT_STACK, [1n << 23n, (1n << 64n) - 1n]);
  proc.rlimits.set(4, [0n, 1n << 40n]);
  proc.signal.groupStopped = true;
  proc.stopReport = SIGTSTP;
  proc.continueReport = false;
  fillPending(proc.signal.shared, 1);
  t.is(proc.signal.shared.queue.filter((i) => i.signo === SIGUSR1).length, 1, 'SIGUSR1 coalesced before the checkpoint');
  let ref = 0;
  const items = image((ctx) => {
    ref = checkpointSignal(ctx, proc);
    t.is(checkpointSignal(ctx, proc), ref);
  });
  const r = restorer(items);
  r.takeObjects();
  const rs = r.object<RestoredSignal>('signal', ref, 'test');
  t.deepEqual([...rs.rlimits].sort((a, b) => a[0] - b[0]), [...proc.rlimits].sort((a, b) => a[0] - b[0]));
  t.is(rs.rlimits.size, 16);
  t.true(rs.shared.groupStopped);
  t.is(rs.shared.groupExitSignal, 0);
  t.is(rs.stopReport, SIGTSTP);
  t.false(rs.continueReport);
  t.is(rs.groupExitStatus, null);
  samePending(t, rs.shared.shared, proc.signal.shared);
  t.deepEqual(rs.shared.shared.queue.map((i) => i.signo),
    [SIGUSR1, SIGRTMIN + 2, SIGRTMIN + 1, SIGRTMIN + 2, SIGCHLD, SIGRTMIN + 4, SIGSEGV, SIGQUIT, SIGRTMIN + 2, SIGRTMIN + 2, 64]);
  t.is(rs.shared.shared.queue[0].pid, 101, 'the first SIGUSR1 siginfo is the one kept');
  // Dequeue order after restore equals dequeue order before (RT instances in arrival order).
  const order = (p: SigPending): (number | undefined)[] => [1, 2, 3, 4].map(() => p.dequeue(SIGRTMIN + 2)?.value);
  t.deepEqual(order(rs.shared.shared), order(proc.signal.shared));
  t.true(r.at('tail'));
});

test('a group exit in progress, a continue report and an empty pending set round-trip', (t) => {
  const k = new FakeKernel();
  const proc = makeProcess(k, 3).proc;
  proc.signal.groupExitSignal = SIGKILL;
  proc.groupExitStatus = 0;
  proc.continueReport = true;
  let ref = 0;
  const r = restorer(image((ctx) => { ref = checkpointSignal(ctx, proc); }));
  r.takeObjects();
  const rs = r.object<RestoredSignal>('signal', ref, 'test');
  t.is(rs.shared.groupExitSignal, SIGKILL);
  t.false(rs.shared.groupStopped);
  t.is(rs.groupExitStatus, 0, 'exit status 0 is not "none"');
  t.is(rs.stopReport, null);
  t.true(rs.continueReport);
  t.is(rs.shared.shared.mask, 0n);
  t.is(rs.shared.shared.queue.length, 0);
});

test('a pending bit whose siginfo was dropped (full RT queue) stays pending without a queue entry', (t) => {
  const k = new FakeKernel();
  const proc = makeProcess(k, 3).proc;
  proc.signal.shared.mask = sigBit(SIGRTMIN + 9) | sigBit(SIGUSR2);
  proc.signal.shared.queue.push({ signo: SIGUSR2, code: SI_USER, pid: 1, uid: 0 });
  let ref = 0;
  const r = restorer(image((ctx) => { ref = checkpointSignal(ctx, proc); }));
  r.takeObjects();
  const rs = r.object<RestoredSignal>('signal', ref, 'test');
  samePending(t, rs.shared.shared, proc.signal.shared);
  t.deepEqual(rs.shared.shared.dequeue(SIGRTMIN + 9), { signo: SIGRTMIN + 9, code: SI_USER, pid: 0, uid: 0 });
});

function restoreTaskInto(src: Task, dst: Task): ImageItem[] {
  const items = image((ctx) => writeTaskSignals(ctx, src));
  const r = restorer(items);
  restoreTaskSignals(r, dst);
  if (!r.at('tail')) throw new Error('records left after signal_task + sigpending');
  return items;
}

test('a task\'s blocked and saved masks, altstack and private pending set round-trip', (t) => {
  const k = new FakeKernel();
  const leader = makeProcess(k, 10);
  const th = makeThread(k, leader, 11);
  th.blocked = sigBit(SIGUSR1) | sigBit(SIGRTMIN + 1) | sigBit(64);
  th.savedBlocked = sigBit(SIGINT) | (1n << 62n);
  th.altStackSp = 0x10000000;
  th.altStackSize = 0x4000;
  th.altStackFlags = SS_AUTODISARM >>> 0;
  fillPending(th.pending, 2);
  const dst = makeProcess(new FakeKernel(), 11);
  dst.pending.add({ signo: SIGINT, code: SI_USER, pid: 1, uid: 0 }); // replaced, not merged
  const items = restoreTaskInto(th, dst);
  t.is(items.filter((i) => i.kind === 'buffer' && i.role === 'siginfo_raw').length, 1);
  t.is(dst.blocked, th.blocked);
  t.is(dst.savedBlocked, th.savedBlocked);
  t.is(dst.altStackSp, th.altStackSp);
  t.is(dst.altStackSize, th.altStackSize);
  t.is(dst.altStackFlags, th.altStackFlags);
  samePending(t, dst.pending, th.pending);
  t.false(dst.pending.has(SIGINT));
});

test('a task with no saved mask and a disabled altstack restores them as such', (t) => {
  const src = makeProcess(new FakeKernel(), 4);
  src.blocked = sigBit(SIGCHLD);
  const dst = makeProcess(new FakeKernel(), 4);
  dst.savedBlocked = 5n;
  dst.altStackSp = 0x1000;
  dst.altStackSize = 0x2000;
  dst.altStackFlags = 0;
  const items = restoreTaskInto(src, dst);
  t.false(items.some((i) => i.kind === 'buffer'), 'no raw siginfo, no buffer');
  t.true(dst.savedBlocked === null);
  t.is(dst.blocked, sigBit(SIGCHLD));
  t.deepEqual([dst.altStackSp, dst.altStackSize, dst.altStackFlags], [0, 0, 2]);
  t.is(dst.pending.mask, 0n);
});

test('a SIGCHLD stop report and a sigqueue\'d raw siginfo deliver the same siginfo_t bytes after restore', (t) => {
  const src = makeProcess(new FakeKernel(), 4);
  src.pending.add({ signo: SIGCHLD, code: CLD_STOPPED, pid: 9, uid: 0, status: SIGTSTP });
  src.pending.add(userSigInfo(7, SIGUSR2));
  const dst = makeProcess(new FakeKernel(), 4);
  restoreTaskInto(src, dst);
  for (const sig of [SIGCHLD, SIGUSR2]) {
    const a = src.pending.dequeue(sig), b = dst.pending.dequeue(sig);
    t.truthy(a && b);
    if (a && b) t.deepEqual([...encodeSigInfo(b)], [...encodeSigInfo(a)], `signal ${sig}`);
  }
});

test('a siginfo the record cannot hold fails the checkpoint with a message naming it', (t) => {
  const src = makeProcess(new FakeKernel(), 12);
  src.pending.add({ signo: SIGSEGV, code: SEGV_MAPERR, pid: 0, uid: 0, addr: 0x1000, value: 5 });
  const e = t.throws(() => image((ctx) => writeTaskSignals(ctx, src)), { instanceOf: CheckpointError });
  t.regex(e?.message ?? '', /^tid 12 pending entry 0 \(signal 11\): .*address and a value/);
  const p = makeProcess(new FakeKernel(), 13).proc;
  p.rlimits.set(16, [1n, 1n]);
  t.throws(() => image((ctx) => checkpointSignal(ctx, p)), { instanceOf: CheckpointError, message: /pid 13: rlimit 16/ });
  const q = makeProcess(new FakeKernel(), 14);
  q.pending.add({ signo: SIGRTMIN, code: SI_QUEUE, pid: 0, uid: 0, value: 2 ** 60 });
  t.throws(() => image((ctx) => writeTaskSignals(ctx, q)), { instanceOf: CheckpointError, message: /53-bit/ });
});
