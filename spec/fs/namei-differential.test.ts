// Path resolution and namespace calls checked against the host's own Linux kernel: same tree, same call, same errno.
import test from 'ava';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { errnoName } from '../../lib/emukernel/errno';
import {
  AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_NOFOLLOW, NR_NEWFSTATAT, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW,
  O_RDONLY, O_TRUNC, O_WRONLY,
} from '../../lib/emukernel/fs/constants';
import { inodeOf } from '../../lib/emukernel/fs/dentry';
import { NR } from '../../lib/emukernel/syscall-numbers';
import { Ctx, call, makeCtx } from './fixture';

/** One probe: run on the host (node's fs makes the real syscall) and on emukernel; the outcome is an errno name or OK. */
interface Probe {
  name: string;
  host(root: string): void;
  guest(c: Ctx): number;
}

const HOST = fs.constants;
/** Our (asm-generic) open flags as the host's, bit by bit, so the table is written once. */
function hostFlags(f: number): number {
  let h = 0;
  if ((f & 3) === O_WRONLY) h |= HOST.O_WRONLY;
  if ((f & 3) === 2) h |= HOST.O_RDWR;
  if (f & O_CREAT) h |= HOST.O_CREAT;
  if (f & O_EXCL) h |= HOST.O_EXCL;
  if (f & O_TRUNC) h |= HOST.O_TRUNC;
  if (f & O_DIRECTORY) h |= HOST.O_DIRECTORY;
  if (f & O_NOFOLLOW) h |= HOST.O_NOFOLLOW;
  return h;
}

const open = (p: string, flags: number): Probe => ({
  name: `open ${JSON.stringify(p)} ${flags.toString(8)}`,
  host: (r) => fs.closeSync(fs.openSync(p === '' ? '' : `${r}/${p}`, hostFlags(flags), 0o644)),
  guest: (c) => {
    const fd = call(c, NR.openat, AT_FDCWD, c.mm.cstr(p), flags, 0o644);
    return fd < 0 ? fd : call(c, NR.close, fd);
  },
});
const mkdir = (p: string): Probe => ({
  name: `mkdir ${JSON.stringify(p)}`,
  host: (r) => fs.mkdirSync(`${r}/${p}`, 0o755),
  guest: (c) => call(c, NR.mkdirat, AT_FDCWD, c.mm.cstr(p), 0o755),
});
const rmdir = (p: string): Probe => ({
  name: `rmdir ${JSON.stringify(p)}`,
  host: (r) => fs.rmdirSync(`${r}/${p}`),
  guest: (c) => call(c, NR.unlinkat, AT_FDCWD, c.mm.cstr(p), AT_REMOVEDIR),
});
const unlink = (p: string): Probe => ({
  name: `unlink ${JSON.stringify(p)}`,
  host: (r) => fs.unlinkSync(`${r}/${p}`),
  guest: (c) => call(c, NR.unlinkat, AT_FDCWD, c.mm.cstr(p), 0),
});
const rename = (a: string, b: string): Probe => ({
  name: `rename ${JSON.stringify(a)} ${JSON.stringify(b)}`,
  host: (r) => fs.renameSync(`${r}/${a}`, `${r}/${b}`),
  guest: (c) => call(c, NR.renameat2, AT_FDCWD, c.mm.cstr(a), AT_FDCWD, c.mm.cstr(b), 0),
});
const link = (a: string, b: string): Probe => ({
  name: `link ${JSON.stringify(a)} ${JSON.stringify(b)}`,
  host: (r) => fs.linkSync(`${r}/${a}`, `${r}/${b}`),
  guest: (c) => call(c, NR.linkat, AT_FDCWD, c.mm.cstr(a), AT_FDCWD, c.mm.cstr(b), 0),
});
const symlink = (target: string, p: string): Probe => ({
  name: `symlink ${JSON.stringify(target)} ${JSON.stringify(p)}`,
  host: (r) => fs.symlinkSync(target, `${r}/${p}`),
  guest: (c) => call(c, NR.symlinkat, c.mm.cstr(target), AT_FDCWD, c.mm.cstr(p)),
});
const stat = (p: string): Probe => ({
  name: `stat ${JSON.stringify(p)}`,
  host: (r) => fs.statSync(`${r}/${p}`),
  guest: (c) => call(c, NR_NEWFSTATAT, AT_FDCWD, c.mm.cstr(p), c.mm.alloc(128), 0),
});
const lstat = (p: string): Probe => ({
  name: `lstat ${JSON.stringify(p)}`,
  host: (r) => fs.lstatSync(`${r}/${p}`),
  guest: (c) => call(c, NR_NEWFSTATAT, AT_FDCWD, c.mm.cstr(p), c.mm.alloc(128), AT_SYMLINK_NOFOLLOW),
});
const readlink = (p: string): Probe => ({
  name: `readlink ${JSON.stringify(p)}`,
  host: (r) => fs.readlinkSync(`${r}/${p}`),
  guest: (c) => {
    const n = call(c, NR.readlinkat, AT_FDCWD, c.mm.cstr(p), c.mm.alloc(256), 256);
    return n < 0 ? n : 0;
  },
});

const PROBES: Probe[] = [
  open('f', O_RDONLY), open('f/', O_RDONLY), open('d', O_WRONLY), open('d', O_RDONLY), open('d', O_RDONLY | O_TRUNC),
  open('missing', O_RDONLY), open('missing/x', O_RDONLY), open('f/x', O_RDONLY), open('d/', O_CREAT | O_WRONLY),
  open('new/', O_CREAT | O_WRONLY), open('f', O_CREAT | O_EXCL | O_WRONLY), open('dang', O_CREAT | O_EXCL | O_WRONLY),
  open('dang', O_CREAT | O_WRONLY), open('ln', O_NOFOLLOW), open('ln/', O_NOFOLLOW), open('dl/', O_NOFOLLOW | O_DIRECTORY),
  open('loop1', O_RDONLY), open('f', O_DIRECTORY), open('.', O_CREAT | O_WRONLY), open('d/../f', O_RDONLY),
  open('f/..', O_RDONLY), open('e', O_CREAT | O_DIRECTORY), open('', O_RDONLY), open('dl/f', O_RDONLY),
  open('d/f/', O_CREAT | O_WRONLY), open('dl/new', O_CREAT | O_WRONLY), open('ln', O_CREAT | O_WRONLY | O_TRUNC),
  mkdir('d'), mkdir('dang'), mkdir('new'), mkdir('new/'), mkdir('f/x'), mkdir('missing/x'), mkdir('.'), mkdir('..'),
  mkdir('dl/sub'), mkdir('ln'),
  rmdir('e'), rmdir('d'), rmdir('f'), rmdir('dl'), rmdir('missing'), rmdir('.'), rmdir('e/.'), rmdir('e/..'), rmdir('dl/'),
  rmdir('e/'), rmdir('d/f'),
  unlink('f'), unlink('d'), unlink('f/'), unlink('d/'), unlink('missing'), unlink('ln'), unlink('.'), unlink('dl/'),
  unlink('dang'), unlink('ln/'),
  rename('f', 'g'), rename('f', 'd'), rename('d', 'f'), rename('d', 'e'), rename('e', 'd'), rename('d', 'd/sub'),
  rename('f', 'f'), rename('ln', 'f'), rename('f/', 'g'), rename('d/', 'g/'), rename('missing', 'x'),
  rename('f', 'missing/x'), rename('.', 'x'), rename('f', '.'), rename('e', 'd/..'), rename('d/f', 'd'),
  rename('f', 'g/'), rename('dl', 'e'), rename('e', 'dl'), rename('f', 'ln'), rename('d', 'd'),
  link('f', 'h'), link('d', 'h'), link('f', 'd'), link('missing', 'h'), link('f', 'h/'), link('ln', 'h'),
  link('f', 'missing/h'), link('dang', 'h'), link('f', 'ln'), link('f/', 'h'),
  symlink('x', 'f'), symlink('x', 'new'), symlink('x', 'new/'), symlink('x', 'd/..'), symlink('x', 'dang'),
  stat('ln'), stat('dang'), stat('loop1'), stat('f/'), stat('dl/'), stat('d/f/..'), stat('dl/../f'), stat('e/../../'),
  lstat('dang'), lstat('loop1'), lstat('dang/'), lstat('dl/'), lstat('ln/'),
  readlink('ln'), readlink('f'), readlink('missing'), readlink('ln/'), readlink('dl/'), readlink('dang'),
];

/** The starting tree, on the host under `root` and in the guest under its cwd. */
function buildHost(root: string): void {
  fs.mkdirSync(`${root}/d`);
  fs.writeFileSync(`${root}/d/f`, 'df');
  fs.writeFileSync(`${root}/f`, 'x');
  fs.mkdirSync(`${root}/e`);
  fs.symlinkSync('f', `${root}/ln`);
  fs.symlinkSync('d', `${root}/dl`);
  fs.symlinkSync('nowhere', `${root}/dang`);
  fs.symlinkSync('loop2', `${root}/loop1`);
  fs.symlinkSync('loop1', `${root}/loop2`);
}

function buildGuest(c: Ctx): void {
  const fsr = c.k.rootfs;
  fsr.mkdirp('/s/d');
  fsr.writeFile('/s/d/f', Buffer.from('df'));
  fsr.writeFile('/s/f', Buffer.from('x'));
  fsr.mkdirp('/s/e');
  for (const [p, target] of [['ln', 'f'], ['dl', 'd'], ['dang', 'nowhere'], ['loop1', 'loop2'], ['loop2', 'loop1']]) {
    fsr.symlinkAt(`/s/${p}`, target);
  }
  c.t.fs.cwd = fsr.lookup('/s');
}

/** Every name under the tree with its type and link count: side effects must agree too. */
function listHost(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of fs.readdirSync(path.join(root, rel)).sort()) {
    const p = rel ? `${rel}/${name}` : name;
    const st = fs.lstatSync(path.join(root, p));
    out.push(`${p} ${st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : 'f'} ${st.nlink} ${st.isFile() ? st.size : ''}`);
    if (st.isDirectory()) out.push(...listHost(root, p));
  }
  return out;
}

function listGuest(c: Ctx, dir = '/s', rel = ''): string[] {
  const out: string[] = [];
  const link = c.k.rootfs.lookup(dir, '/', false);
  const names = [...link.children.keys()].filter((n) => n !== '.' && n !== '..').sort();
  for (const name of names) {
    const p = rel ? `${rel}/${name}` : name;
    const child = link.children.get(name);
    if (!child) continue;
    const inode = inodeOf(child);
    out.push(`${p} ${inode.isDir() ? 'd' : inode.isLink() ? 'l' : 'f'} ${inode.nlink} ${inode.isRegular() ? inode.byteSize : ''}`);
    if (inode.isDir()) out.push(...listGuest(c, `${dir}/${name}`, p));
  }
  return out;
}

function hostOutcome(p: Probe, root: string): string {
  try {
    p.host(root);
    return 'OK';
  } catch (e) {
    return e instanceof Error && 'code' in e && typeof e.code === 'string' ? e.code : String(e);
  }
}

for (const probe of PROBES) {
  test(`${probe.name}: same errno and same tree as the host kernel`, (t) => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'crfs-namei-'));
    try {
      buildHost(root);
      const expected = hostOutcome(probe, root);
      const c = makeCtx();
      buildGuest(c);
      const r = probe.guest(c);
      t.is(r < 0 ? errnoName(-r) : 'OK', expected);
      t.deepEqual(listGuest(c), listHost(root));
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
}
