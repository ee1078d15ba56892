// Directory entries over memfs Links: attach/detach with Linux link counts, stable readdir cookies, paths.
import { Link, Superblock } from '@jsonjoy.com/fs-core';
import { DT_BLK, DT_CHR, DT_DIR, DT_FIFO, DT_LNK, DT_REG, DT_SOCK, DT_UNKNOWN, S_IFMT } from './constants';
import { Inode } from './inode';

/**
 * A memfs Link is our dentry: a name in one parent pointing at an inode (hard links are several
 * Links to one Inode). Directories have exactly one Link, so `link.parent` is the directory's parent.
 */
export type Dentry = Link;

/** The inode behind a dentry. Every node of a RootFs is an Inode; anything else is a programming error. */
export function inodeOf(link: Link): Inode {
  const n = link.getNode();
  if (!(n instanceof Inode)) throw new Error(`memfs node ${String(n?.ino)} is not an emukernel Inode`);
  return n;
}

/** readdir position of each entry in its directory: assigned at attach, never reused, so offsets stay valid. */
const cookies = new WeakMap<Link, number>();

/** A dentry for `inode` not yet in any directory. A directory gets its '.' entry here. */
export function newDentry(sb: Superblock, inode: Inode): Link {
  const link = new Link(sb, undefined, '');
  link.setNode(inode);
  if (inode.isDir()) link.children.set('.', link);
  return link;
}

/** Put `child` into `dir` as `name`. For a directory child, `dir` gains a link ('..') as in Linux. */
export function attachEntry(dir: Link, name: string, child: Link): void {
  const d = inodeOf(dir);
  child.name = name;
  child.parent = dir;
  child.syncSteps();
  cookies.set(child, d.nextCookie++);
  dir.setChild(name, child);
  d.entries++;
}

/** Take `child` out of `dir`; a directory child drops its '..' and `dir` loses that link. */
export function detachEntry(dir: Link, child: Link): void {
  dir.deleteChild(child);
  inodeOf(dir).entries--;
}

/** The entry `name` of `dir`, not following symlinks ('.' and '..' are not entries here). */
export function childOf(dir: Link, name: string): Link | undefined {
  if (name === '.' || name === '..') return undefined;
  return dir.children.get(name);
}

/** '..' of a directory dentry; the root is its own parent. */
export function parentOf(link: Link, root: Link): Link {
  return link === root ? root : link.parent ?? root;
}

/** True while `link` is reachable from `root` by names (not unlinked, no unlinked ancestor). */
export function isAttached(link: Link, root: Link): boolean {
  let cur = link;
  while (cur !== root) {
    const p = cur.parent;
    if (!p || p.children.get(cur.name) !== cur) return false;
    cur = p;
  }
  return true;
}

/** The absolute path of `link`, or null when it is no longer reachable (unlinked). */
export function pathOf(link: Link, root: Link): string | null {
  const names: string[] = [];
  let cur = link;
  while (cur !== root) {
    const p = cur.parent;
    if (!p || p.children.get(cur.name) !== cur) return null;
    names.push(cur.name);
    cur = p;
  }
  return '/' + names.reverse().join('/');
}

/** Is `anc` `link` itself or one of its ancestors? */
export function isAncestor(anc: Link, link: Link, root: Link): boolean {
  let cur = link;
  for (;;) {
    if (cur === anc) return true;
    if (cur === root) return false;
    cur = parentOf(cur, root);
  }
}

/** linux_dirent64's d_type for a mode. */
export function direntType(mode: number): number {
  switch (mode & S_IFMT) {
    case 0o040000: return DT_DIR;
    case 0o100000: return DT_REG;
    case 0o120000: return DT_LNK;
    case 0o010000: return DT_FIFO;
    case 0o020000: return DT_CHR;
    case 0o060000: return DT_BLK;
    case 0o140000: return DT_SOCK;
    default: return DT_UNKNOWN;
  }
}

export interface DirEntry {
  name: string;
  ino: number;
  type: number;
  /** The position just after this entry (what d_off reports and lseek accepts to resume). */
  next: number;
}

/**
 * Entries of `dir` from readdir position `pos`: '.' at 0, '..' at 1, then children in the order they
 * were added (cookies only grow, and a renamed entry moves to the end with a new cookie). `take`
 * returns false to stop. An entry removed meanwhile is simply gone; one added appears later.
 */
export function forEachEntry(dir: Link, root: Link, pos: number, take: (e: DirEntry) => boolean): void {
  const self = inodeOf(dir);
  if (pos <= 0 && !take({ name: '.', ino: self.ino, type: DT_DIR, next: 1 })) return;
  if (pos <= 1 && !take({ name: '..', ino: inodeOf(parentOf(dir, root)).ino, type: DT_DIR, next: 2 })) return;
  for (const [name, child] of dir.children) {
    if (child === undefined || name === '.' || name === '..') continue;
    const c = cookies.get(child) ?? 0;
    if (c < pos) continue;
    const node = inodeOf(child);
    if (!take({ name, ino: node.ino, type: direntType(node.mode), next: c + 1 })) return;
  }
}
