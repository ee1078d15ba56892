// The one file that talks to fuse-native: the handler table, the errno boundary and mountTree().
//
// Shape of libfuse's hello.c: named handlers, one ops table literal after them, and errors leaving
// as -errno in exactly one place (reply()). Handlers resolve a path to a node through the
// superblock and call the node's methods; they never look at what kind of node it is.
//
// Facts about fuse-native 2.2.6 on libfuse2 this file depends on (measured, see issue 4):
// - its `useIno` option is ignored, so use_ino goes in through `fsname`; so do options whose value
//   is 0 (fuse-native drops them) and the entry/attr timeouts;
// - `echo 1 > done` is open, truncate, getattr, flush, write, flush, release: truncate must exist;
// - with its default `timeout` every operation also arms a timer and fails after 15 s with
//   ETIMEDOUT; a lazy tree may legitimately take longer to generate a file, so we pass false;
// - never run a synchronous child process that reads the mount from the process serving it;
// - reads arrive at most 128 KiB at a time whatever max_read says: libfuse2 never offers the kernel
//   FUSE_MAX_PAGES. Raising the mount's read_ahead_kb (/sys/class/bdi/<dev>/) from its 128 did not
//   help tar of a 1 GiB checkpoint (1024: the same; 4096: 30% slower), so it is left alone;
// - with auto_unmount, libfuse2 mounts through fusermount, forking this process first: 50 ms and up
//   (more with more resident memory), against about 2 ms for mount(2) without it (bench, issue 4).
//   So as root, where libfuse2 can call mount(2) itself, auto_unmount is off by default: a mount
//   left by a killed server is recorded in the mount registry, and the next crfs command
//   (cleanStaleMounts) lazily unmounts it. Other users go through fusermount anyway and keep it.
import Fuse from 'fuse-native';
import { promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { EIO, EROFS, KernelError } from '../../emukernel/errno';
import { defaultRegistryDir, forgetMount, recordMount } from './mount-registry';
import { Node, staticDirectory } from './node';
import { NodeStat, Superblock, SuperblockOptions } from './superblock';

type Cb = (code: number, ...rest: unknown[]) => void;
type Reply = [number, ...unknown[]];

const O_ACCMODE = 3;
const READ_ONLY: Reply = [0];

export interface MountOptions extends SuperblockOptions {
  /** Use this superblock (e.g. one whose link() registry the tree builder already filled). */
  superblock?: Superblock;
  /**
   * Let other users see the mount (needs user_allow_other for non-root). Default false. It also
   * turns on default_permissions: the handlers check no caller, so without it every user would get
   * whatever the mounting user gets; with it the kernel applies each node's mode and owner.
   */
  allowOther?: boolean;
  /**
   * Let the kernel unmount when the server dies (needs fusermount, which forks this process).
   * Default: off as root (mount(2) directly; cleanStaleMounts sweeps what a dead server left), on
   * for other users (who mount through fusermount in any case).
   */
  autoUnmount?: boolean;
  /**
   * Keep file pages cached across opens. Only for trees that are never invalidated (images, copy
   * mode): a cached page would be served after invalidate() without asking us. Default false.
   */
  kernelCache?: boolean;
  /** Seconds the kernel may cache lookups, attributes and missing names. Default 60. */
  cacheTimeout?: number;
  /** Where the mount is recorded for cleanStaleMounts(); null to not record. Default defaultRegistryDir(). */
  registryDir?: string | null;
  /** Called as each request arrives (before it is answered): a live checkpoint's scheduler serves bursts sooner. */
  onRequest?: () => void;
  /** Where unexpected (non-errno) handler failures are reported. Default: stderr. */
  onError?: (err: unknown, op: string, path: string) => void;
  debug?: boolean;
}

export interface Mounted {
  /** Absolute mount point. */
  readonly path: string;
  readonly superblock: Superblock;
  /** Lazily unmounts and closes the superblock; resolves when done. Idempotent; rejects only if fusermount fails. */
  unmount(): Promise<void>;
}

/** The stat a readdir entry carries: libfuse2 uses only its inode number and file type. */
function direntStat(sb: Superblock, node: Node): Partial<NodeStat> {
  return { mode: node.mode, ino: sb.inodeOf(node) };
}

function readOnly(op: string, p: string): never {
  throw new KernelError(EROFS, op, p);
}

/** The superblock a mount's handlers serve; unmount swaps in DETACHED (see mountTree). */
interface Served {
  sb: Superblock;
  onRequest?: () => void;
}

/** Builds fuse-native's handler table for one superblock. */
function createOps(served: Served, onError: (err: unknown, op: string, path: string) => void) {
  // The errno boundary: KernelError leaves as its -errno, anything else is a bug, logged, and EIO.
  function reply(cb: Cb, op: string, p: string, body: () => Reply): void {
    served.onRequest?.();
    let r: Reply;
    try {
      r = body();
    } catch (e) {
      if (e instanceof KernelError) {
        cb(-e.errno);
      } else {
        onError(e, op, p);
        cb(-EIO);
      }
      return;
    }
    cb(...r);
  }

  function init(cb: Cb): void { cb(0); }

  function getattr(p: string, cb: Cb): void {
    reply(cb, 'getattr', p, () => [0, served.sb.statOf(served.sb.resolve(p, 'getattr'))]);
  }

  function readdir(p: string, cb: Cb): void {
    reply(cb, 'readdir', p, () => {
      const dir = served.sb.resolve(p, 'readdir');
      const entries = served.sb.list(dir);
      const parent = p === '/' ? dir : served.sb.resolve(p.slice(0, Math.max(1, p.lastIndexOf('/'))));
      const names = new Array<string>(entries.length + 2);
      const stats = new Array<Partial<NodeStat>>(entries.length + 2);
      names[0] = '.'; stats[0] = direntStat(served.sb, dir);
      names[1] = '..'; stats[1] = direntStat(served.sb, parent);
      for (let i = 0; i < entries.length; i++) {
        names[i + 2] = entries[i].name;
        stats[i + 2] = direntStat(served.sb, entries[i].node);
      }
      return [0, names, stats];
    });
  }

  function open(p: string, flags: number, cb: Cb): void {
    reply(cb, 'open', p, () => {
      const node = served.sb.resolve(p, 'open');
      if ((flags & O_ACCMODE) !== 0 && !node.isWritable) readOnly('open', p);
      return [0, 0];
    });
  }

  function read(p: string, _fd: number, buf: Buffer, len: number, pos: number, cb: Cb): void {
    reply(cb, 'read', p, () => [served.sb.resolve(p, 'read').readInto(buf, pos, len)]);
  }

  function write(p: string, _fd: number, buf: Buffer, len: number, pos: number, cb: Cb): void {
    reply(cb, 'write', p, () => [served.sb.resolve(p, 'write').write(buf.subarray(0, len), pos)]);
  }

  function truncate(p: string, size: number, cb: Cb): void {
    reply(cb, 'truncate', p, () => { served.sb.resolve(p, 'truncate').truncate(size); return READ_ONLY; });
  }

  function ftruncate(p: string, _fd: number, size: number, cb: Cb): void {
    reply(cb, 'ftruncate', p, () => { served.sb.resolve(p, 'ftruncate').truncate(size); return READ_ONLY; });
  }

  function statfs(p: string, cb: Cb): void {
    reply(cb, 'statfs', p, () => {
      served.sb.checkValid('statfs', p);
      return [0, { bsize: 4096, frsize: 4096, files: served.sb.inodeCount, namemax: 255 }];
    });
  }

  // Every mutation of the tree is refused; only a control file's write/truncate get through above.
  function refuse(op: string, p: string, cb: Cb): void { reply(cb, op, p, () => readOnly(op, p)); }
  function create(p: string, _mode: number, cb: Cb): void { refuse('create', p, cb); }
  function mknod(p: string, _mode: number, _dev: number, cb: Cb): void { refuse('mknod', p, cb); }
  function mkdir(p: string, _mode: number, cb: Cb): void { refuse('mkdir', p, cb); }
  function unlink(p: string, cb: Cb): void { refuse('unlink', p, cb); }
  function rmdir(p: string, cb: Cb): void { refuse('rmdir', p, cb); }
  function rename(src: string, _dest: string, cb: Cb): void { refuse('rename', src, cb); }
  function link(src: string, _dest: string, cb: Cb): void { refuse('link', src, cb); }
  function symlink(_target: string, p: string, cb: Cb): void { refuse('symlink', p, cb); }
  function chmod(p: string, _mode: number, cb: Cb): void { refuse('chmod', p, cb); }
  function chown(p: string, _uid: number, _gid: number, cb: Cb): void { refuse('chown', p, cb); }
  function setxattr(p: string, _n: string, _v: Buffer, _pos: number, _f: number, cb: Cb): void { refuse('setxattr', p, cb); }
  function removexattr(p: string, _n: string, cb: Cb): void { refuse('removexattr', p, cb); }
  function utimens(p: string, _a: number, _m: number, cb: Cb): void { refuse('utimens', p, cb); }

  // release and flush are left to libfuse on purpose: it answers them without a round trip to JS
  // (~65-100 us each, two per opened file), which measured 700 -> 490 ms for tar of 5,000 files.
  // Nothing here holds per-open state, so there is nothing for them to do.
  return {
    init, getattr, readdir, open, read, write, truncate, ftruncate, statfs,
    create, mknod, mkdir, unlink, rmdir, rename, link, symlink, chmod, chown, setxattr, removexattr, utimens,
  };
}

/** What handlers of an unmounted filesystem see: a closed superblock of nothing, so every request is ESTALE. */
const DETACHED = new Superblock(staticDirectory([]));
DETACHED.close();

function reportToStderr(err: unknown, op: string, p: string): void {
  const msg = err instanceof Error ? err.stack ?? err.message : String(err);
  process.stderr.write(`crfs: ${op} ${p}: ${msg}\n`);
}

function defaultAutoUnmount(): boolean {
  return (process.getuid?.() ?? 0) !== 0;
}

/** The -o string: everything fuse-native would drop or ignore rides in fsname (see header). */
function mountOptionString(opts: MountOptions): string {
  const t = opts.cacheTimeout ?? 60;
  return [
    'crfs', 'use_ino', `entry_timeout=${t}`, `attr_timeout=${t}`, `negative_timeout=${t}`,
    'max_read=131072', 'big_writes',
  ].join(',');
}

function mountFuse(fuse: Fuse): Promise<void> {
  return new Promise((resolve, reject) => fuse.mount(err => (err ? reject(err) : resolve())));
}

/** Whether the kernel's mount table of this process lists `real` (a mount point path, parent resolved). Never throws. */
function inMountTable(real: string): boolean {
  let text: string;
  try { text = readFileSync('/proc/self/mounts', 'utf8'); } catch { return false; }
  for (const line of text.split('\n')) {
    const at = line.split(' ')[1];
    if (at !== undefined && at.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))) === real) return true;
  }
  return false;
}

/** How often unmountFuse looks at the mount table. */
const UNMOUNT_POLL_MS = 50;

/**
 * fuse.unmount, settled by whichever comes first: its callback, or the mount (listed when this
 * starts) leaving the mount table. fuse-native calls back only once Node has reaped its
 * `fusermount -uz` child, and that exit has been seen to go unnoticed (the child a zombie, the
 * unmount pending) until some other child of this process exited.
 */
async function unmountFuse(fuse: Fuse, realPath: Promise<string>): Promise<void> {
  const real = await realPath;
  const watch = inMountTable(real);
  await new Promise<void>((resolve, reject) => {
    let done = false;
    let timer: NodeJS.Timeout | null = null;
    const settle = (err: Error | null): void => {
      if (done) return;
      done = true;
      if (timer !== null) clearInterval(timer);
      if (err) reject(err); else resolve();
    };
    if (watch) timer = setInterval(() => { if (!inMountTable(real)) settle(null); }, UNMOUNT_POLL_MS);
    fuse.unmount(err => settle(err));
  });
}

/**
 * Serves the tree under `root` as a read-only FUSE filesystem at `dir` (created if missing; a stale
 * ENOTCONN mount there is cleared first). Resolves once the kernel has the mount; rejects if
 * mounting fails (no fusermount, not a directory, already mounted).
 */
export async function mountTree(root: Node, dir: string, opts: MountOptions = {}): Promise<Mounted> {
  const sb = opts.superblock ?? new Superblock(root, opts);
  if (sb.root !== root) throw new Error('crfs mount: superblock belongs to another tree');
  const mnt = path.resolve(dir);
  const served: Served = { sb, onRequest: opts.onRequest };
  const fuse = new Fuse(mnt, createOps(served, opts.onError ?? reportToStderr), {
    mkdir: true,
    force: true,
    debug: opts.debug ?? false,
    allowOther: opts.allowOther ?? false,
    defaultPermissions: opts.allowOther ?? false,
    autoUnmount: opts.autoUnmount ?? defaultAutoUnmount(),
    kernelCache: opts.kernelCache ?? false,
    timeout: false,
    fsname: mountOptionString(opts),
    subtype: 'crfs',
  });
  await mountFuse(fuse);
  const registryDir = opts.registryDir === undefined ? defaultRegistryDir() : opts.registryDir;
  // Recorded in the background: the mount is served already, and each await here is an event-loop
  // turn, which while a copy-mode container runs can be a whole 10 ms scheduler slice (five turns).
  const real = fsp.realpath(path.dirname(mnt)).then(d => path.join(d, path.basename(mnt)), () => mnt);
  const record = registryDir === null ? Promise.resolve(null) : real
    .then(p => recordMount(registryDir, p))
    .catch(() => null);
  let done: Promise<void> | undefined;
  return {
    path: mnt,
    superblock: sb,
    unmount(): Promise<void> {
      done ??= (async () => {
        sb.close();
        // fuse-native never drops its references to a Fuse object (and so to our handlers): left
        // pointing at the tree, every mount a process ever made would stay in memory, pages and all.
        served.sb = DETACHED;
        served.onRequest = undefined;
        await unmountFuse(fuse, real);
        const file = await record;
        if (file !== null) await forgetMount(file);
      })();
      return done;
    },
  };
}
