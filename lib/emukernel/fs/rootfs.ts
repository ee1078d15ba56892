// The container's root filesystem: a memfs Superblock whose nodes are emukernel Inodes, plus host import/export.
import * as hostFs from 'fs';
import * as hostPath from 'path';
import { constants as osConstants } from 'os';
import { Link, Superblock } from '@jsonjoy.com/fs-core';
import { DEFAULT_REALTIME_BASE_NS } from '../clock';
import { EACCES, EIO, EISDIR, ENOTDIR, KernelError } from '../errno';
import { DEV_FULL, DEV_NULL, DEV_ZERO, R_OK, S_IALLUGO, S_IFCHR, S_IFDIR, S_IFLNK, S_IFREG, S_ISGID, X_OK } from './constants';
import { attachEntry, childOf, inodeOf, newDentry, pathOf } from './dentry';
import { Inode } from './inode';
import { Creds, ROOT_CREDS, lookupPath } from './namei';

/** Where a relative path starts: a directory dentry, or an absolute path resolved from the root. */
export type CwdRef = Link | string;

/** A loaded executable: its bytes and the absolute path /proc/self/exe will report. */
export interface Executable {
  data: Uint8Array;
  path: string;
}


export class RootFs {
  readonly sb: Superblock;
  readonly root: Link;
  private nextIno: number;

  /** `now` gives CLOCK_REALTIME in ns (the kernel's virtual clock), so timestamps are deterministic. */
  constructor(public now: () => bigint = () => DEFAULT_REALTIME_BASE_NS) {
    this.sb = new Superblock();
    this.root = this.sb.root;
    // Replace memfs's root node (host uid, host Date) with ours: ino 1, root-owned, 0755, nlink 2.
    const old = this.root.getNode();
    delete this.sb.inodes[old.ino];
    const rootInode = new Inode(1, S_IFDIR | 0o755, 0, 0, now());
    rootInode.nlink = 2;
    this.root.setNode(rootInode);
    this.sb.inodes[1] = rootInode;
    this.nextIno = 2;
    this.populate();
  }

  /** The standard skeleton a program may expect: /tmp (1777) and /dev/{null,zero,full}. */
  private populate(): void {
    const tmp = this.mkdirp('/tmp');
    inodeOf(tmp).mode = S_IFDIR | 0o1777;
    const dev = this.mkdirp('/dev');
    for (const [name, rdev] of [['null', DEV_NULL], ['zero', DEV_ZERO], ['full', DEV_FULL]] as const) {
      const inode = this.allocInode(S_IFCHR | 0o666, ROOT_CREDS);
      inode.rdev = rdev;
      attachEntry(dev, name, newDentry(this.sb, inode));
    }
  }

  /** A fresh inode number; numbers are never reused (like tmpfs's get_next_ino). Pipes draw from it too. */
  allocIno(): number {
    return this.nextIno++;
  }

  /** A new inode of `mode` (type and permission bits) owned by `creds`, registered with the superblock. */
  allocInode(mode: number, creds: Creds, parentDir?: Inode): Inode {
    const gid = parentDir && (parentDir.mode & S_ISGID) ? parentDir.gid : creds.gid;
    if (parentDir && (parentDir.mode & S_ISGID) && (mode & S_IFDIR) === S_IFDIR) mode |= S_ISGID;
    const inode = new Inode(this.allocIno(), mode, creds.uid, gid, this.now());
    if (inode.isDir()) inode.nlink = 2;
    this.sb.inodes[inode.ino] = inode;
    return inode;
  }

  /** An open file or mapping takes a hold on `inode`, keeping it alive after its last unlink. */
  retainInode(inode: Inode): void {
    inode.openCount++;
  }

  /** Drop a hold; an inode with no links and no holds is freed. */
  releaseInode(inode: Inode): void {
    inode.openCount--;
    this.freeIfUnused(inode);
  }

  /** Free `inode` when nothing names it and nothing holds it open. */
  freeIfUnused(inode: Inode): void {
    if (inode.nlink > 0 || inode.openCount > 0) return;
    if (this.sb.inodes[inode.ino] === inode) delete this.sb.inodes[inode.ino];
    inode.setSize(0);
  }

  /** Live inodes (for statfs and tests). */
  inodeCount(): number {
    return Object.keys(this.sb.inodes).length;
  }

  /** The directory a relative path starts from. A string is resolved from the root (it must be a directory). */
  resolveCwd(cwd: CwdRef): Link {
    if (typeof cwd !== 'string') return cwd;
    const link = lookupPath(this, this.root, cwd, true);
    if (!inodeOf(link).isDir()) throw new KernelError(ENOTDIR, 'chdir', cwd);
    return link;
  }

  /** Resolve `path` (relative to `cwd`) to a dentry. Throws KernelError (ENOENT, ENOTDIR, ELOOP, ...). */
  lookup(path: string, cwd: CwdRef = this.root, follow = true, creds: Creds = ROOT_CREDS): Link {
    return lookupPath(this, this.resolveCwd(cwd), path, follow, creds);
  }

  /** Absolute path of a dentry, or null once it is unlinked. */
  pathOf(link: Link): string | null {
    return pathOf(link, this.root);
  }

  /**
   * The contents of the file at `path`. Throws KernelError: ENOENT, ENOTDIR, ELOOP, EISDIR (a
   * directory), EACCES (not readable by `creds`, or not a regular file).
   */
  readFile(path: string, cwd: CwdRef = this.root, creds: Creds = ROOT_CREDS): Uint8Array {
    const inode = inodeOf(this.lookup(path, cwd, true, creds));
    if (inode.isDir()) throw new KernelError(EISDIR, 'read', path);
    if (!inode.isRegular() || !inode.permits(R_OK, creds.uid, creds.gid)) throw new KernelError(EACCES, 'read', path);
    return inode.readAt(0, inode.byteSize);
  }

  /**
   * What execve reads: a regular file with an execute bit for `creds`. Throws KernelError ENOENT,
   * ENOTDIR, ELOOP, EACCES (a directory, a non-regular file, or no execute permission).
   */
  readExecutable(path: string, cwd: CwdRef = this.root, creds: Creds = ROOT_CREDS): Executable {
    const link = this.lookup(path, cwd, true, creds);
    const inode = inodeOf(link);
    if (!inode.isRegular() || !inode.permits(X_OK, creds.uid, creds.gid)) throw new KernelError(EACCES, 'execve', path);
    return { data: inode.readAt(0, inode.byteSize), path: this.pathOf(link) ?? path };
  }

  /** The contents of a guest file, for tests and for copying results out. Throws like readFile. */
  exportFile(guestPath: string): Uint8Array {
    return this.readFile(guestPath);
  }

  /**
   * Create every missing directory of the absolute `guestPath` (mode & 07777, default 0755) and
   * return the last one. Throws KernelError ENOTDIR when a component exists and is not a directory.
   */
  mkdirp(guestPath: string, mode = 0o755): Link {
    let dir = this.root;
    for (const name of guestPath.split('/')) {
      if (name === '' || name === '.') continue;
      if (name === '..') { dir = dir.parent ?? this.root; continue; }
      let child = childOf(dir, name);
      if (child && inodeOf(child).isLink()) child = this.lookup(name, dir);
      if (!child) {
        child = newDentry(this.sb, this.allocInode(S_IFDIR | (mode & S_IALLUGO), ROOT_CREDS));
        attachEntry(dir, name, child);
      } else if (!inodeOf(child).isDir()) {
        throw new KernelError(ENOTDIR, 'mkdir', guestPath);
      }
      dir = child;
    }
    return dir;
  }

  /** Create or replace the regular file at absolute `guestPath` with `data`; parents are created. */
  writeFile(guestPath: string, data: Uint8Array, mode = 0o644): Inode {
    const [dir, name] = this.parentOfNew(guestPath);
    const existing = childOf(dir, name);
    let inode: Inode;
    if (existing && inodeOf(existing).isRegular()) {
      inode = inodeOf(existing);
      inode.mode = S_IFREG | (mode & S_IALLUGO);
    } else {
      if (existing) throw new KernelError(EISDIR, 'write', guestPath);
      inode = this.allocInode(S_IFREG | (mode & S_IALLUGO), ROOT_CREDS);
      attachEntry(dir, name, newDentry(this.sb, inode));
    }
    inode.setContent(data);
    inode.stampModified(this.now());
    return inode;
  }

  /** Copy the host file `hostFile` to `guestPath`, keeping its permission bits. Host errors become KernelError. */
  importHostFile(hostFile: string, guestPath: string): void {
    let data: Buffer;
    let st: hostFs.Stats;
    try {
      st = hostFs.statSync(hostFile);
      data = hostFs.readFileSync(hostFile);
    } catch (e) {
      throw hostError(e, 'import', hostFile);
    }
    this.writeFile(guestPath, new Uint8Array(data.buffer, data.byteOffset, data.byteLength), st.mode & S_IALLUGO);
  }

  /**
   * Copy the entries of host directory `hostDir` into `guestDir` (created with mkdir -p): files with
   * their mode bits, symlinks as symlinks, subdirectories when `recursive`.
   */
  importHostDir(hostDir: string, guestDir: string, opts: { recursive?: boolean } = {}): void {
    let entries: hostFs.Dirent[];
    let st: hostFs.Stats;
    try {
      st = hostFs.statSync(hostDir);
      entries = hostFs.readdirSync(hostDir, { withFileTypes: true });
    } catch (e) {
      throw hostError(e, 'import', hostDir);
    }
    const dir = this.mkdirp(guestDir);
    inodeOf(dir).mode = S_IFDIR | (st.mode & S_IALLUGO);
    for (const e of entries) {
      const from = hostPath.join(hostDir, e.name);
      const to = `${guestDir.replace(/\/+$/, '')}/${e.name}`;
      if (e.isDirectory()) {
        if (opts.recursive) this.importHostDir(from, to, opts);
      } else if (e.isSymbolicLink()) {
        this.symlinkAt(to, hostFs.readlinkSync(from));
      } else if (e.isFile()) {
        this.importHostFile(from, to);
      }
    }
  }

  /** Create a symlink at absolute `guestPath` pointing to `target` (parents created; an existing entry stays). */
  symlinkAt(guestPath: string, target: string): void {
    const [dir, name] = this.parentOfNew(guestPath);
    if (childOf(dir, name)) return;
    const inode = this.allocInode(S_IFLNK | 0o777, ROOT_CREDS);
    inode.symlink = target;
    attachEntry(dir, name, newDentry(this.sb, inode));
  }

  /** The directory (created with mkdir -p) and last name of absolute `guestPath`. Throws EISDIR for "/" or "dir/". */
  private parentOfNew(guestPath: string): [Link, string] {
    const cut = guestPath.lastIndexOf('/');
    const name = guestPath.slice(cut + 1);
    if (name === '' || name === '.' || name === '..') throw new KernelError(EISDIR, 'create', guestPath);
    return [this.mkdirp(guestPath.slice(0, Math.max(cut, 0))), name];
  }
}

/** A host fs error as a KernelError carrying the host's errno (EIO when it has none). */
function hostError(e: unknown, op: string, path: string): KernelError {
  const code = e instanceof Error && 'code' in e && typeof e.code === 'string' ? e.code : '';
  const errnos: Record<string, number> = osConstants.errno as Record<string, number>;
  return new KernelError(errnos[code] ?? EIO, op, path);
}
