// Micro-benchmark of crfs's FUSE layer against a trivial fuse-native filesystem: tar c of many small files and of one blob.
// Run: npx tsc -p tsconfig.json && node dist/bench/fuse-tree.js [--dirs N] [--blob-mib M] [--reps R]
//
// Each workload runs on a fresh mount (cold kernel caches) of both filesystems, R times, best time
// kept. "trivial" is hello.c in fuse-native: getattr/readdir/open/read over a prebuilt path map.
// It is measured twice: with fuse-native's defaults, and with the same kernel-side options crfs
// uses (entry/attr timeouts, no per-op timer), which isolates the cost of crfs's own JS layer.
import Fuse from 'fuse-native';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mountTree } from '../lib/crfs/fs/fuse-adapter';
import { blobFile, directory, Node, scalarFile, staticDirectory } from '../lib/crfs/fs/node';

function argValue(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

const DIRS = argValue('--dirs', 1000);
const FILES_PER_DIR = 5;
const BLOB_BYTES = argValue('--blob-mib', 1024) << 20;
const REPS = argValue('--reps', 3);

type Cb = (code: number, ...rest: unknown[]) => void;
const ENOENT = -2;
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : '';
interface Mount { path: string; close(): Promise<void> }

function shell(script: string): Promise<string> {
  return new Promise((resolve, reject) => execFile('bash', ['-c', script], { maxBuffer: 1 << 20 }, (err, out, errOut) =>
    err ? reject(new Error(`${script}: ${errOut}`)) : resolve(out)));
}

/** The small-files workload as plain data: path → contents, dirs in order. */
function smallFiles(): { dirs: string[]; files: Map<string, Buffer> } {
  const dirs: string[] = ['/'];
  const files = new Map<string, Buffer>();
  for (let d = 0; d < DIRS; d++) {
    dirs.push(`/task-${d}`);
    for (let f = 0; f < FILES_PER_DIR; f++) files.set(`/task-${d}/f${f}`, Buffer.from(`${d * 1000 + f}\n`));
  }
  return { dirs, files };
}

const blob = Buffer.alloc(BLOB_BYTES);
for (let i = 0; i < BLOB_BYTES; i += 4096) blob.writeUInt32LE(i >>> 0, i);

/** hello.c over fuse-native: minimal handlers, a prebuilt path map. */
async function mountTrivial(kind: 'small' | 'blob', sameOptions: boolean): Promise<Mount> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'crfs-bench-'));
  const mnt = path.join(dir, 'mnt');
  const t = Date.UTC(2024, 0, 1);
  const files = new Map<string, Buffer>();
  const children = new Map<string, string[]>();
  if (kind === 'blob') { files.set('/mem', blob); children.set('/', ['mem']); } else {
    const s = smallFiles();
    for (const d of s.dirs) children.set(d, []);
    for (const d of s.dirs.slice(1)) children.get('/')!.push(d.slice(1));
    for (const [p, b] of s.files) { files.set(p, b); children.get(p.slice(0, p.lastIndexOf('/')))!.push(p.slice(p.lastIndexOf('/') + 1)); }
  }
  const ops = {
    readdir(p: string, cb: Cb) { const c = children.get(p); if (c) cb(0, c); else cb(ENOENT); },
    getattr(p: string, cb: Cb) {
      if (children.has(p)) return cb(0, { mode: 0o40555, size: 4096, mtime: t, atime: t, ctime: t, nlink: 2 });
      const f = files.get(p);
      if (f) return cb(0, { mode: 0o100444, size: f.length, mtime: t, atime: t, ctime: t, nlink: 1 });
      cb(ENOENT);
    },
    open(_p: string, _flags: number, cb: Cb) { cb(0, 42); },
    read(p: string, _fd: number, buf: Buffer, len: number, pos: number, cb: Cb) {
      const f = files.get(p)!;
      if (pos >= f.length) return cb(0);
      cb(f.copy(buf, 0, pos, Math.min(f.length, pos + len)));
    },
  };
  const opts = sameOptions
    ? { mkdir: true, timeout: false as const, fsname: 'trivial,entry_timeout=60,attr_timeout=60,negative_timeout=60,max_read=131072' }
    : { mkdir: true };
  const fuse = new Fuse(mnt, ops, opts);
  await new Promise<void>((res, rej) => fuse.mount(e => (e ? rej(e) : res())));
  return { path: mnt, close: () => new Promise<void>(res => fuse.unmount(() => { rmSync(dir, { recursive: true, force: true }); res(); })) };
}

async function mountCrfs(kind: 'small' | 'blob'): Promise<Mount> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'crfs-bench-'));
  let root: Node;
  if (kind === 'blob') {
    root = staticDirectory([['mem', blobFile(blob.length, (off, len) => blob.subarray(off, off + len))]]);
  } else {
    const tasks: Array<[string, Node]> = [];
    for (let d = 0; d < DIRS; d++) {
      tasks.push([`task-${d}`, directory(() => {
        const out: Array<[string, Node]> = [];
        for (let f = 0; f < FILES_PER_DIR; f++) out.push([`f${f}`, scalarFile(() => d * 1000 + f)]);
        return out;
      })]);
    }
    root = staticDirectory(tasks);
  }
  const m = await mountTree(root, path.join(dir, 'mnt'), { registryDir: null, time: Date.UTC(2024, 0, 1) });
  return { path: m.path, close: async () => { await m.unmount(); rmSync(dir, { recursive: true, force: true }); } };
}

/** Wall time in ms of `script` (with $M = mount point) on a fresh mount; also its output. */
async function timeOnce(mountFn: () => Promise<Mount>, script: string): Promise<{ ms: number; out: string }> {
  const m = await mountFn();
  try {
    const t0 = process.hrtime.bigint();
    const out = (await shell(script.replace(/\$M/g, m.path))).trim();
    return { ms: Number(process.hrtime.bigint() - t0) / 1e6, out };
  } finally { await m.close(); }
}

// The three filesystems take turns in every repetition, so machine noise hits them alike; best kept.
async function compare(label: string, kind: 'small' | 'blob', script: string, bytesPerRun: number | null): Promise<void> {
  if (ONLY && !label.includes(ONLY)) return;
  const fns = [() => mountCrfs(kind), () => mountTrivial(kind, true), () => mountTrivial(kind, false)];
  const best = [Infinity, Infinity, Infinity];
  const outs = ['', '', ''];
  for (let r = 0; r < REPS; r++) {
    for (let i = 0; i < fns.length; i++) {
      const { ms, out } = await timeOnce(fns[i], script);
      best[i] = Math.min(best[i], ms);
      outs[i] = out;
    }
  }
  const [crfs, same, dflt] = best;
  const rate = (ms: number) => (bytesPerRun ? `${(bytesPerRun / ms / 1e3).toFixed(0)} MB/s` : `${ms.toFixed(0)} ms`);
  const check = outs[0] === outs[1] ? '' : `  OUTPUT DIFFERS: crfs ${outs[0]} trivial ${outs[1]}`;
  process.stdout.write(
    `${label.padEnd(34)} crfs ${rate(crfs).padStart(10)} | trivial(same opts) ${rate(same).padStart(10)} ratio ${(same / crfs).toFixed(2)}x` +
    ` | trivial(defaults) ${rate(dflt).padStart(10)} ratio ${(dflt / crfs).toFixed(2)}x${check}\n`);
}

async function main(): Promise<void> {
  process.stdout.write(`crfs FUSE layer vs trivial fuse-native fs; ${DIRS}x${FILES_PER_DIR} small files, ${BLOB_BYTES >> 20} MiB blob, best of ${REPS}; ratio = trivial time / crfs time (≥ 0.8 is the target)\n`);
  await compare(`tar c | wc -c, ${DIRS * FILES_PER_DIR} small files`, 'small', 'tar cf - -C $M . | wc -c', null);
  await compare(`find -type f, ${DIRS * FILES_PER_DIR} small files`, 'small', 'find $M -type f | wc -l', null);
  await compare(`tar c | wc -c, ${BLOB_BYTES >> 20} MiB blob`, 'blob', 'tar cf - -C $M . | wc -c', BLOB_BYTES);
  await compare(`dd bs=1M, ${BLOB_BYTES >> 20} MiB blob`, 'blob', 'dd if=$M/mem bs=1M status=none | wc -c', BLOB_BYTES);
}

main().catch(err => { process.stderr.write(`${String(err)}\n`); process.exit(1); });
