// Checkpoint and restore of the root filesystem itself: every inode with its bytes and holes, every name, in readdir order.
import type { Link } from '@jsonjoy.com/fs-core';
import { BLOCK_SIZE, MAX_FILE_SIZE, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK } from './constants';
import { attachEntry, childOf, forEachEntry, inodeOf, newDentry } from './dentry';
import { Inode } from './inode';
import type { RootFs } from './rootfs';
import type { Kernel } from '../kernel';
import type { CheckpointContext, RestoreContext } from '../checkpoint/context';
import { INODE_UNLISTED } from '../../crfs/image/records-rootfs';
import type { ImageItem, RecordValue } from '../../crfs/image/schema';

/** Data runs are cut into extents of at most this many bytes (well under the reader's buffer limit). */
const EXTENT_CHUNK = 16 << 20;
/**
 * Bytes restore may zero-fill beyond what the image carries (holes; memfs stores them as zeros, as
 * the checkpointed container did). Bounds what a forged size can make restart allocate.
 */
export const ROOTFS_ZERO_FILL_LIMIT = 256 << 20;
/** Inode block states, as Inode keeps them (0 is a hole). */
const WRITTEN = 1, ALLOCATED = 2;
const MAX_NAME = 255;
const KNOWN_TYPES: ReadonlySet<number> = new Set([S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK]);

/*
 * Adapters over state H4's classes keep private: the block map of an inode (which blocks are written,
 * which only fallocate'd) and the root's inode counter. TypeScript's element access keeps them typed.
 */
function blockStatesOf(inode: Inode): Uint8Array {
  return inode['dataBlocks'];
}

function nextInoOf(fs: RootFs): number {
  return fs['nextIno'];
}

function setNextIno(fs: RootFs, ino: number): void {
  fs['nextIno'] = ino;
}

/** ns since the epoch as the x64 field holds it: two's complement, so times before 1970 survive. */
const timeField = (ns: bigint): bigint => BigInt.asUintN(64, ns);
const timeValue = (v: bigint): bigint => BigInt.asIntN(64, v);

type Step = { kind: 'inode'; inode: Inode; unlisted: boolean } | { kind: 'dentry'; parent: Inode; child: Inode; cookie: number; name: string };

/**
 * Inodes and names in image order: a depth-first walk from the root in readdir order, an inode
 * where a name first leads to it, then the name; then inodes no name leads to, by number; then
 * removed directories the kernel already let go of but `cwds` still hold.
 */
function planRootfs(fs: RootFs, cwds: readonly Inode[]): { steps: Step[]; seen: Set<Inode>; dentries: number } {
  const steps: Step[] = [];
  const seen = new Set<Inode>();
  let dentries = 0;
  const rootInode = inodeOf(fs.root);
  seen.add(rootInode);
  steps.push({ kind: 'inode', inode: rootInode, unlisted: false });
  // Explicit stack of (directory, its remaining entries): trees may be deeper than the JS stack.
  const stack: { dir: Link; entries: [string, number][]; i: number }[] = [{ dir: fs.root, entries: entriesOf(fs, fs.root), i: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.i >= top.entries.length) { stack.pop(); continue; }
    const [name, cookie] = top.entries[top.i++];
    const link = top.dir.children.get(name);
    if (!link) continue;
    const child = inodeOf(link);
    if (!seen.has(child)) {
      seen.add(child);
      steps.push({ kind: 'inode', inode: child, unlisted: false });
    }
    steps.push({ kind: 'dentry', parent: inodeOf(top.dir), child, cookie, name });
    dentries++;
    if (child.isDir()) stack.push({ dir: link, entries: entriesOf(fs, link), i: 0 });
  }
  for (const key of Object.keys(fs.sb.inodes)) {
    const node = fs.sb.inodes[Number(key)];
    if (node instanceof Inode && !seen.has(node)) {
      seen.add(node);
      steps.push({ kind: 'inode', inode: node, unlisted: false });
    }
  }
  for (const inode of cwds) {
    if (seen.has(inode)) continue;
    seen.add(inode);
    steps.push({ kind: 'inode', inode, unlisted: true });
  }
  return { steps, seen, dentries };
}

/** A directory's entries (name, readdir cookie) in readdir order, '.' and '..' left out. */
function entriesOf(fs: RootFs, dir: Link): [string, number][] {
  const out: [string, number][] = [];
  forEachEntry(dir, fs.root, 2, (e) => { out.push([e.name, e.next - 1]); return true; });
  return out;
}

/** Runs of equal non-hole block states: [first block, end block, state]. */
function blockRuns(inode: Inode): [number, number, number][] {
  const states = blockStatesOf(inode);
  const runs: [number, number, number][] = [];
  let b = 0;
  while (b < states.length) {
    const s = states[b];
    let e = b + 1;
    while (e < states.length && states[e] === s) e++;
    if (s !== 0) runs.push([b, e, s]);
    b = e;
  }
  return runs;
}

/** The extents of a regular file: written runs (clipped to EOF, where written blocks always lie) in chunks, and fallocate'd runs. */
function extentsOf(inode: Inode): RecordValue<'rootfs_extent'>[] {
  if (!inode.isRegular()) return [];
  const size = inode.getSize();
  const out: RecordValue<'rootfs_extent'>[] = [];
  for (const [first, end, state] of blockRuns(inode)) {
    const start = first * BLOCK_SIZE;
    if (state === ALLOCATED) {
      out.push({ offset: start, length: (end - first) * BLOCK_SIZE, state: 'unwritten', nr_bytes: 0 });
      continue;
    }
    const stop = Math.min(end * BLOCK_SIZE, size);
    for (let off = start; off < stop; off += EXTENT_CHUNK) {
      const n = Math.min(EXTENT_CHUNK, stop - off);
      out.push({ offset: off, length: Math.ceil(n / BLOCK_SIZE) * BLOCK_SIZE, state: 'data', nr_bytes: n });
    }
  }
  return out;
}

function writeInode(ctx: CheckpointContext, inode: Inode, unlisted: boolean): void {
  const extents = extentsOf(inode);
  ctx.w.record('rootfs_inode', {
    ino: inode.ino, mode: inode.mode, uid: inode.uid, gid: inode.gid, nlink: inode.nlink, rdev: inode.rdev,
    size: inode.isRegular() ? inode.getSize() : 0,
    atime_ns: timeField(inode.atimeNs), mtime_ns: timeField(inode.mtimeNs), ctime_ns: timeField(inode.ctimeNs),
    btime_ns: timeField(inode.btimeNs), next_cookie: inode.nextCookie, nr_extents: extents.length,
    flags: unlisted ? INODE_UNLISTED : 0,
  });
  ctx.w.string(inode.isLink() ? inode.symlink : '');
  for (const e of extents) {
    ctx.w.record('rootfs_extent', e);
    // A view of the file's own bytes: the writer passes big ones to the sink uncopied.
    if (e.nr_bytes > 0) ctx.w.buffer(inode.buf.subarray(e.offset, e.offset + e.nr_bytes));
  }
}

/** Inodes each checkpoint wrote in its rootfs section: open files and cwds may refer to these only. */
const written = new WeakMap<CheckpointContext, ReadonlySet<Inode>>();

/**
 * True when `inode` is in the rootfs section `ctx` wrote. Throws (a driver bug) when no rootfs
 * section was written yet: it must precede every file and fs record.
 */
export function isCheckpointedInode(ctx: CheckpointContext, inode: Inode): boolean {
  const set = written.get(ctx);
  if (!set) throw new Error('checkpoint: the rootfs section must be written before files and fs contexts');
  return set.has(inode);
}

/**
 * Write the `rootfs` section of `k`'s root filesystem: the counts, then inodes (with symlink
 * targets and file extents) and directory entries in walk order, including removed directories
 * that are still a task's cwd. Only reads the filesystem. Never fails: every inode kind the root
 * can hold can be saved.
 */
export function checkpointRootfs(ctx: CheckpointContext, k: Kernel): void {
  const fs = k.rootfs;
  const cwds: Inode[] = [];
  for (const t of k.runOrder) if (typeof t.fs.cwd !== 'string') cwds.push(inodeOf(t.fs.cwd));
  const plan = planRootfs(fs, cwds);
  written.set(ctx, plan.seen);
  ctx.w.record('rootfs', { nr_inodes: plan.seen.size, nr_dentries: plan.dentries, root_ino: inodeOf(fs.root).ino, next_ino: nextInoOf(fs) });
  for (const s of plan.steps) {
    if (s.kind === 'inode') {
      writeInode(ctx, s.inode, s.unlisted);
    } else {
      ctx.w.record('rootfs_dentry', { parent_ino: s.parent.ino, child_ino: s.child.ino, cookie: s.cookie });
      ctx.w.string(s.name);
    }
  }
}

// ---- restore ----

interface RootfsRestore {
  readonly fs: RootFs;
  readonly head: RecordValue<'rootfs'>;
  /** Directory inode -> its one dentry, for directories a name already leads to (and the root). */
  readonly dirLinks: Map<number, Link>;
  /** Every restored inode with the nlink its record gave (applied once all names are attached). */
  readonly nlinks: Map<Inode, number>;
  /** Names leading to each inode, subdirectories of each directory: to check nlink. */
  readonly names: Map<Inode, number>;
  readonly subdirs: Map<Inode, number>;
  /** Last cookie attached in each directory: entries must ascend, as readdir hands them out. */
  readonly lastCookie: Map<Inode, number>;
  /** Unlisted inodes (removed directories only a cwd holds): restored, but not counted by the root. */
  readonly unlisted: Map<number, Inode>;
  zeroFill: number;
}

/** Empty the fresh kernel's skeleton (/tmp, /dev): the image's root replaces it wholesale. */
function clearSkeleton(fs: RootFs): void {
  for (const name of [...fs.root.children.keys()]) {
    if (name === '.' || name === '..') continue;
    fs.root.children.delete(name);
    fs.root.length--;
  }
  for (const key of Object.keys(fs.sb.inodes)) delete fs.sb.inodes[Number(key)];
}

function restoreInode(r: RestoreContext, st: RootfsRestore, first: boolean): void {
  const item = r.peek();
  const v = r.record('rootfs_inode');
  const target = r.string();
  const { fs, head } = st;
  const type = v.mode & S_IFMT;
  if (v.ino < 1 || v.ino >= head.next_ino) r.fail(item, `ino ${v.ino} outside 1..${head.next_ino - 1} (next_ino)`);
  if (fs.sb.inodes[v.ino] || st.unlisted.has(v.ino)) r.fail(item, `ino ${v.ino} defined twice`);
  const unlisted = (v.flags & INODE_UNLISTED) !== 0;
  if (v.flags & ~INODE_UNLISTED) r.fail(item, `ino ${v.ino}: unknown flags 0x${v.flags.toString(16)}`);
  if (unlisted && (type !== S_IFDIR || v.nlink !== 0 || first)) r.fail(item, `ino ${v.ino}: only a removed directory may be unlisted`);
  if (!KNOWN_TYPES.has(type)) r.fail(item, `ino ${v.ino}: mode 0${v.mode.toString(8)} is no file type`);
  if (first && (v.ino !== head.root_ino || type !== S_IFDIR)) r.fail(item, `the first inode must be the root directory ${head.root_ino}`);
  if ((type === S_IFLNK) !== (target !== '')) r.fail(item, `ino ${v.ino}: ${type === S_IFLNK ? 'a symlink without a target' : 'a target on a non-symlink'}`);
  if (type !== S_IFREG && (v.size !== 0 || v.nr_extents !== 0)) r.fail(item, `ino ${v.ino}: size or extents on a non-regular file`);
  if (v.size > MAX_FILE_SIZE) r.fail(item, `ino ${v.ino}: size ${v.size} above ${MAX_FILE_SIZE}`);
  const inode = new Inode(v.ino, v.mode, v.uid, v.gid, 0n);
  inode.rdev = v.rdev;
  inode.atimeNs = timeValue(v.atime_ns);
  inode.mtimeNs = timeValue(v.mtime_ns);
  inode.ctimeNs = timeValue(v.ctime_ns);
  inode.btimeNs = timeValue(v.btime_ns);
  inode.nextCookie = v.next_cookie;
  if (type === S_IFLNK) inode.symlink = target;
  if (type === S_IFREG) restoreContents(r, st, inode, v, item);
  if (unlisted) st.unlisted.set(v.ino, inode);
  else fs.sb.inodes[v.ino] = inode;
  st.nlinks.set(inode, v.nlink);
  if (first) {
    fs.root.setNode(inode);
    st.dirLinks.set(inode.ino, fs.root);
  }
}

/** Size, then each extent: written runs get their bytes (marking them data), fallocate'd runs are reserved. */
function restoreContents(r: RestoreContext, st: RootfsRestore, inode: Inode, v: RecordValue<'rootfs_inode'>, item: ImageItem | undefined): void {
  let carried = 0;
  let prevEnd = 0;
  const extents: { e: RecordValue<'rootfs_extent'>; data: Uint8Array | null }[] = [];
  for (let i = 0; i < v.nr_extents; i++) {
    const ei = r.peek();
    const e = r.record('rootfs_extent');
    const bad = (why: string): never => r.fail(ei, `ino ${v.ino}: extent at ${e.offset}: ${why}`);
    if (e.offset % BLOCK_SIZE || e.length % BLOCK_SIZE || e.length === 0) bad('not whole 4096-byte blocks');
    if (e.offset < prevEnd) bad('overlaps or precedes the extent before it');
    if (e.offset + e.length > MAX_FILE_SIZE) bad(`reaches past ${MAX_FILE_SIZE}`);
    if (e.state === 'data') {
      const atEof = e.offset + e.nr_bytes === v.size;
      if (e.nr_bytes === 0 || e.offset + e.nr_bytes > v.size || e.length !== Math.ceil(e.nr_bytes / BLOCK_SIZE) * BLOCK_SIZE
        || (e.nr_bytes !== e.length && !atEof)) bad(`nr_bytes ${e.nr_bytes} does not fill the run below EOF ${v.size}`);
    } else if (e.nr_bytes !== 0) {
      bad('bytes on an unwritten run');
    }
    prevEnd = e.offset + e.length;
    const data = e.nr_bytes > 0 ? r.buffer() : null;
    carried += e.nr_bytes;
    extents.push({ e, data });
  }
  st.zeroFill += v.size - carried;
  if (st.zeroFill > ROOTFS_ZERO_FILL_LIMIT) r.fail(item, `ino ${v.ino}: holes add up to more than ${ROOTFS_ZERO_FILL_LIMIT} bytes`);
  inode.setSize(v.size);
  for (const { e, data } of extents) {
    if (data) inode.writeAt(e.offset, data);
    else inode.allocate(e.offset, e.length, true);
  }
}

function restoreDentry(r: RestoreContext, st: RootfsRestore): void {
  const item = r.peek();
  const d = r.record('rootfs_dentry');
  const name = r.string();
  const parent = st.dirLinks.get(d.parent_ino);
  if (!parent) r.fail(item, `parent ${d.parent_ino} is not a directory named before it`);
  const node = st.fs.sb.inodes[d.child_ino];
  if (!(node instanceof Inode)) r.fail(item, `child ${d.child_ino} is not an inode defined before it`);
  if (d.child_ino === st.head.root_ino) r.fail(item, 'a name for the root directory');
  if (name === '' || name === '.' || name === '..' || name.includes('/') || Buffer.byteLength(name) > MAX_NAME) {
    r.fail(item, `bad name '${name.slice(0, 40)}'`);
  }
  if (childOf(parent, name)) r.fail(item, `name '${name}' appears twice in directory ${d.parent_ino}`);
  if (node.isDir() && st.dirLinks.has(node.ino)) r.fail(item, `directory ${node.ino} has a second name '${name}'`);
  const dir = inodeOf(parent);
  const last = st.lastCookie.get(dir) ?? 1;
  if (d.cookie <= last || d.cookie >= dir.nextCookie) r.fail(item, `cookie ${d.cookie} not in ${last + 1}..${dir.nextCookie - 1} of directory ${d.parent_ino}`);
  st.lastCookie.set(dir, d.cookie);
  const link = newDentry(st.fs.sb, node);
  // attachEntry hands out nextCookie: give it the saved one, then put the directory's counter back.
  const next = dir.nextCookie;
  dir.nextCookie = d.cookie;
  attachEntry(parent, name, link);
  dir.nextCookie = next;
  st.names.set(node, (st.names.get(node) ?? 0) + 1);
  if (node.isDir()) {
    st.dirLinks.set(node.ino, link);
    st.subdirs.set(dir, (st.subdirs.get(dir) ?? 0) + 1);
  }
}

/** Link counts are the records' (memfs counted its own while attaching); each must agree with the names restored. */
function applyLinkCounts(r: RestoreContext, st: RootfsRestore, headItem: ImageItem | undefined): void {
  for (const [inode, nlink] of st.nlinks) {
    let want: number;
    if (!inode.isDir()) want = st.names.get(inode) ?? 0;
    else want = st.dirLinks.has(inode.ino) ? 2 + (st.subdirs.get(inode) ?? 0) : 0;
    if (nlink !== want) r.fail(headItem, `ino ${inode.ino}: nlink ${nlink}, but the names restored give ${want}`);
    inode.nlink = nlink;
  }
}

/**
 * Rebuild the root filesystem from the `rootfs` section at the cursor into r.k.rootfs, replacing its
 * default skeleton: same inode numbers, contents, holes, times, owners, names and readdir positions.
 * Throws RestoreError naming the record for anything inconsistent (a name before its directory, a
 * duplicate inode, extents that overlap, link counts that do not match the names).
 */
export function restoreRootfs(r: RestoreContext): void {
  const headItem = r.peek();
  const head = r.record('rootfs');
  if (head.nr_inodes < 1) r.fail(headItem, 'no root directory');
  if (head.next_ino > Number.MAX_SAFE_INTEGER - 1) r.fail(headItem, `next_ino ${head.next_ino} too large`);
  const fs = r.k.rootfs;
  clearSkeleton(fs);
  const st: RootfsRestore = {
    fs, head, dirLinks: new Map(), nlinks: new Map(), names: new Map(), subdirs: new Map(), lastCookie: new Map(),
    unlisted: new Map(), zeroFill: 0,
  };
  let inodes = 0, dentries = 0;
  while (inodes < head.nr_inodes || dentries < head.nr_dentries) {
    const it = r.peek();
    if (r.at('rootfs_inode') && inodes < head.nr_inodes) {
      restoreInode(r, st, inodes === 0);
      inodes++;
    } else if (r.at('rootfs_dentry') && dentries < head.nr_dentries && inodes > 0) {
      restoreDentry(r, st);
      dentries++;
    } else {
      r.fail(it, `expected the rest of the rootfs section at offset ${headItem?.offset ?? 0}: ${head.nr_inodes - inodes} inodes, ${head.nr_dentries - dentries} names`);
    }
  }
  applyLinkCounts(r, st, headItem);
  setNextIno(fs, head.next_ino);
  unlistedInodes.set(r, st.unlisted);
}

/** Per restore: the unlisted inodes of its rootfs section, which cwds still find by number. */
const unlistedInodes = new WeakMap<RestoreContext, ReadonlyMap<number, Inode>>();

/** Dentries made for restored files and cwds that no name leads to, shared by everything opened through the same one. */
const detached = new WeakMap<RestoreContext, Map<string, Link>>();

/**
 * The dentry a restored open file or cwd holds: the one `path` names (it must lead to inode `ino`),
 * or, for an empty path (the name was unlinked), a detached dentry called `name`. Throws
 * RestoreError (naming `item`) when `ino` is not a restored inode or the path does not match it.
 */
export function restoredLink(r: RestoreContext, item: ImageItem | undefined, path: string, ino: number, name: string): { link: Link; inode: Inode } {
  const fs = r.k.rootfs;
  const inode = fs.sb.inodes[ino] ?? unlistedInodes.get(r)?.get(ino);
  if (!(inode instanceof Inode)) r.fail(item, `ino ${ino} is not an inode of the root filesystem`);
  if (path !== '') {
    if (!path.startsWith('/')) r.fail(item, `path '${path}' is not absolute`);
    let cur: Link = fs.root;
    for (const part of path.split('/')) {
      if (part === '') continue;
      const next = childOf(cur, part);
      if (!next) r.fail(item, `path '${path}' does not exist in the restored root`);
      cur = next;
    }
    if (inodeOf(cur) !== inode) r.fail(item, `path '${path}' names ino ${inodeOf(cur).ino}, not ${ino}`);
    return { link: cur, inode };
  }
  if (inode.isDir() && inode.nlink !== 0) r.fail(item, `directory ${ino} has a name, but no path was saved`);
  let byKey = detached.get(r);
  if (!byKey) { byKey = new Map(); detached.set(r, byKey); }
  const key = `${ino}/${name}`;
  let link = byKey.get(key);
  if (!link) {
    link = newDentry(fs.sb, inode);
    link.name = name;
    byKey.set(key, link);
  }
  return { link, inode };
}

/** The next inode number of the restored root (pipes restored after it must lie below). */
export function restoredNextIno(fs: RootFs): number {
  return nextInoOf(fs);
}
