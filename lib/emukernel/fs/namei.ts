// Path resolution as Linux's namei does it: '.', '..', symlinks (40 at most), trailing slashes, exact errnos.
import type { Link } from '@jsonjoy.com/fs-core';
import { EACCES, ELOOP, ENAMETOOLONG, ENOENT, ENOTDIR, KernelError } from '../errno';
import { MAX_SYMLINKS, NAME_MAX, PATH_MAX, X_OK } from './constants';
import { childOf, inodeOf, parentOf } from './dentry';

/** Who is resolving: permission checks use these ids (a Task has both fields). */
export interface Creds {
  uid: number;
  gid: number;
}

/** Root credentials, for kernel-internal lookups (exec, import, tests). */
export const ROOT_CREDS: Creds = { uid: 0, gid: 0 };

/** The kind of a path's last component (Linux's LAST_NORM/LAST_DOT/LAST_DOTDOT/LAST_ROOT). */
export type LastType = 'norm' | 'dot' | 'dotdot' | 'root';

/** A path resolved up to its last component: the directory, the name in it, and how the path ended. */
export interface ParentRef {
  dir: Link;
  name: string;
  last: LastType;
  /** The path ended in '/': the final object must be a directory. */
  slash: boolean;
}

/** Symlinks followed so far in one resolution. */
export interface LinkBudget {
  followed: number;
}

/** What a resolution needs from the filesystem: its root. */
export interface NameSpace {
  readonly root: Link;
}

function fail(errno: number, path: string): never {
  throw new KernelError(errno, 'namei', path);
}

function byteLength(s: string): number {
  return Buffer.byteLength(s);
}

/**
 * Resolve `path` (relative to `start` unless absolute) up to its last component, following every
 * symlink on the way. Throws KernelError: ENOENT (empty path or missing component), ENOTDIR,
 * EACCES (no search permission), ELOOP, ENAMETOOLONG.
 */
export function resolveParent(ns: NameSpace, start: Link, path: string, creds: Creds, budget: LinkBudget = { followed: 0 }): ParentRef {
  if (path.length === 0) fail(ENOENT, path);
  if (byteLength(path) >= PATH_MAX) fail(ENAMETOOLONG, path);
  const parts = path.split('/');
  const absolute = parts[0] === '';
  let end = parts.length;
  let slash = false;
  while (end > 0 && parts[end - 1] === '') { end--; slash = true; }
  let dir = absolute ? ns.root : start;
  const comps: string[] = [];
  for (let i = 0; i < end; i++) if (parts[i] !== '') comps.push(parts[i]);
  if (comps.length === 0) {
    // "/" or "///": the root itself.
    return { dir: ns.root, name: '', last: 'root', slash: false };
  }
  for (let i = 0; i < comps.length - 1; i++) dir = stepInto(ns, dir, comps[i], creds, budget, path);
  checkSearchable(dir, creds, path);
  const name = comps[comps.length - 1];
  const last: LastType = name === '.' ? 'dot' : name === '..' ? 'dotdot' : 'norm';
  if (last === 'norm' && byteLength(name) > NAME_MAX) fail(ENAMETOOLONG, path);
  return { dir, name, last, slash: slash && last === 'norm' };
}

/** `dir` must be a directory the caller may search. */
function checkSearchable(dir: Link, creds: Creds, path: string): void {
  const inode = inodeOf(dir);
  if (!inode.isDir()) fail(ENOTDIR, path);
  if (!inode.permits(X_OK, creds.uid, creds.gid)) fail(EACCES, path);
}

/** One intermediate step: look `name` up in `dir`, following a symlink. The result may be a non-directory
 *  (the next step or the caller reports ENOTDIR). */
function stepInto(ns: NameSpace, dir: Link, name: string, creds: Creds, budget: LinkBudget, path: string): Link {
  checkSearchable(dir, creds, path);
  if (name === '.') return dir;
  if (name === '..') return parentOf(dir, ns.root);
  if (byteLength(name) > NAME_MAX) fail(ENAMETOOLONG, path);
  const child = childOf(dir, name);
  if (!child) fail(ENOENT, path);
  return inodeOf(child).isLink() ? followSymlink(ns, dir, child, creds, budget) : child;
}

/** Resolve the target of the symlink `link` found in `dir` (fully, following a final symlink too). */
export function followSymlink(ns: NameSpace, dir: Link, link: Link, creds: Creds, budget: LinkBudget): Link {
  const ref = symlinkParent(ns, dir, link, creds, budget);
  return finishLookup(ns, ref, true, creds, budget);
}

/** The ParentRef of a symlink's target, counting the symlink against the budget (ELOOP past 40). */
export function symlinkParent(ns: NameSpace, dir: Link, link: Link, creds: Creds, budget: LinkBudget): ParentRef {
  const target = inodeOf(link).symlink;
  if (++budget.followed > MAX_SYMLINKS) fail(ELOOP, target);
  return resolveParent(ns, target.startsWith('/') ? ns.root : dir, target, creds, budget);
}

/**
 * The object a ParentRef names. A final symlink is followed when `follow` or the path ended in '/'.
 * Throws ENOENT, ENOTDIR (trailing slash on a non-directory), ELOOP.
 */
export function finishLookup(ns: NameSpace, ref: ParentRef, follow: boolean, creds: Creds, budget: LinkBudget): Link {
  switch (ref.last) {
    case 'root': return ns.root;
    case 'dot': return ref.dir;
    case 'dotdot': return parentOf(ref.dir, ns.root);
    default: break;
  }
  let child = childOf(ref.dir, ref.name);
  if (!child) fail(ENOENT, ref.name);
  if ((follow || ref.slash) && inodeOf(child).isLink()) child = followSymlink(ns, ref.dir, child, creds, budget);
  if (ref.slash && !inodeOf(child).isDir()) fail(ENOTDIR, ref.name);
  return child;
}

/** Resolve a whole path to a dentry; `follow` decides whether a final symlink is followed. */
export function lookupPath(ns: NameSpace, start: Link, path: string, follow: boolean, creds: Creds = ROOT_CREDS): Link {
  const budget = { followed: 0 };
  return finishLookup(ns, resolveParent(ns, start, path, creds, budget), follow, creds, budget);
}
