// renameat2 (flags, replacing open files, directory link counts), linkat, symlinkat, unlinkat side effects.
import test from 'ava';
import { EEXIST, EINVAL, ENOENT, EPERM } from '../../lib/emukernel/errno';
import {
  AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, NR_FSTAT, O_CREAT, O_RDONLY, O_RDWR, O_TMPFILE,
  RENAME_EXCHANGE, RENAME_NOREPLACE,
} from '../../lib/emukernel/fs/constants';
import { inodeOf } from '../../lib/emukernel/fs/dentry';
import { NR } from '../../lib/emukernel/syscall-numbers';
import { Ctx, call, makeCtx, textAt } from './fixture';

const rename = (c: Ctx, a: string, b: string, flags = 0) =>
  call(c, NR.renameat2, AT_FDCWD, c.mm.cstr(a), AT_FDCWD, c.mm.cstr(b), flags);
const text = (c: Ctx, p: string) => Buffer.from(c.k.rootfs.exportFile(p)).toString();
const nlink = (c: Ctx, p: string) => inodeOf(c.k.rootfs.lookup(p, '/', false)).nlink;

test('rename over an existing file replaces it; a process that had the old one open still reads it', (t) => {
  const c = makeCtx();
  c.k.rootfs.writeFile('/old', Buffer.from('old data'));
  c.k.rootfs.writeFile('/new', Buffer.from('new data'));
  const fd = call(c, NR.openat, AT_FDCWD, c.mm.cstr('/old'), O_RDONLY, 0);
  t.is(rename(c, '/new', '/old'), 0);
  t.is(text(c, '/old'), 'new data');
  const buf = c.mm.alloc(16);
  t.is(call(c, NR.read, fd, buf, 16), 8);
  t.is(textAt(c.mm, buf, 8), 'old data');
  const st = c.mm.alloc(128);
  call(c, NR_FSTAT, fd, st);
  t.is(c.mm.readU32(st + 20), 0, 'the replaced inode has no name left');
});

test('RENAME_NOREPLACE refuses an existing target; RENAME_EXCHANGE swaps two names; both together are EINVAL', (t) => {
  const c = makeCtx();
  c.k.rootfs.writeFile('/a', Buffer.from('A'));
  c.k.rootfs.writeFile('/b', Buffer.from('B'));
  c.k.rootfs.mkdirp('/dir/x');
  t.is(rename(c, '/a', '/b', RENAME_NOREPLACE), -EEXIST);
  t.is(rename(c, '/a', '/c', RENAME_NOREPLACE), 0);
  t.is(rename(c, '/c', '/b', RENAME_EXCHANGE), 0);
  t.deepEqual([text(c, '/b'), text(c, '/c')], ['A', 'B']);
  t.is(rename(c, '/b', '/dir', RENAME_EXCHANGE), 0, 'exchange works across types');
  t.is(inodeOf(c.k.rootfs.lookup('/b')).isDir(), true);
  t.is(text(c, '/dir'), 'A');
  t.is(rename(c, '/c', '/none', RENAME_EXCHANGE), -ENOENT);
  t.is(rename(c, '/c', '/b', RENAME_EXCHANGE | RENAME_NOREPLACE), -EINVAL);
  t.is(rename(c, '/c', '/b', 8), -EINVAL);
});

test('moving a directory moves its ".." link: both parents\' link counts change', (t) => {
  const c = makeCtx();
  c.k.rootfs.mkdirp('/p1/child');
  c.k.rootfs.mkdirp('/p2');
  t.deepEqual([nlink(c, '/p1'), nlink(c, '/p2')], [3, 2]);
  t.is(rename(c, '/p1/child', '/p2/child'), 0);
  t.deepEqual([nlink(c, '/p1'), nlink(c, '/p2'), nlink(c, '/p2/child')], [2, 3, 2]);
  const buf = c.mm.alloc(64);
  call(c, NR.chdir, c.mm.cstr('/p2/child'));
  t.is(call(c, NR.chdir, c.mm.cstr('..')), 0);
  t.is(call(c, NR.getcwd, buf, 64), 4);
  t.is(textAt(c.mm, buf, 3), '/p2');
  t.is(rename(c, '/p2', '/p2/child/inside'), -EINVAL, 'not into itself');
});

test('rmdir of an open directory: fstat then shows nlink 0 and its parent lost a link', (t) => {
  const c = makeCtx();
  c.k.rootfs.mkdirp('/top/dir');
  const fd = call(c, NR.openat, AT_FDCWD, c.mm.cstr('/top/dir'), O_RDONLY, 0);
  t.is(call(c, NR.unlinkat, AT_FDCWD, c.mm.cstr('/top/dir'), AT_REMOVEDIR), 0);
  const st = c.mm.alloc(128);
  call(c, NR_FSTAT, fd, st);
  t.is(c.mm.readU32(st + 20), 0);
  t.is(nlink(c, '/top'), 2);
  t.is(call(c, NR.unlinkat, AT_FDCWD, c.mm.cstr('/top'), 0x100), -EINVAL, 'unknown unlinkat flags');
});

test('linkat: AT_SYMLINK_FOLLOW links the target, otherwise the symlink itself; directories are EPERM', (t) => {
  const c = makeCtx();
  c.k.rootfs.writeFile('/f', Buffer.from('f'));
  c.k.rootfs.symlinkAt('/s', 'f');
  const link = (a: string, b: string, flags = 0) => call(c, NR.linkat, AT_FDCWD, c.mm.cstr(a), AT_FDCWD, c.mm.cstr(b), flags);
  t.is(link('/s', '/s2'), 0);
  t.true(inodeOf(c.k.rootfs.lookup('/s2', '/', false)).isLink());
  t.is(link('/s', '/f2', AT_SYMLINK_FOLLOW), 0);
  t.is(nlink(c, '/f'), 2);
  t.is(link('/tmp', '/t2'), -EPERM);
  t.is(link('/f', '/f2'), -EEXIST);
});

test('O_CREAT through a dangling symlink creates the file it points to', (t) => {
  const c = makeCtx();
  c.k.rootfs.mkdirp('/d');
  c.k.rootfs.symlinkAt('/d/ln', '../made');
  const fd = call(c, NR.openat, AT_FDCWD, c.mm.cstr('/d/ln'), O_CREAT | O_RDWR, 0o600);
  t.true(fd >= 0);
  call(c, NR.write, fd, c.mm.put('via link'), 8);
  t.is(text(c, '/made'), 'via link');
  t.is(inodeOf(c.k.rootfs.lookup('/made')).mode & 0o777, 0o600);
});

test('O_TMPFILE: an unnamed file in a directory; linkat of an unnamed inode is ENOENT', (t) => {
  const c = makeCtx();
  const fd = call(c, NR.openat, AT_FDCWD, c.mm.cstr('/tmp'), O_TMPFILE | O_RDWR, 0o600);
  t.true(fd >= 0);
  t.is(call(c, NR.write, fd, c.mm.put('anon'), 4), 4);
  t.is([...c.k.rootfs.lookup('/tmp').children.keys()].filter((n) => n !== '.' && n !== '..').length, 0);
  t.is(call(c, NR.linkat, fd, c.mm.cstr(''), AT_FDCWD, c.mm.cstr('/tmp/named'), AT_EMPTY_PATH), -ENOENT);
  t.is(call(c, NR.openat, AT_FDCWD, c.mm.cstr('/tmp'), O_TMPFILE | O_RDONLY, 0o600), -EINVAL);
});

test('symlinkat stores the target verbatim (an empty target is ENOENT)', (t) => {
  const c = makeCtx();
  t.is(call(c, NR.symlinkat, c.mm.cstr('../../x//y/'), AT_FDCWD, c.mm.cstr('/sl')), 0);
  t.is(inodeOf(c.k.rootfs.lookup('/sl', '/', false)).symlink, '../../x//y/');
  t.is(call(c, NR.symlinkat, c.mm.cstr(''), AT_FDCWD, c.mm.cstr('/sl2')), -ENOENT);
});
