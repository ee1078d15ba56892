// Host stdio: fds 0/1/2 as external files over an injected HostIo (no real terminal), lazy stdin, tty answers.
import test from 'ava';
import { spawnSync } from 'child_process';
import { EAGAIN, EPIPE, ENOTTY } from '../../lib/emukernel/errno';
import {
  F_GETFL, NR_FCNTL, NR_FSTAT, O_NONBLOCK, O_RDONLY, O_WRONLY, S_IFCHR, S_IFIFO, TCGETS, TIOCGWINSZ,
} from '../../lib/emukernel/fs/constants';
import type { HostFdInfo, HostInputSink, HostIo } from '../../lib/emukernel/fs/host-io';
import { bindHostStdio } from '../../lib/emukernel/fs/host-stdio';
import { SIGPIPE, sigBit } from '../../lib/emukernel/signal/constants';
import { BLOCKED } from '../../lib/emukernel/syscall';
import { NR } from '../../lib/emukernel/syscall-numbers';
import { Ctx, call, makeCtx, sys, textAt } from './fixture';

/** A scripted host: records writes, hands input to the sink when the test says so. */
class FakeHostIo implements HostIo {
  readonly written: [number, string][] = [];
  sink: HostInputSink | null = null;
  starts = 0;
  resumes = 0;
  stopped = false;
  writeErrno = 0;

  constructor(private readonly infos: (HostFdInfo | null)[]) {}

  describe(fd: number): HostFdInfo | null {
    return this.infos[fd] ?? null;
  }

  write(fd: number, data: Uint8Array): number {
    if (this.writeErrno) return this.writeErrno;
    this.written.push([fd, Buffer.from(data).toString()]);
    return 0;
  }

  startInput(sink: HostInputSink): void {
    this.starts++;
    this.sink = sink;
  }

  resumeInput(): void {
    this.resumes++;
  }

  stopInput(): void {
    this.stopped = true;
  }
}

const pipeInfo = (flags: number): HostFdInfo => ({ mode: S_IFIFO | 0o600, rdev: 0, size: 0, blksize: 4096, flags, isTty: false });
const ttyInfo = (flags: number): HostFdInfo => ({ mode: S_IFCHR | 0o620, rdev: 0x8800, size: 0, blksize: 1024, flags, isTty: true });

function boot(infos: (HostFdInfo | null)[]): { c: Ctx; io: FakeHostIo; stdio: ReturnType<typeof bindHostStdio> } {
  const c = makeCtx();
  const io = new FakeHostIo(infos);
  const stdio = bindHostStdio(c.k, c.t.files, io);
  return { c, io, stdio };
}

test('fds 0, 1, 2 are external host files with the host access modes', (t) => {
  const { c } = boot([pipeInfo(O_RDONLY), pipeInfo(O_WRONLY), pipeInfo(O_WRONLY)]);
  for (const fd of [0, 1, 2]) {
    const f = c.t.files.get(fd);
    t.is(f?.kind, 'host');
    t.true(f?.external);
  }
  t.is(call(c, NR_FCNTL, 0, F_GETFL), O_RDONLY);
  t.is(call(c, NR_FCNTL, 1, F_GETFL), O_WRONLY);
});

test('a host fd that is closed is not installed', (t) => {
  const { c } = boot([null, pipeInfo(O_WRONLY), null]);
  t.is(c.t.files.get(0), null);
  t.not(c.t.files.get(1), null);
  t.is(c.t.files.get(2), null);
});

test('writes go straight to the host fd, stdout and stderr separately', (t) => {
  const { c, io } = boot([pipeInfo(O_RDONLY), pipeInfo(O_WRONLY), pipeInfo(O_WRONLY)]);
  t.is(call(c, NR.write, 1, c.mm.put('out'), 3), 3);
  t.is(call(c, NR.write, 2, c.mm.put('err'), 3), 3);
  t.is(call(c, NR.write, 1, c.mm.put(''), 0), 0);
  t.deepEqual(io.written, [[1, 'out'], [2, 'err']]);
});

test('a host EPIPE is EPIPE for the program, with SIGPIPE', (t) => {
  const { c, io } = boot([pipeInfo(O_RDONLY), pipeInfo(O_WRONLY), pipeInfo(O_WRONLY)]);
  io.writeErrno = EPIPE;
  t.is(call(c, NR.write, 1, c.mm.put('x'), 1), -EPIPE);
  t.not(c.t.pending.mask & sigBit(SIGPIPE), 0n);
});

test('stdin is not read from the host until the program reads; then a read blocks until input arrives', (t) => {
  const { c, io, stdio } = boot([pipeInfo(O_RDONLY), pipeInfo(O_WRONLY), pipeInfo(O_WRONLY)]);
  t.is(io.starts, 0);
  t.is(stdio.inputPending(), null, 'nobody waits, nothing to await');
  const buf = c.mm.alloc(16);
  t.is(sys(c, NR.read, 0, buf, 16), BLOCKED);
  t.is(io.starts, 1);
  t.not(stdio.inputPending(), null);
  io.sink?.push(Buffer.from('line one\n'));
  t.is(c.t.state, 'runnable');
  t.is(call(c, NR.read, 0, buf, 4), 4);
  t.is(call(c, NR.read, 0, buf, 16), 5);
  t.is(textAt(c.mm, buf, 5), ' one\n');
  io.sink?.end();
  t.is(call(c, NR.read, 0, buf, 16), 0, 'EOF once the host input ends');
  t.is(io.starts, 1);
});

test('inputPending resolves when host input arrives, so an idle scheduler can await it', async (t) => {
  const { c, io, stdio } = boot([pipeInfo(O_RDONLY), pipeInfo(O_WRONLY), pipeInfo(O_WRONLY)]);
  t.is(sys(c, NR.read, 0, c.mm.alloc(8), 8), BLOCKED);
  const p = stdio.inputPending();
  if (!p) return t.fail('no promise');
  setImmediate(() => io.sink?.push(Buffer.from('x')));
  await p;
  t.is(c.t.state, 'runnable');
});

test('O_NONBLOCK stdin with nothing buffered is EAGAIN (and starts reading)', (t) => {
  const { c, io } = boot([pipeInfo(O_RDONLY), pipeInfo(O_WRONLY), pipeInfo(O_WRONLY)]);
  call(c, NR_FCNTL, 0, 4, O_NONBLOCK);
  t.is(call(c, NR.read, 0, c.mm.alloc(4), 4), -EAGAIN);
  t.is(io.starts, 1);
});

test('pipe input is merged across host reads; a terminal hands out one host read (a line) at a time', (t) => {
  for (const [info, expected] of [[pipeInfo(O_RDONLY), 6], [ttyInfo(2), 3]] as const) {
    const { c, io } = boot([info, pipeInfo(O_WRONLY), pipeInfo(O_WRONLY)]);
    call(c, NR_FCNTL, 0, 4, O_NONBLOCK);
    t.is(call(c, NR.read, 0, c.mm.alloc(1), 1), -EAGAIN);
    io.sink?.push(Buffer.from('ab\n'));
    io.sink?.push(Buffer.from('cd\n'));
    t.is(call(c, NR.read, 0, c.mm.alloc(64), 64), expected);
  }
});

test('TCGETS answers like a terminal only for a host tty; otherwise ENOTTY', (t) => {
  const { c } = boot([ttyInfo(2), pipeInfo(O_WRONLY), ttyInfo(2)]);
  const termios = c.mm.alloc(36);
  t.is(call(c, NR.ioctl, 0, TCGETS, termios), 0);
  t.not((c.mm.readU32(termios + 12) ?? 0) & 0o2, 0, 'ICANON: glibc sees a cooked terminal');
  t.is(call(c, NR.ioctl, 1, TCGETS, termios), -ENOTTY);
  const ws = c.mm.alloc(8);
  t.is(call(c, NR.ioctl, 2, TIOCGWINSZ, ws), 0);
  t.is(call(c, NR.ioctl, 1, TIOCGWINSZ, ws), -ENOTTY);
});

test('fstat of a host fd reports the host object type (glibc picks line or full buffering from it)', (t) => {
  const { c } = boot([ttyInfo(2), pipeInfo(O_WRONLY), pipeInfo(O_WRONLY)]);
  const st = c.mm.alloc(128);
  t.is(call(c, NR_FSTAT, 0, st), 0);
  t.is((c.mm.readU32(st + 16) ?? 0) & 0o170000, S_IFCHR);
  t.is(call(c, NR_FSTAT, 1, st), 0);
  t.is((c.mm.readU32(st + 16) ?? 0) & 0o170000, S_IFIFO);
  t.is(c.mm.readU32(st + 56), 4096);
});

test('shutdown stops host input and wakes readers with EOF', (t) => {
  const { c, io, stdio } = boot([pipeInfo(O_RDONLY), pipeInfo(O_WRONLY), pipeInfo(O_WRONLY)]);
  const buf = c.mm.alloc(8);
  t.is(sys(c, NR.read, 0, buf, 8), BLOCKED);
  stdio.shutdown();
  t.true(io.stopped);
  t.is(c.t.state, 'runnable');
  t.is(call(c, NR.read, 0, buf, 8), 0);
});

test('RealHostIo in a child process: fd kinds and modes from the host, writes to fd 1, stdin read to the end', (t) => {
  const hostIo = require.resolve('../../lib/emukernel/fs/host-io');
  const script = `
    const { RealHostIo } = require(${JSON.stringify(hostIo)});
    const io = new RealHostIo();
    const d0 = io.describe(0), d1 = io.describe(1);
    const chunks = [];
    io.startInput({
      push: (c) => { chunks.push(Buffer.from(c)); return true; },
      end: () => {
        const msg = JSON.stringify({ in: [d0.flags, (d0.mode & 0o170000).toString(8), d0.isTty], out: d1.flags, got: Buffer.concat(chunks).toString() });
        process.exitCode = io.write(1, Buffer.from(msg));
        io.stopInput();
      },
    });`;
  // Through a shell so that fds 0 and 1 are real pipes (node's own stdio pipes are socketpairs).
  const cmd = `printf 'from the host\\n' | "$NODE" -e "$SCRIPT" | cat`;
  const r = spawnSync('/bin/sh', ['-c', cmd], { env: { ...process.env, NODE: process.execPath, SCRIPT: script }, encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  t.deepEqual(JSON.parse(r.stdout), { in: [O_RDONLY, '10000', false], out: O_WRONLY, got: 'from the host\n' });
});
