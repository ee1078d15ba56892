// pipe2 and pipe I/O: blocking, EOF, EPIPE + SIGPIPE, O_NONBLOCK capacity, PIPE_BUF atomicity, partial writes.
import test from 'ava';
import { EAGAIN, EPIPE, ESPIPE } from '../../lib/emukernel/errno';
import {
  F_GETFL, FIONREAD, NR_FCNTL, NR_FSTAT, NR_LSEEK, O_CLOEXEC, O_NONBLOCK, POLLHUP, POLLIN, POLLOUT, S_IFIFO,
} from '../../lib/emukernel/fs/constants';
import { SIGPIPE, sigBit } from '../../lib/emukernel/signal/constants';
import { BLOCKED } from '../../lib/emukernel/syscall';
import { NR } from '../../lib/emukernel/syscall-numbers';
import { Ctx, addProcess, bytesAt, call, makeCtx, sys } from './fixture';

function pipe(c: Ctx, flags = 0): [number, number] {
  const fds = c.mm.alloc(8);
  if (call(c, NR.pipe2, fds, flags) !== 0) throw new Error('pipe2 failed');
  return [c.mm.readU32(fds) ?? -1, c.mm.readU32(fds + 4) ?? -1];
}

function write(c: Ctx, fd: number, data: Uint8Array | string) {
  const b = typeof data === 'string' ? Buffer.from(data) : data;
  return sys(c, NR.write, fd, c.mm.put(b), b.length);
}

/** Writes `chunk`-byte blocks to a non-blocking pipe until EAGAIN: what it holds. */
function fillNonblocking(chunk: number): { total: number; partials: number[] } {
  const c = makeCtx();
  const [, w] = pipe(c, O_NONBLOCK);
  const buf = c.mm.alloc(chunk);
  let total = 0;
  const partials: number[] = [];
  for (;;) {
    const n = call(c, NR.write, w, buf, chunk);
    if (n === -EAGAIN) break;
    total += n;
    if (n < chunk) partials.push(n);
  }
  return { total, partials };
}

test('pipe2 gives a read end and a write end; data comes out in order', (t) => {
  const c = makeCtx();
  const [r, w] = pipe(c);
  t.deepEqual([r, w], [0, 1]);
  t.is(write(c, w, 'hello '), 6);
  t.is(write(c, w, 'pipe'), 4);
  const buf = c.mm.alloc(64);
  t.is(call(c, NR.read, r, buf, 64), 10);
  t.is(Buffer.from(bytesAt(c.mm, buf, 10)).toString(), 'hello pipe');
});

test('F_GETFL of the ends is O_RDONLY / O_WRONLY plus O_NONBLOCK (qemu-riscv64: 4000 and 4001 octal)', (t) => {
  const c = makeCtx();
  const [r, w] = pipe(c, O_NONBLOCK | O_CLOEXEC);
  t.is(call(c, NR_FCNTL, r, F_GETFL), 0o4000);
  t.is(call(c, NR_FCNTL, w, F_GETFL), 0o4001);
  t.is(call(c, NR.pipe2, c.mm.alloc(8), 0o1), -22);
});

test('fstat of a pipe: S_IFIFO|0600, one link, size 0, blksize 4096; lseek and pread are ESPIPE', (t) => {
  const c = makeCtx();
  const [r, w] = pipe(c);
  const st = c.mm.alloc(128);
  t.is(call(c, NR_FSTAT, r, st), 0);
  t.is(c.mm.readU32(st + 16), S_IFIFO | 0o600);
  t.is(c.mm.readU32(st + 20), 1);
  t.is(c.mm.readU64Num(st + 48), 0);
  t.is(c.mm.readU32(st + 56), 4096);
  t.is(call(c, NR_LSEEK, r, 0, 1), -ESPIPE);
  t.is(call(c, NR.pread64, w, c.mm.alloc(1), 1, 0), -ESPIPE);
});

test('a read on an empty pipe blocks until a writer writes, then re-executes and gets the data', (t) => {
  const c = makeCtx();
  const [r, w] = pipe(c);
  const buf = c.mm.alloc(16);
  t.is(sys(c, NR.read, r, buf, 16), BLOCKED);
  t.is(c.t.state, 'blocked');
  // Another process sharing the pipe writes (a forked child).
  const child = addProcess(c.k, 2, c.t.files.clone());
  t.is(write({ ...child, k: c.k }, w, 'x'), 1);
  t.is(c.t.state, 'runnable');
  t.is(sys(c, NR.read, r, buf, 16), 1);
});

test('EOF: closing the last write end wakes a blocked reader, whose read returns 0', (t) => {
  const c = makeCtx();
  const [r, w] = pipe(c);
  const buf = c.mm.alloc(16);
  const dupW = call(c, NR.dup, w);
  t.is(sys(c, NR.read, r, buf, 16), BLOCKED);
  call(c, NR.close, w);
  t.is(c.t.state, 'blocked', 'a dup of the write end still holds the pipe open');
  call(c, NR.close, dupW);
  t.is(c.t.state, 'runnable');
  t.is(sys(c, NR.read, r, buf, 16), 0);
});

test('O_NONBLOCK: an empty pipe read is EAGAIN', (t) => {
  const c = makeCtx();
  const [r] = pipe(c, O_NONBLOCK);
  t.is(call(c, NR.read, r, c.mm.alloc(4), 4), -EAGAIN);
});

test('a write with no reader fails with EPIPE and queues SIGPIPE on the writer', (t) => {
  const c = makeCtx();
  const [r, w] = pipe(c);
  call(c, NR.close, r);
  t.is(write(c, w, 'lost'), -EPIPE);
  t.not(c.t.pending.mask & sigBit(SIGPIPE), 0n);
});

// Capacities measured under qemu-riscv64 on Linux 6.18 (page slots: a write merges only its sub-page remainder).
for (const [chunk, total, partials] of [
  [1, 65536, []], [100, 64000, []], [4096, 65536, []], [5000, 54096, [4096]], [70000, 65536, [65536]], [4097, 45066, [4096]],
] as const) {
  test(`a non-blocking pipe filled with ${chunk}-byte writes holds ${total} bytes, as on Linux`, (t) => {
    t.deepEqual(fillNonblocking(chunk), { total, partials: [...partials] });
  });
}

test('PIPE_BUF: a blocking write of <= 4096 bytes waits for room and then goes in whole', (t) => {
  const c = makeCtx();
  const [r, w] = pipe(c);
  t.is(call(c, NR.write, w, c.mm.alloc(65436), 65436), 65436);
  t.is(sys(c, NR.write, w, c.mm.alloc(200), 200), BLOCKED);
  const other = { k: c.k, ...addProcess(c.k, 2, c.t.files) };
  const n = other.mm.alloc(4);
  t.is(call(other, NR.ioctl, r, FIONREAD, n), 0);
  t.is(other.mm.readU32(n), 65436, 'nothing of the 200 bytes went in');
  t.is(call(other, NR.read, r, other.mm.alloc(100), 100), 100);
  t.is(c.t.state, 'runnable', 'woken by the read');
  t.is(sys(c, NR.write, w, c.mm.alloc(200), 200), BLOCKED, 'still no free page and no room in the last one');
  t.is(call(other, NR.read, r, other.mm.alloc(3996), 3996), 3996);
  t.is(sys(c, NR.write, w, c.mm.alloc(200), 200), 200);
  t.is(call(other, NR.ioctl, r, FIONREAD, n), 0);
  t.is(other.mm.readU32(n), 65436 - 4096 + 200);
});

test('PIPE_BUF, non-blocking: with 100 bytes free a 200-byte write is EAGAIN and a 100-byte one fits (as on Linux)', (t) => {
  const c = makeCtx();
  const [, w] = pipe(c, O_NONBLOCK);
  t.is(call(c, NR.write, w, c.mm.alloc(65436), 65436), 65436);
  t.is(call(c, NR.write, w, c.mm.alloc(200), 200), -EAGAIN);
  t.is(call(c, NR.write, w, c.mm.alloc(100), 100), 100);
});

test('a blocking write larger than the pipe returns only when all of it is in, across wake-ups', (t) => {
  const c = makeCtx();
  const [r, w] = pipe(c);
  const n = 150000;
  const src = new Uint8Array(n).map((_, i) => (i * 7) & 0xff);
  const reader = { k: c.k, ...addProcess(c.k, 2, c.t.files.clone()) };
  const out: number[] = [];
  const buf = reader.mm.alloc(65536);
  const srcAddr = c.mm.put(src);
  let r1 = sys(c, NR.write, w, srcAddr, n);
  for (let rounds = 0; r1 === BLOCKED && rounds < 10; rounds++) {
    t.true(c.t.restart !== null && (c.t.restart.done ?? 0) > 0);
    const got = sys(reader, NR.read, r, buf, 65536);
    if (typeof got !== 'number' || got <= 0) break;
    out.push(...bytesAt(reader.mm, buf, got));
    t.is(c.t.state, 'runnable');
    r1 = sys(c, NR.write, w, srcAddr, n);
  }
  t.is(r1, n);
  for (;;) {
    const got = call(reader, NR.read, r, buf, 65536);
    out.push(...bytesAt(reader.mm, buf, got));
    if (out.length >= n) break;
  }
  t.deepEqual(Uint8Array.from(out), src);
});

test('readers going away during a large blocking write: the partial count comes back, with SIGPIPE', (t) => {
  const c = makeCtx();
  const [r, w] = pipe(c);
  t.is(sys(c, NR.write, w, c.mm.alloc(100000), 100000), BLOCKED);
  const done = c.t.restart?.done ?? 0;
  t.true(done > 0);
  c.t.files.close(r);
  t.is(c.t.state, 'runnable');
  t.is(sys(c, NR.write, w, c.mm.alloc(100000), 100000), done);
  t.not(c.t.pending.mask & sigBit(SIGPIPE), 0n);
});

test('poll: the read end is readable after a write and hangs up once the writer is gone; the write end is writable', (t) => {
  const c = makeCtx();
  const [r, w] = pipe(c);
  const rf = c.t.files.get(r), wf = c.t.files.get(w);
  if (!rf || !wf) throw new Error('no files');
  t.is(rf.ops.poll(rf) & POLLIN, 0);
  t.not(wf.ops.poll(wf) & POLLOUT, 0);
  write(c, w, 'x');
  t.not(rf.ops.poll(rf) & POLLIN, 0);
  call(c, NR.close, w);
  t.not(rf.ops.poll(rf) & POLLHUP, 0);
});

test('pipe fds survive fork (FdTable.clone) and the pipe counts open files, not fds', (t) => {
  const c = makeCtx();
  const [r, w] = pipe(c);
  const childFiles = c.t.files.clone();
  const wf = c.t.files.get(w);
  t.is(wf?.refs, 2);
  call(c, NR.close, w);
  const buf = c.mm.alloc(4);
  t.is(sys(c, NR.read, r, buf, 4), BLOCKED, "the child's copy keeps the write end open");
  childFiles.closeAll();
  t.is(c.t.state, 'runnable');
  t.is(call(c, NR.read, r, buf, 4), 0);
});
