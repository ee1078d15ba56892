// The node model of a crfs tree: debugfs-style factories whose node kind is fixed at creation.
//
// Every file in a mounted checkpoint comes from one of the factories below. A node's behaviour
// (what getattr, read, write, truncate and lookup do) is its class's methods, chosen once by the
// factory, so the FUSE handlers call methods and never ask what kind a node is (ramfs_get_inode's
// `switch (mode & S_IFMT)` happens here, once, and nowhere else).
//
// Nodes hold no inode numbers and no link counts: those belong to the superblock of the mount, so
// one tree could be served twice. Nodes throw KernelError; the adapter turns it into -errno.
import { EINVAL, EISDIR, ENOTDIR, EROFS, KernelError } from '../../emukernel/errno';

export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;

/** Ownership and permissions a factory may be given; uid/gid default to the mount's owner. */
export interface NodeOptions {
  /** Permission bits only (no file type); each factory has its own default. */
  mode?: number;
  uid?: number;
  gid?: number;
}

/** One contiguous piece of a blob read: a view over existing memory, copied once into FUSE's buffer. */
export type ByteView = Uint8Array;

/**
 * The base of every node. Methods a kind does not support answer as Linux does for that kind
 * (read of a directory → EISDIR, lookup in a file → ENOTDIR, any write → EROFS).
 */
export abstract class Node {
  /** File type and permission bits, fixed at creation. */
  readonly mode: number;
  readonly uid: number | undefined;
  readonly gid: number | undefined;

  protected constructor(type: number, opts: NodeOptions | undefined, defaultPerm: number) {
    this.mode = type | ((opts?.mode ?? defaultPerm) & 0o7777);
    this.uid = opts?.uid;
    this.gid = opts?.gid;
  }

  /** Exact size in bytes as reported by stat (tar trusts it). */
  abstract size(): number;

  /** True for directories only: they count toward their parent's link count and cannot be hard-linked. */
  get isDirectory(): boolean { return false; }

  /** Whether an open for writing is allowed (the adapter answers EROFS otherwise). */
  get isWritable(): boolean { return false; }

  /**
   * Copies up to `length` bytes at `offset` into `into` (starting at 0); returns the count copied,
   * 0 at or past the end. Throws KernelError (EISDIR for directories).
   */
  readInto(_into: Uint8Array, _offset: number, _length: number): number {
    throw new KernelError(EISDIR, 'read');
  }

  /** Accepts a write; returns bytes consumed. Throws KernelError EROFS unless the node is a control file. */
  write(_data: Uint8Array, _offset: number): number {
    throw new KernelError(EROFS, 'write');
  }

  /** Truncates; throws KernelError EROFS unless the node is a control file. */
  truncate(_size: number): void {
    throw new KernelError(EROFS, 'truncate');
  }

  /** The child called `name`, or undefined. Throws KernelError ENOTDIR for files. */
  lookup(_name: string): Node | undefined {
    throw new KernelError(ENOTDIR, 'lookup');
  }

  /** Children in readdir order. Throws KernelError ENOTDIR for files. */
  entries(): readonly DirEntry[] {
    throw new KernelError(ENOTDIR, 'readdir');
  }
}

export interface DirEntry {
  readonly name: string;
  readonly node: Node;
}

/** Copies `src[from, from+count)` into `dst` at `at`; returns count. */
function copyBytes(dst: Uint8Array, at: number, src: Uint8Array, from: number, count: number): number {
  dst.set(count === src.length && from === 0 ? src : src.subarray(from, from + count), at);
  return count;
}

class ScalarFile extends Node {
  private text: Buffer | undefined;

  constructor(private readonly get: () => bigint | number | string, opts: NodeOptions | undefined) {
    super(S_IFREG, opts, 0o444);
  }

  // Generated once: the contents of a frozen checkpoint cannot change, so the size stat reports
  // before the first read is the size of what read returns.
  private bytes(): Buffer {
    if (this.text === undefined) this.text = Buffer.from(`${String(this.get())}\n`, 'utf8');
    return this.text;
  }

  size(): number { return this.bytes().length; }

  override readInto(into: Uint8Array, offset: number, length: number): number {
    const b = this.bytes();
    if (offset >= b.length) return 0;
    return copyBytes(into, 0, b, offset, Math.min(length, b.length - offset));
  }
}

/** Reads `[offset, offset+length)` of a blob; may return views over existing memory (no copy). */
export type BlobReader = (offset: number, length: number) => ByteView | readonly ByteView[];

class BlobFile extends Node {
  constructor(private readonly bytes: number, private readonly reader: BlobReader, opts: NodeOptions | undefined) {
    super(S_IFREG, opts, 0o444);
  }

  size(): number { return this.bytes; }

  override readInto(into: Uint8Array, offset: number, length: number): number {
    if (offset >= this.bytes) return 0;
    const want = Math.min(length, this.bytes - offset);
    const got = this.reader(offset, want);
    if (got instanceof Uint8Array) return copyBytes(into, 0, got, 0, Math.min(want, got.length));
    let at = 0;
    for (const view of got) {
      if (at >= want) break;
      at += copyBytes(into, at, view, 0, Math.min(want - at, view.length));
    }
    return at;
  }
}

/** Builds a directory's children on demand; called at most once per directory. */
export type ChildrenSource = () => Iterable<readonly [string, Node]>;

class Directory extends Node {
  private list: DirEntry[] | undefined;
  private byName: Map<string, Node> | undefined;

  constructor(private readonly source: ChildrenSource, opts: NodeOptions | undefined) {
    super(S_IFDIR, opts, 0o555);
  }

  override get isDirectory(): boolean { return true; }

  size(): number { return 4096; }

  // Materialised on first lookup or readdir and then cached: a frozen tree's shape cannot change.
  override entries(): readonly DirEntry[] {
    if (this.list !== undefined) return this.list;
    const list: DirEntry[] = [];
    const byName = new Map<string, Node>();
    for (const [name, node] of this.source()) {
      if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
        throw new Error(`crfs tree: bad entry name ${JSON.stringify(name)}`);
      }
      if (byName.has(name)) throw new Error(`crfs tree: duplicate entry ${JSON.stringify(name)}`);
      byName.set(name, node);
      list.push({ name, node });
    }
    this.byName = byName;
    this.list = list;
    return list;
  }

  /** True once entries() has run (used by the superblock to count places without forcing it). */
  get isMaterialised(): boolean { return this.list !== undefined; }

  override lookup(name: string): Node | undefined {
    if (this.byName === undefined) this.entries();
    return this.byName!.get(name);
  }
}

/** Called when the documented value is written to a control file; a throw answers the write with EIO. */
export type ControlHandler = () => void;

class ControlFile extends Node {
  constructor(private readonly onWrite: ControlHandler, opts: NodeOptions | undefined) {
    super(S_IFREG, opts, 0o200);
  }

  size(): number { return 0; }

  override get isWritable(): boolean { return true; }

  // A control file has no contents to read, but an open for reading (possible for root or with
  // mode 0600) gets an empty file rather than an error.
  override readInto(): number { return 0; }

  /** Accepts exactly "1" or "1\n" written at offset 0 and fires the handler; anything else is EINVAL. */
  override write(data: Uint8Array, offset: number): number {
    const n = data.length;
    const isOne = offset === 0 && data[0] === 0x31 && (n === 1 || (n === 2 && data[1] === 0x0a));
    if (!isOne) throw new KernelError(EINVAL, 'write');
    this.onWrite();
    return n;
  }

  // The shell's `>` opens with O_TRUNC, which reaches us as truncate(0) before the write.
  override truncate(size: number): void {
    if (size !== 0) throw new KernelError(EINVAL, 'truncate');
  }
}

/** A file whose contents are `String(get())` + "\n", generated on first getattr or read and then cached. */
export function scalarFile(get: () => bigint | number | string, opts?: NodeOptions): Node {
  return new ScalarFile(get, opts);
}

/** A raw-bytes file of exactly `size` bytes; `read` is asked only for ranges inside it. */
export function blobFile(size: number, read: BlobReader, opts?: NodeOptions): Node {
  if (!Number.isSafeInteger(size) || size < 0) throw new Error(`crfs tree: bad blob size ${size}`);
  return new BlobFile(size, read, opts);
}

/** A blob over one existing buffer (no copy until FUSE's own buffer). */
export function bufferFile(bytes: Uint8Array, opts?: NodeOptions): Node {
  return new BlobFile(bytes.length, (off, len) => bytes.subarray(off, off + len), opts);
}

/** A directory whose children (in readdir order) are produced by `children` on first use. */
export function directory(children: ChildrenSource, opts?: NodeOptions): Node {
  return new Directory(children, opts);
}

/** A directory over a fixed list of children. */
export function staticDirectory(children: Iterable<readonly [string, Node]>, opts?: NodeOptions): Node {
  const list = [...children];
  return new Directory(() => list, opts);
}

/** A write-only control file (`done`): writing "1" or "1\n" calls onWrite; other values get EINVAL. */
export function controlFile(onWrite: ControlHandler, opts?: NodeOptions): Node {
  return new ControlFile(onWrite, opts);
}

/** Whether `node` is a directory whose children have already been built. */
export function isMaterialised(node: Node): boolean {
  return node instanceof Directory ? node.isMaterialised : true;
}

