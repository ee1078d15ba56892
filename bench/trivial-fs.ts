// The yardstick for crfs's FUSE layer: libfuse's hello.c in fuse-native, over a prebuilt path map.
//
// It is served the way crfs serves a mount (same process, same fuse-native, the same kernel-side
// options: entry/attr timeouts, max_read, no per-op timer, auto_unmount, kernel_cache when asked;
// readdir entries with their file type), so the difference to a crfs mount of the same files is
// crfs's own tree, superblock and read path.
import Fuse from 'fuse-native';
import * as fs from 'node:fs';
import * as path from 'node:path';

type Cb = (code: number, ...rest: unknown[]) => void;
const ENOENT = -2;
const TIME = Date.UTC(2024, 0, 1);
const DIR_MODE = 0o40555, FILE_MODE = 0o100444;

/** Directories (absolute, '/' first) and regular files (absolute path → contents) of a trivial tree. */
export interface TrivialTree {
  readonly dirs: readonly string[];
  readonly files: ReadonlyMap<string, Uint8Array>;
}

export interface TrivialMount {
  readonly path: string;
  unmount(): Promise<void>;
}

/** A tree of one file `/mem` holding `bytes`. */
export function oneFileTree(bytes: Uint8Array): TrivialTree {
  return { dirs: ['/'], files: new Map([['/mem', bytes]]) };
}

const parentOf = (p: string): string => p.slice(0, Math.max(1, p.lastIndexOf('/')));
const baseOf = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

export interface TrivialOptions {
  kernelCache?: boolean;
  /**
   * With it libfuse2 mounts through fusermount, forking this process. Default as crfs mounts:
   * off as root, on otherwise (lib/crfs/fs/fuse-adapter.ts).
   */
  autoUnmount?: boolean;
}

/** Serves `tree` read-only at `dir` (created if missing) until unmount(). */
export async function mountTrivial(tree: TrivialTree, dir: string, opts: TrivialOptions = {}): Promise<TrivialMount> {
  // Entries carry their file type as crfs's do, so readdir gives d_type and find need not stat files.
  const children = new Map<string, { names: string[]; stats: Array<{ mode: number }> }>();
  const add = (p: string, mode: number): void => {
    const c = children.get(parentOf(p));
    c?.names.push(baseOf(p));
    c?.stats.push({ mode });
  };
  for (const d of tree.dirs) children.set(d, { names: ['.', '..'], stats: [{ mode: DIR_MODE }, { mode: DIR_MODE }] });
  for (const d of tree.dirs) if (d !== '/') add(d, DIR_MODE);
  for (const f of tree.files.keys()) add(f, FILE_MODE);
  // fuse-native keeps every Fuse object (and so these handlers) forever: unmount drops the tree.
  const served = { files: tree.files };
  const ops = {
    readdir(p: string, cb: Cb): void {
      const c = children.get(p);
      if (c) cb(0, c.names, c.stats); else cb(ENOENT);
    },
    getattr(p: string, cb: Cb): void {
      if (children.has(p)) return cb(0, { mode: DIR_MODE, size: 4096, mtime: TIME, atime: TIME, ctime: TIME, nlink: 2 });
      const f = served.files.get(p);
      if (f) return cb(0, { mode: FILE_MODE, size: f.length, mtime: TIME, atime: TIME, ctime: TIME, nlink: 1 });
      cb(ENOENT);
    },
    open(_p: string, _flags: number, cb: Cb): void { cb(0, 42); },
    read(p: string, _fd: number, buf: Buffer, len: number, pos: number, cb: Cb): void {
      const f = served.files.get(p);
      if (!f) return cb(ENOENT);
      if (pos >= f.length) return cb(0);
      const n = Math.min(len, f.length - pos);
      buf.set(f.subarray(pos, pos + n));
      cb(n);
    },
  };
  const mnt = path.resolve(dir);
  fs.mkdirSync(mnt, { recursive: true });
  const fuse = new Fuse(mnt, ops, {
    mkdir: true,
    force: true,
    autoUnmount: opts.autoUnmount ?? (process.getuid?.() ?? 0) !== 0,
    timeout: false,
    kernelCache: opts.kernelCache ?? false,
    fsname: 'trivial,entry_timeout=60,attr_timeout=60,negative_timeout=60,max_read=131072',
  });
  await new Promise<void>((resolve, reject) => fuse.mount((e) => (e ? reject(e) : resolve())));
  let closing: Promise<void> | undefined;
  return {
    path: mnt,
    unmount: () => (closing ??= new Promise<void>((resolve) => fuse.unmount(() => {
      served.files = new Map();
      children.clear();
      resolve();
    }))),
  };
}
