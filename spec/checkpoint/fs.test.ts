// Fd tables, open files, pipes, fs contexts and host stdio survive checkpoint then restore, and behave as the originals go on to.
import test from 'ava';
import { CheckpointError } from '../../lib/emukernel/checkpoint/context';
import { EAGAIN, EBADF, EPIPE } from '../../lib/emukernel/errno';
import {
  AT_FDCWD, AT_REMOVEDIR, FD_CLOEXEC, FIONREAD, F_GETFD, F_GETFL, F_SETFL, NR_FCNTL, NR_FSTAT, NR_LSEEK, O_APPEND,
  O_CLOEXEC, O_CREAT, O_DIRECTORY, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY, SEEK_CUR, SEEK_SET,
} from '../../lib/emukernel/fs/constants';
import {
  checkpointFileTable, checkpointFs, checkpointRootfs, fsRestorers, restoreRootfs,
} from '../../lib/emukernel/fs/checkpoint';
import { inodeRefOf } from '../../lib/emukernel/fs/inode-files';
import { readImageItems } from '../../lib/crfs/image/codec';
import { buildSampleImage } from '../image/sample-image';
import { FdTable } from '../../lib/emukernel/fs/fdtable';
import { DEFAULT_OPS, FileOps, OpenFile } from '../../lib/emukernel/fs/file';
import { FsContext } from '../../lib/emukernel/fs/fs-context';
import { bindHostStdio } from '../../lib/emukernel/fs/host-stdio';
import type { Kernel } from '../../lib/emukernel/kernel';
import { SIGPIPE, sigBit } from '../../lib/emukernel/signal/constants';
import { NR } from '../../lib/emukernel/syscall-numbers';
import type { Task } from '../../lib/emukernel/task';
import { Ctx, addProcess, bytesAt, call, makeCtx, sys } from '../fs/fixture';
import { BLOCKED } from '../../lib/emukernel/syscall';
import { FakeHostIo, freshKernel, pipeInfo, recordsNamed, restorer, writeImage } from './fs-roundtrip';

function open(c: Ctx, path: string, flags: number, mode = 0o644): number {
  const fd = call(c, NR.openat, AT_FDCWD, c.mm.cstr(path), flags, mode);
  if (fd < 0) throw new Error(`open ${path}: ${fd}`);
  return fd;
}

function write(c: Ctx, fd: number, text: string): number {
  return call(c, NR.write, fd, c.mm.put(text), Buffer.byteLength(text));
}

function read(c: Ctx, fd: number, max: number): string | number {
  const buf = c.mm.alloc(max);
  const n = call(c, NR.read, fd, buf, max);
  return n < 0 ? n : Buffer.from(bytesAt(c.mm, buf, n)).toString();
}

function pipe(c: Ctx, flags = 0): [number, number] {
  const fds = c.mm.alloc(8);
  if (call(c, NR.pipe2, fds, flags) !== 0) throw new Error('pipe2');
  return [c.mm.readU32(fds) ?? -1, c.mm.readU32(fds + 4) ?? -1];
}

interface Restored { items: ReturnType<typeof writeImage>['items']; k2: Kernel; tasks: Ctx[] }

/**
 * Checkpoint k's root, then each task's fd table and fs context (as the driver does, in order), and
 * restore them into a fresh kernel (host stdio over `io`) with one task per original over the restored objects.
 */
function roundTrip(k: Kernel, tasks: Task[], io?: FakeHostIo): Restored {
  const refs: [number, number][] = [];
  const { items } = writeImage(k, (ctx) => {
    checkpointRootfs(ctx, k);
    for (const t of tasks) refs.push([checkpointFileTable(ctx, t.files), checkpointFs(ctx, t.fs)]);
  });
  const k2 = freshKernel(io);
  const r = restorer(k2, items);
  restoreRootfs(r);
  r.takeObjects();
  if (r.peek()?.name !== 'tail') throw new Error(`restore stopped before ${r.peek()?.name}`);
  const out = tasks.map((t, i) => {
    const files = r.object<FdTable>('file_table', refs[i][0], 'test');
    const fs = r.object<FsContext>('fs', refs[i][1], 'test');
    const p = addProcess(k2, t.tid, files, fs);
    return { k: k2, t: p.t, mm: p.mm };
  });
  return { items, k2, tasks: out };
}

test('dup\'ed fds share one file after restore: a write through one moves the position of the other', (t) => {
  const c = makeCtx();
  const fd = open(c, '/f', O_CREAT | O_RDWR);
  write(c, fd, 'abc');
  const dup = call(c, NR.dup, fd);
  const [c2] = roundTrip(c.k, [c.t]).tasks;
  const f = c2.t.files.get(fd);
  t.is(f, c2.t.files.get(dup));
  t.is(f?.refs, 2);
  for (const x of [c, c2]) write(x, fd, 'XY');
  t.is(call(c2, NR_LSEEK, dup, 0, SEEK_CUR), call(c, NR_LSEEK, dup, 0, SEEK_CUR));
  t.is(call(c2, NR_LSEEK, dup, 0, SEEK_CUR), 5);
  t.is(Buffer.from(c2.k.rootfs.readFile('/f')).toString(), 'abcXY');
});

test('a file shared by fork is one object in the image and after restore; closing it in one table leaves the other', (t) => {
  const c = makeCtx();
  const fd = open(c, '/shared', O_CREAT | O_RDWR);
  write(c, fd, 'hello');
  const child = addProcess(c.k, 2, c.t.files.clone());
  const own = open(c, '/own', O_CREAT | O_RDWR);
  const { items, tasks: [p2, c2] } = roundTrip(c.k, [c.t, child.t]);
  t.is(recordsNamed(items, 'file').length, 2, 'two open files: /shared once, /own once');
  t.is(recordsNamed(items, 'file_table').length, 2);
  const f = p2.t.files.get(fd);
  t.is(f, c2.t.files.get(fd));
  t.is(f?.refs, 2);
  t.is(c2.t.files.get(own), null);
  call(c2, NR.close, fd);
  t.is(f?.refs, 1);
  t.is(call(p2, NR_LSEEK, fd, 0, SEEK_SET), 0);
  t.is(read(p2, fd, 16), 'hello');
});

test('a table shared by CLONE_FILES and an fs context shared by CLONE_FS are written once and restored as one object', (t) => {
  const c = makeCtx();
  const fd = open(c, '/x', O_CREAT | O_RDWR);
  const thread = addProcess(c.k, 2, c.t.files, c.t.fs);
  const { items, tasks: [a, b] } = roundTrip(c.k, [c.t, thread.t]);
  t.is(recordsNamed(items, 'file_table').length, 1);
  t.is(recordsNamed(items, 'fs').length, 1);
  t.is(a.t.files, b.t.files);
  t.is(a.t.fs, b.t.fs);
  t.is(a.t.files.get(fd)?.refs, 1);
});

test('close-on-exec, O_APPEND and O_NONBLOCK survive; an O_APPEND write still goes to the end', (t) => {
  const c = makeCtx();
  const plain = open(c, '/log', O_CREAT | O_WRONLY);
  write(c, plain, 'start;');
  const app = open(c, '/log', O_WRONLY | O_APPEND | O_CLOEXEC);
  call(c, NR_FCNTL, plain, F_SETFL, O_NONBLOCK);
  const [c2] = roundTrip(c.k, [c.t]).tasks;
  for (const fd of [plain, app]) {
    t.is(call(c2, NR_FCNTL, fd, F_GETFD), call(c, NR_FCNTL, fd, F_GETFD));
    t.is(call(c2, NR_FCNTL, fd, F_GETFL), call(c, NR_FCNTL, fd, F_GETFL));
  }
  t.is(call(c2, NR_FCNTL, app, F_GETFD), FD_CLOEXEC);
  t.not(call(c2, NR_FCNTL, app, F_GETFL) & O_APPEND, 0);
  t.not(call(c2, NR_FCNTL, plain, F_GETFL) & O_NONBLOCK, 0);
  for (const x of [c, c2]) {
    call(x, NR_LSEEK, app, 0, SEEK_SET);
    write(x, app, 'appended');
  }
  t.is(Buffer.from(c2.k.rootfs.readFile('/log')).toString(), Buffer.from(c.k.rootfs.readFile('/log')).toString());
  t.is(Buffer.from(c2.k.rootfs.readFile('/log')).toString(), 'start;appended');
});

test('a pipe keeps its buffered bytes in order; EOF comes once the restored writers close', (t) => {
  const c = makeCtx();
  const [r, w] = pipe(c, O_NONBLOCK);
  write(c, w, 'hello ');
  write(c, w, 'x'.repeat(5000));
  write(c, w, 'world');
  t.is(read(c, r, 3), 'hel');
  const { items, tasks: [c2] } = roundTrip(c.k, [c.t]);
  t.is(recordsNamed(items, 'pipe').length, 1, 'both ends name one pipe');
  const n = c2.mm.alloc(4);
  call(c2, NR.ioctl, r, FIONREAD, n);
  t.is(c2.mm.readU32(n), 3 + 5000 + 5);
  t.is(read(c2, r, 3), 'lo ');
  t.is(read(c2, r, 5000), 'x'.repeat(5000));
  t.is(read(c2, r, 100), 'world');
  t.is(read(c2, r, 100), -EAGAIN, 'empty, a writer still open');
  call(c2, NR.close, w);
  t.is(read(c2, r, 100), '', 'EOF: no writer left');
});

test('a pipe fills up after restore exactly as the original does (same slot layout)', (t) => {
  const c = makeCtx();
  const [r, w] = pipe(c, O_NONBLOCK);
  for (const n of [100, 4097, 3, 8191, 1]) write(c, w, 'a'.repeat(n));
  read(c, r, 150);
  const [c2] = roundTrip(c.k, [c.t]).tasks;
  const fill = (x: Ctx): number[] => {
    const got: number[] = [];
    for (let i = 0; i < 40; i++) {
      const n = write(x, w, 'b'.repeat(1000 + 37 * i));
      got.push(n);
      if (n < 0) break;
    }
    return got;
  };
  const want = fill(c);
  t.is(want[want.length - 1], -EAGAIN, 'the original filled up');
  t.deepEqual(fill(c2), want);
});

test('EPIPE and SIGPIPE once the restored reader closes; a fork-shared write end keeps the pipe open', (t) => {
  const c = makeCtx();
  const [r, w] = pipe(c, O_NONBLOCK);
  const child = addProcess(c.k, 2, c.t.files.clone());
  const [p2, c2] = roundTrip(c.k, [c.t, child.t]).tasks;
  const pipeObj = p2.t.files.get(w);
  t.is(pipeObj, c2.t.files.get(w));
  call(c2, NR.close, w);
  t.is(read(p2, r, 10), -EAGAIN, 'the parent\'s write end still counts');
  call(p2, NR.close, w);
  t.is(read(p2, r, 10), '', 'EOF with both closed');
  const [r2, w2] = pipe(p2, O_NONBLOCK);
  write(p2, w2, 'q');
  call(p2, NR.close, r2);
  call(c2, NR.close, r);
  call(p2, NR.close, r);
  const [p3] = roundTrip(p2.k, [p2.t]).tasks;
  t.is(write(p3, w2, 'z'), -EPIPE);
  t.not(p3.t.pending.mask & sigBit(SIGPIPE), 0n);
});

test('host stdio is re-bound to the restoring kernel\'s host: writes land in the new sink, input comes from the new host', (t) => {
  const c = makeCtx();
  const oldIo = new FakeHostIo([pipeInfo(O_RDONLY), pipeInfo(O_WRONLY), pipeInfo(O_WRONLY)]);
  bindHostStdio(c.k, c.t.files, oldIo);
  call(c, NR_FCNTL, 1, F_SETFL, O_NONBLOCK);
  const dupOut = call(c, NR.dup, 1);
  const newIo = new FakeHostIo([pipeInfo(O_RDONLY), pipeInfo(O_WRONLY), pipeInfo(O_WRONLY)]);
  const { items, k2, tasks: [c2] } = roundTrip(c.k, [c.t], newIo);
  t.is(recordsNamed(items, 'file').length, 3);
  t.is(write(c2, 1, 'out'), 3);
  t.is(write(c2, 2, 'err'), 3);
  t.is(write(c2, dupOut, '!'), 1);
  t.deepEqual(newIo.written, [[1, 'out'], [2, 'err'], [1, '!']]);
  t.deepEqual(oldIo.written, []);
  t.true(c2.t.files.get(1)?.external);
  t.not(call(c2, NR_FCNTL, 1, F_GETFL) & O_NONBLOCK, 0);
  t.is(c2.t.files.get(1), c2.t.files.get(dupOut));
  t.is(k2.scheduler['externalWakers'].length, 1, 'one host-input waker for the restored kernel');
  t.is(sys(c2, NR.read, 0, c2.mm.alloc(8), 8), BLOCKED, 'stdin waits for the new host');
  t.not(newIo.sink, null);
  t.is(oldIo.sink, null);
  newIo.sink?.push(Buffer.from('in'));
  t.is(read(c2, 0, 8), 'in');
});

test('the cwd and umask come back; a removed cwd stays a removed directory', (t) => {
  const c = makeCtx();
  call(c, NR.mkdirat, AT_FDCWD, c.mm.cstr('/w'), 0o755);
  call(c, NR.mkdirat, AT_FDCWD, c.mm.cstr('/w/sub'), 0o755);
  call(c, NR.chdir, c.mm.cstr('/w/sub'));
  call(c, NR.umask, 0o027);
  const gone = addProcess(c.k, 2, new FdTable(), new FsContext('/'));
  call({ k: c.k, t: gone.t }, NR.mkdirat, AT_FDCWD, gone.mm.cstr('/doomed'), 0o755);
  call({ k: c.k, t: gone.t }, NR.chdir, gone.mm.cstr('/doomed'));
  call(c, NR.unlinkat, AT_FDCWD, c.mm.cstr('/doomed'), AT_REMOVEDIR);
  const [c2, g2] = roundTrip(c.k, [c.t, gone.t]).tasks;
  const cwd = (x: Ctx): string | number => {
    const buf = x.mm.alloc(256);
    const n = call(x, NR.getcwd, buf, 256);
    return n < 0 ? n : Buffer.from(bytesAt(x.mm, buf, n - 1)).toString();
  };
  t.is(cwd(c2), '/w/sub');
  t.is(c2.t.fs.umask, 0o027);
  t.is(cwd(g2), cwd({ k: c.k, t: gone.t, mm: gone.mm }));
  const probe = (x: Ctx): number => call(x, NR.openat, AT_FDCWD, x.mm.cstr('new'), O_CREAT | O_WRONLY, 0o644);
  t.is(probe(g2), probe({ k: c.k, t: gone.t, mm: gone.mm }), 'creating in the removed cwd fails the same way');
  t.is(c2.k.rootfs.inodeCount(), c.k.rootfs.inodeCount(), 'the removed cwd is not counted as live (statfs)');
  const here = open(c2, 'here', O_CREAT | O_WRONLY, 0o666);
  const st = c2.mm.alloc(128);
  call(c2, NR_FSTAT, here, st);
  t.is((c2.mm.readU32(st + 16) ?? 0) & 0o777, 0o640, 'the umask applies');
});

test('a directory fd read halfway goes on with the same entries', (t) => {
  const c = makeCtx();
  call(c, NR.mkdirat, AT_FDCWD, c.mm.cstr('/d'), 0o755);
  for (let i = 0; i < 12; i++) c.k.rootfs.writeFile(`/d/file-${i}`, new Uint8Array(0));
  const fd = open(c, '/d', O_RDONLY | O_DIRECTORY);
  t.true(call(c, NR.getdents64, fd, c.mm.alloc(128), 128) > 0);
  const [c2] = roundTrip(c.k, [c.t]).tasks;
  const rest = (x: Ctx): string => {
    const buf = x.mm.alloc(4096);
    const n = call(x, NR.getdents64, fd, buf, 4096);
    return Buffer.from(bytesAt(x.mm, buf, n)).toString('hex');
  };
  const want = rest(c);
  t.true(want.length > 0);
  t.is(rest(c2), want);
});

test('an fd the checkpoint cannot save fails it, naming the fd; nothing in the container changes', (t) => {
  const c = makeCtx();
  const odd: FileOps<null> = {
    ...DEFAULT_OPS, kind: 'regular', positional: false, read: () => 0, write: () => 0, stat: () => { throw new Error('no'); },
    poll: () => 0, describe: () => 'odd',
  };
  const fd = c.t.files.install(new OpenFile(odd, null, O_RDWR));
  const e = t.throws(() => writeImage(c.k, (ctx) => checkpointFileTable(ctx, c.t.files)), { instanceOf: CheckpointError });
  t.is(e?.errno, EBADF);
  t.is(e?.message, `fd ${fd}: unsupported file type regular`);
  t.is(c.t.files.get(fd)?.refs, 1);
});

test('the hand-written sample image\'s root and file table restore: names, the fallocate\'d block, a pipe, a file by inode', (t) => {
  const items = readImageItems(buildSampleImage());
  const r = restorer(freshKernel(new FakeHostIo([pipeInfo(O_RDONLY), pipeInfo(O_WRONLY), pipeInfo(O_WRONLY)])), items);
  while (!r.at('rootfs')) r.next();
  restoreRootfs(r);
  const isTable = (it: ReturnType<typeof r.peek>): boolean => it?.kind === 'record' && it.name === 'objref' && it.value.objtype === 'file_table';
  while (!isTable(r.peek())) r.next();
  r.next();
  const table = fsRestorers.file_table?.(r);
  if (!(table instanceof FdTable)) return t.fail('no table');
  t.deepEqual([...table.entries()].map(([fd, e]) => [fd, e.file.kind, e.cloexec]), [[0, 'host', false], [3, 'pipe', true], [4, 'regular', false]]);
  const f4 = table.get(4);
  const out = f4 ? inodeRefOf(f4) : null;
  t.is(out?.inode.ino, 3);
  t.is(out?.fs.pathOf(out.link), '/tmp/out');
  t.is(table.get(4)?.pos, 4096);
  t.is(out?.inode.blocks512(), 0, 'a block reserved past EOF is not counted while the file is empty');
});
