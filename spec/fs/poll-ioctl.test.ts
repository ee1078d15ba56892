// ppoll and pselect6 over pipes (ready, timeout, sleep and wake), and ioctl's generic and per-file requests.
import test from 'ava';
import { EBADF, ENOTTY } from '../../lib/emukernel/errno';
import {
  AT_FDCWD, F_GETFD, F_GETFL, FIOCLEX, FIONBIO, FIONCLEX, FIONREAD, NR_FCNTL, O_CREAT, O_NONBLOCK, O_RDWR, POLLHUP,
  POLLIN, POLLNVAL, POLLOUT, TCGETS,
} from '../../lib/emukernel/fs/constants';
import { BLOCKED } from '../../lib/emukernel/syscall';
import { NR } from '../../lib/emukernel/syscall-numbers';
import { Ctx, call, makeCtx, sys } from './fixture';

function pipe(c: Ctx): [number, number] {
  const fds = c.mm.alloc(8);
  call(c, NR.pipe2, fds, 0);
  return [c.mm.readU32(fds) ?? -1, c.mm.readU32(fds + 4) ?? -1];
}

/** struct pollfd[] for (fd, events) pairs. */
function pollfds(c: Ctx, list: [number, number][]): number {
  const a = c.mm.alloc(8 * list.length);
  list.forEach(([fd, ev], i) => {
    c.mm.writeU32(a + 8 * i, fd);
    c.mm.writeU32(a + 8 * i + 4, ev);
  });
  return a;
}

const revents = (c: Ctx, a: number, i: number) => ((c.mm.readU32(a + 8 * i + 4) ?? 0) >>> 16);

function timespec(c: Ctx, ns: number): number {
  const a = c.mm.alloc(16);
  c.mm.writeU64Num(a, Math.floor(ns / 1e9));
  c.mm.writeU64Num(a + 8, ns % 1e9);
  return a;
}

test('ppoll reports what is ready now: writable write end, POLLNVAL for a closed fd, negative fds ignored', (t) => {
  const c = makeCtx();
  const [r, w] = pipe(c);
  const fds = pollfds(c, [[r, POLLIN], [w, POLLOUT], [42, POLLIN], [-1, POLLIN]]);
  t.is(call(c, NR.ppoll, fds, 4, timespec(c, 0), 0, 8), 2);
  t.deepEqual([0, 1, 2, 3].map((i) => revents(c, fds, i)), [0, POLLOUT, POLLNVAL, 0]);
});

test('ppoll with nothing ready sleeps until a write wakes it, then reports POLLIN', (t) => {
  const c = makeCtx();
  const [r, w] = pipe(c);
  const fds = pollfds(c, [[r, POLLIN]]);
  t.is(sys(c, NR.ppoll, fds, 1, 0, 0, 8), BLOCKED);
  t.is(c.t.wakeAtNs, null, 'no timeout');
  call({ k: c.k, t: c.t }, NR.write, w, c.mm.put('x'), 1);
  t.is(c.t.state, 'runnable');
  t.is(call(c, NR.ppoll, fds, 1, 0, 0, 8), 1);
  t.is(revents(c, fds, 0), POLLIN);
});

test('ppoll timeout: the deadline is fixed at the first call and the call returns 0 once it passes', (t) => {
  const c = makeCtx();
  const [r] = pipe(c);
  const fds = pollfds(c, [[r, POLLIN]]);
  const tmo = timespec(c, 5_000_000);
  c.k.instructions = 1000;
  t.is(sys(c, NR.ppoll, fds, 1, tmo, 0, 8), BLOCKED);
  const deadline = c.k.nowNs() + 5_000_000;
  t.is(c.t.wakeAtNs, deadline);
  c.t.wakeRetry();
  c.k.instructions = 2000;
  t.is(sys(c, NR.ppoll, fds, 1, tmo, 0, 8), BLOCKED);
  t.is(c.t.wakeAtNs, deadline, 'a re-execution keeps the first deadline');
  c.t.wakeRetry();
  c.k.clock.skipTo(deadline, c.k.instructions);
  t.is(call(c, NR.ppoll, fds, 1, tmo, 0, 8), 0);
  t.is(revents(c, fds, 0), 0);
  t.is(c.mm.readU64Num(tmo + 8), 0, 'the remaining time is written back');
});

test('ppoll sees the hang-up of a pipe whose writers are gone', (t) => {
  const c = makeCtx();
  const [r, w] = pipe(c);
  call(c, NR.close, w);
  const fds = pollfds(c, [[r, POLLIN]]);
  t.is(call(c, NR.ppoll, fds, 1, 0, 0, 8), 1);
  t.is(revents(c, fds, 0), POLLHUP);
});

test('pselect6: the read set keeps only ready fds; a closed fd in a set is EBADF', (t) => {
  const c = makeCtx();
  const [r, w] = pipe(c);
  const [r2] = pipe(c);
  call(c, NR.write, w, c.mm.put('x'), 1);
  const set = c.mm.alloc(8);
  c.mm.writeU64(set, (1n << BigInt(r)) | (1n << BigInt(r2)));
  t.is(call(c, NR.pselect6, 8, set, 0, 0, timespec(c, 0), 0), 1);
  t.is(c.mm.readU64(set), 1n << BigInt(r));
  c.mm.writeU64(set, 1n << 7n);
  t.is(call(c, NR.pselect6, 8, set, 0, 0, timespec(c, 0), 0), -EBADF);
});

test('ioctl: FIOCLEX/FIONCLEX set the fd flag, FIONBIO toggles O_NONBLOCK, FIONREAD counts what is left', (t) => {
  const c = makeCtx();
  const fd = call(c, NR.openat, AT_FDCWD, c.mm.cstr('/f'), O_CREAT | O_RDWR, 0o644);
  call(c, NR.write, fd, c.mm.put('0123456789'), 10);
  t.is(call(c, NR.ioctl, fd, FIOCLEX, 0), 0);
  t.is(call(c, NR_FCNTL, fd, F_GETFD), 1);
  t.is(call(c, NR.ioctl, fd, FIONCLEX, 0), 0);
  t.is(call(c, NR_FCNTL, fd, F_GETFD), 0);
  const one = c.mm.alloc(4);
  c.mm.writeU32(one, 1);
  t.is(call(c, NR.ioctl, fd, FIONBIO, one), 0);
  t.not(call(c, NR_FCNTL, fd, F_GETFL) & O_NONBLOCK, 0);
  const n = c.mm.alloc(4);
  call(c, 62 /* lseek */, fd, 3, 0);
  t.is(call(c, NR.ioctl, fd, FIONREAD, n), 0);
  t.is(c.mm.readU32(n), 7);
  t.is(call(c, NR.ioctl, fd, TCGETS, c.mm.alloc(64)), -ENOTTY, 'a regular file is not a terminal');
  const [r] = pipe(c);
  t.is(call(c, NR.ioctl, r, TCGETS, c.mm.alloc(64)), -ENOTTY, 'nor is a pipe');
  t.is(call(c, NR.ioctl, 77, TCGETS, 0), -EBADF);
});
