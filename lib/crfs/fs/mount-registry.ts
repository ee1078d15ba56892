// Registry of live crfs mounts (pid + path) and the sweeper that clears mounts whose server died.
//
// A FUSE server killed by SIGKILL leaves its mount behind, answering ENOTCONN to everything, until
// someone runs `fusermount -uz`. Each mount writes one small JSON file here; the next crfs command
// calls cleanStaleMounts() and lazily unmounts the entries whose process is gone.
import { execFile } from 'node:child_process';
import { promises as fsp, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

interface MountRecord {
  pid: number;
  /** Process start time (field 22 of /proc/PID/stat), so a reused pid is not mistaken for the owner. */
  start: string;
  path: string;
}

/** Where mounts are recorded: $CRFS_RUNTIME_DIR, $XDG_RUNTIME_DIR/crfs/mounts, /run/crfs/mounts (root), or /tmp. */
export function defaultRegistryDir(): string {
  if (process.env.CRFS_RUNTIME_DIR) return path.join(process.env.CRFS_RUNTIME_DIR, 'mounts');
  if (process.env.XDG_RUNTIME_DIR) return path.join(process.env.XDG_RUNTIME_DIR, 'crfs', 'mounts');
  const uid = process.getuid?.() ?? 0;
  return uid === 0 ? '/run/crfs/mounts' : path.join(os.tmpdir(), `crfs-${uid}`, 'mounts');
}

/** The start time of process `pid`, or undefined if it does not exist. Never throws. */
function readStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parentheses: fields after it start past the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function isAlive(rec: MountRecord): boolean {
  return readStartTime(rec.pid) === rec.start;
}

/**
 * Records a mount of `mountPath` by this process; returns the record's file (pass it to forgetMount).
 * Throws if the registry directory cannot be created or written.
 */
export async function recordMount(registryDir: string, mountPath: string): Promise<string> {
  await fsp.mkdir(registryDir, { recursive: true, mode: 0o700 });
  const rec: MountRecord = { pid: process.pid, start: readStartTime(process.pid) ?? '', path: mountPath };
  const name = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}.json`;
  const file = path.join(registryDir, name);
  await fsp.writeFile(file, JSON.stringify(rec), { mode: 0o600 });
  return file;
}

/** Removes a record written by recordMount; a missing record is not an error. */
export async function forgetMount(recordFile: string): Promise<void> {
  await fsp.rm(recordFile, { force: true });
}

/** Decodes the octal escapes (\040 for space …) the kernel uses in /proc/self/mounts. */
function decodeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Mount points of FUSE filesystems currently mounted (as seen by this process). Never throws. */
export async function listFuseMounts(): Promise<Set<string>> {
  const out = new Set<string>();
  let text = '';
  try { text = await fsp.readFile('/proc/self/mounts', 'utf8'); } catch { return out; }
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f.length > 2 && f[2].startsWith('fuse')) out.add(decodeMountField(f[1]));
  }
  return out;
}

/** Runs `fusermount -uz path` asynchronously; resolves true if it succeeded. Never rejects. */
export function lazyUnmount(mountPath: string): Promise<boolean> {
  return new Promise(resolve => {
    execFile('fusermount', ['-uz', mountPath], err => resolve(err === null));
  });
}

async function readRecord(file: string): Promise<MountRecord | undefined> {
  try {
    const v: unknown = JSON.parse(await fsp.readFile(file, 'utf8'));
    if (typeof v !== 'object' || v === null) return undefined;
    const r = v as Record<string, unknown>;
    if (typeof r.pid !== 'number' || typeof r.path !== 'string' || typeof r.start !== 'string') return undefined;
    return { pid: r.pid, start: r.start, path: r.path };
  } catch {
    return undefined;
  }
}

/**
 * Unmounts (`fusermount -uz`) every recorded mount whose serving process is dead and removes its
 * record; a path that a live recorded process also mounts is left alone. Resolves to the paths
 * unmounted. Unreadable records are removed. Never rejects (a missing registry means no mounts).
 */
export async function cleanStaleMounts(registryDir: string = defaultRegistryDir()): Promise<string[]> {
  let names: string[];
  try { names = await fsp.readdir(registryDir); } catch { return []; }
  const records: Array<{ file: string; rec: MountRecord | undefined }> = [];
  for (const n of names) {
    if (!n.endsWith('.json')) continue;
    const file = path.join(registryDir, n);
    records.push({ file, rec: await readRecord(file) });
  }
  const livePaths = new Set(records.filter(r => r.rec && isAlive(r.rec)).map(r => r.rec!.path));
  const mounted = await listFuseMounts();
  const cleaned: string[] = [];
  for (const { file, rec } of records) {
    if (rec && isAlive(rec)) continue;
    if (rec && !livePaths.has(rec.path) && mounted.has(rec.path) && await lazyUnmount(rec.path)) {
      cleaned.push(rec.path);
    }
    await forgetMount(file);
  }
  return cleaned;
}
