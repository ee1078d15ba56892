// Test helpers: a toy checkpoint-shaped tree built from the factories, temp mounts, async shell tools.
import { execFile, ExecFileOptions } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mountTree, Mounted, MountOptions } from '../../lib/crfs/fs/fuse-adapter';
import { blobFile, bufferFile, controlFile, directory, Node, scalarFile, staticDirectory } from '../../lib/crfs/fs/node';
import { Superblock } from '../../lib/crfs/fs/superblock';

/** A fixed checkpoint time (2024-01-02T03:04:05Z) so tar sees nothing move. */
export const TOY_TIME = Date.UTC(2024, 0, 2, 3, 4, 5);

export interface ToyTree {
  root: Node;
  superblock: Superblock;
  /** The file object hard-linked from three places. */
  shared: Node;
  /** Number of times `done` received the documented value. */
  doneCount(): number;
  /** Directories whose children() ran, by name. */
  built: Set<string>;
}

/** Deterministic pseudo-random bytes (xorshift32), so checksums have a reference independent of crfs. */
export function makeBytes(n: number, seed = 0x9e3779b9): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

/**
 * /done, /task-<pid>/{comm,regs,fds/<n>/{fd_nr,coe,file}}, /files/<id>/{f_pos,f_flags}, /mem (blob).
 * `files/1/f_pos` is one node placed at files/1/f_pos, task-100/fds/3/f_pos and task-101/fds/0/f_pos.
 */
export function buildToyTree(opts: { blob?: Buffer; uid?: number; gid?: number } = {}): ToyTree {
  const built = new Set<string>();
  let done = 0;
  const lazyDir = (name: string, kids: () => Array<[string, Node]>): Node =>
    directory(() => { built.add(name); return kids(); });
  const shared = scalarFile(() => 4096n);
  const regs = Buffer.alloc(256, 0xab);
  const task = (pid: number, fds: Array<[string, Node]>): Node => lazyDir(`task-${pid}`, () => [
    ['comm', scalarFile(() => `prog${pid}`)],
    ['regs', bufferFile(regs, { mode: 0o400, uid: opts.uid, gid: opts.gid })],
    ['fds', lazyDir(`task-${pid}/fds`, () => fds)],
  ]);
  const fd = (n: number, extra: Array<[string, Node]>): [string, Node] =>
    [String(n), staticDirectory([['fd_nr', scalarFile(() => n)], ['coe', scalarFile(() => 0)], ...extra])];
  const blob = opts.blob ?? makeBytes(100_000);
  const root = staticDirectory([
    ['done', controlFile(() => { done++; })],
    ['task-100', task(100, [fd(3, [['f_pos', shared]])])],
    ['task-101', task(101, [fd(0, [['f_pos', shared]]), fd(1, [])])],
    ['files', lazyDir('files', () => [['1', staticDirectory([['f_pos', shared], ['f_flags', scalarFile(() => 0o2)]])]])],
    ['mem', blobFile(blob.length, (off, len) => [blob.subarray(off, off + (len >> 1)), blob.subarray(off + (len >> 1), off + len)])],
  ]);
  const superblock = new Superblock(root, { time: TOY_TIME });
  superblock.link(shared, 3);
  return { root, superblock, shared, doneCount: () => done, built };
}

/** A fresh temp directory (removed by the returned cleanup). */
export function makeTempDir(prefix = 'crfsfs-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Mounts `tree` at a temp dir; the returned dispose() unmounts and removes it. */
export async function mountToy(tree: ToyTree, extra: MountOptions = {}): Promise<{ m: Mounted; tmp: string; dispose: () => Promise<void> }> {
  const { dir, cleanup } = makeTempDir();
  const m = await mountTree(tree.root, path.join(dir, 'mnt'), {
    superblock: tree.superblock, registryDir: path.join(dir, 'registry'), ...extra,
  });
  return { m, tmp: dir, dispose: async () => { try { await m.unmount(); } finally { cleanup(); } } };
}

export interface RunResult { code: number; stdout: string; stderr: string }

/** Runs a command asynchronously (never sync: this process serves the mount). Never rejects on exit status. */
export function run(cmd: string, args: string[], opts: ExecFileOptions = {}): Promise<RunResult> {
  return new Promise(resolve => {
    execFile(cmd, args, { maxBuffer: 256 << 20, encoding: 'utf8', ...opts }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Runs `script` with bash -c. */
export function sh(script: string, opts: ExecFileOptions = {}): Promise<RunResult> {
  return run('bash', ['-c', script], opts);
}

/**
 * Writes the tree as the node model says it is (in-process, no FUSE) into a real directory:
 * same bytes, modes, times, and a hard link for each later place of an inode. The reference that
 * the mount, read by real tools, must equal. Directory times are set last, deepest first.
 */
export async function writeModelCopy(sb: Superblock, dest: string): Promise<void> {
  const fsp = (await import('node:fs')).promises;
  const firstPlace = new Map<number, string>();
  const dirs: string[] = [];
  const walk = async (node: Node, at: string): Promise<void> => {
    for (const { name, node: child } of sb.list(node)) {
      const p = path.join(at, name);
      const ino = sb.inodeOf(child);
      if (child.isDirectory) {
        await fsp.mkdir(p, { mode: 0o700 });
        await walk(child, p);
        dirs.push(p);
        await fsp.chmod(p, child.mode & 0o7777);
        continue;
      }
      const seen = firstPlace.get(ino);
      if (seen !== undefined) { await fsp.link(seen, p); continue; }
      firstPlace.set(ino, p);
      const buf = Buffer.alloc(child.size());
      child.readInto(buf, 0, buf.length);
      await fsp.writeFile(p, buf);
      await fsp.chmod(p, child.mode & 0o7777);
      await fsp.utimes(p, sb.timeMs / 1000, sb.timeMs / 1000);
    }
  };
  await walk(sb.root, dest);
  for (const d of dirs) await fsp.utimes(d, sb.timeMs / 1000, sb.timeMs / 1000);
  await fsp.chmod(dest, sb.root.mode & 0o7777);
  await fsp.utimes(dest, sb.timeMs / 1000, sb.timeMs / 1000);
}
