// One crfs superblock per mount (linux-cr's checkpoint context): inode numbers, link counts, path cache, validity.
//
// Inode numbers come from a counter in order of first sight (root is 1) and are never reused while
// the mount lives. A node placed in several directories is one inode and reports st_nlink = the
// number of its places.
//
// The link-count rule. tar decides whether a file is a hard link from the st_nlink it sees at the
// FIRST place, so the count must be exact before any directory holding the node is listed. A lazy
// tree cannot count places it has not built yet, so the tree builder declares them: for each place
// a shared node will occupy it calls `link(node)` (or `link(node, k)` once) while building the
// object graph, before the tree is served. An undeclared node counts the places met as directories
// materialise (1 for a node placed once — the common case, nothing to declare). Meeting more places
// than were declared is a tree-builder bug and fails the listing with EIO rather than lie to tar.
import { EIO, ENOENT, EOVERFLOW, KernelError } from '../../emukernel/errno';
import { Node } from './node';

/** Stale file handle: every operation after invalidate()/close() fails with it. */
export const ESTALE = 116;

/** The stat fields fuse-native's getattr/readdir accept (times in ms since the epoch). */
export interface NodeStat {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  nlink: number;
  ino: number;
  blksize: number;
  blocks: number;
  atime: number;
  mtime: number;
  ctime: number;
}

export interface SuperblockOptions {
  /** Owner of nodes created without uid/gid (default: this process's). */
  uid?: number;
  gid?: number;
  /** Every timestamp in the tree (default: now). Use the checkpoint time: tar warns if mtimes move. */
  time?: Date | number;
}

const MAX_INO = 0xffff_ffff; // fuse-native passes st_ino as 32 bits

export class Superblock {
  readonly uid: number;
  readonly gid: number;
  /** Mount (or checkpoint) time in ms; every node's atime, mtime and ctime. */
  readonly timeMs: number;

  private readonly inodes = new Map<Node, number>();
  private nextIno = 1;
  private readonly declared = new Map<Node, number>();
  private readonly placed = new Map<Node, number>();
  private readonly counted = new WeakSet<Node>();
  private readonly paths = new Map<string, Node>();
  private stale = false;
  private staleReason = '';

  constructor(readonly root: Node, opts: SuperblockOptions = {}) {
    if (!root.isDirectory) throw new Error('crfs superblock: root must be a directory');
    this.uid = opts.uid ?? process.getuid?.() ?? 0;
    this.gid = opts.gid ?? process.getgid?.() ?? 0;
    const t = opts.time ?? Date.now();
    this.timeMs = typeof t === 'number' ? t : t.getTime();
    this.inodeOf(root);
    this.paths.set('/', root);
  }

  /**
   * Declares `places` more places for `node` (see the link-count rule above). Call while building
   * the tree, before it is served. Throws for directories (no hard links to directories).
   */
  link(node: Node, places = 1): void {
    if (node.isDirectory) throw new Error('crfs superblock: directories cannot be hard-linked');
    this.declared.set(node, (this.declared.get(node) ?? 0) + places);
  }

  /** The node's inode number, assigned on first sight. Throws KernelError EOVERFLOW past 2^32-1. */
  inodeOf(node: Node): number {
    let ino = this.inodes.get(node);
    if (ino === undefined) {
      if (this.nextIno > MAX_INO) throw new KernelError(EOVERFLOW, 'inode');
      ino = this.nextIno++;
      this.inodes.set(node, ino);
    }
    return ino;
  }

  /** st_nlink: 2 + subdirectories for a directory (building its entry list), else the places rule. */
  nlinkOf(node: Node): number {
    if (node.isDirectory) {
      let n = 2;
      for (const e of this.list(node)) if (e.node.isDirectory) n++;
      return n;
    }
    return this.declared.get(node) ?? this.placed.get(node) ?? 1;
  }

  /** Throws KernelError ESTALE once the superblock is invalidated. */
  checkValid(op: string, path: string): void {
    if (this.stale) throw new KernelError(ESTALE, op, path);
  }

  /**
   * The node at `path` (absolute, '/'-separated, as libfuse passes it). Throws KernelError ESTALE
   * after invalidate(), ENOENT for a missing component, ENOTDIR through a file.
   */
  resolve(path: string, op = 'lookup'): Node {
    if (this.stale) throw new KernelError(ESTALE, op, path);
    const hit = this.paths.get(path);
    if (hit !== undefined) return hit;
    const slash = path.lastIndexOf('/');
    const parent = this.resolve(slash === 0 ? '/' : path.slice(0, slash), op);
    this.list(parent);
    const child = parent.lookup(path.slice(slash + 1));
    if (child === undefined) throw new KernelError(ENOENT, op, path);
    this.paths.set(path, child);
    return child;
  }

  /**
   * The entries of a directory node in readdir order; the first time a directory is listed its
   * children get inode numbers and their places are counted. Throws KernelError ENOTDIR for files,
   * EIO when a node has more places than were declared.
   */
  list(dir: Node): ReturnType<Node['entries']> {
    const entries = dir.entries();
    if (!this.counted.has(dir)) {
      this.counted.add(dir);
      for (const { node } of entries) {
        this.inodeOf(node);
        if (node.isDirectory) continue;
        const places = (this.placed.get(node) ?? 0) + 1;
        this.placed.set(node, places);
        // An undeclared node met at a second place may already have been reported with
        // st_nlink 1 at its first: the inexact case the link-count rule forbids.
        if (places > (this.declared.get(node) ?? 1)) throw new KernelError(EIO, 'readdir (undeclared hard link)');
      }
    }
    return entries;
  }

  /** The stat of `node` (times fixed at the superblock's time, so tar sees nothing change). */
  statOf(node: Node): NodeStat {
    const size = node.size();
    return {
      mode: node.mode,
      uid: node.uid ?? this.uid,
      gid: node.gid ?? this.gid,
      size,
      nlink: this.nlinkOf(node),
      ino: this.inodeOf(node),
      blksize: 4096,
      blocks: Math.ceil(size / 512),
      atime: this.timeMs,
      mtime: this.timeMs,
      ctime: this.timeMs,
    };
  }

  /** Places counted so far per declared node whose count differs from its declaration (for tests). */
  auditLinks(): Array<{ ino: number; declared: number; placed: number }> {
    const out: Array<{ ino: number; declared: number; placed: number }> = [];
    for (const [node, declared] of this.declared) {
      const placed = this.placed.get(node) ?? 0;
      if (placed !== declared) out.push({ ino: this.inodes.get(node) ?? 0, declared, placed });
    }
    return out;
  }

  /** Number of inodes handed out so far. */
  get inodeCount(): number { return this.inodes.size; }

  get isValid(): boolean { return !this.stale; }

  /** Why the superblock was invalidated ('' while valid). */
  get invalidReason(): string { return this.staleReason; }

  /**
   * Makes every later operation fail with ESTALE (used after `done` on a lazy tree: the tasks have
   * thawed, so nothing generated from them may be served). Idempotent; never throws.
   */
  invalidate(reason = 'invalidated'): void {
    if (!this.stale) {
      this.stale = true;
      this.staleReason = reason;
    }
  }

  /** Invalidates and drops every cached path so the tree can be collected. Idempotent. */
  close(): void {
    this.invalidate('closed');
    this.paths.clear();
  }
}
