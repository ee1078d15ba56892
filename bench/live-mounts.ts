// Timing live checkpoint mounts and their trivial yardstick, as seen from a child process.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LiveCheckpoint, LiveMode, startLiveCheckpoint } from '../lib/crfs/live/live-checkpoint';
import type { Node } from '../lib/crfs/fs/node';
import type { Superblock } from '../lib/crfs/fs/superblock';
import type { Container } from './guest';
import { nowNs, HostProbe } from './host-probe';
import { mountTrivial, TrivialMount, TrivialOptions, TrivialTree } from './trivial-fs';

export interface ScratchDir {
  readonly path: string;
  /** Lazily unmounts anything still mounted below it (never touching a mount synchronously), then removes it. */
  remove(): Promise<void>;
}

/** A fresh directory for mount points under the system's temp dir. */
export function scratchDir(prefix: string): ScratchDir {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return {
    path: dir,
    async remove(): Promise<void> {
      const left = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
        .map((l) => l.split(' ')[4]).filter((m): m is string => m !== undefined && m.startsWith(`${dir}/`));
      for (const m of left) await new Promise<void>((resolve) => execFile('fusermount', ['-uz', m], () => resolve()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface MountTiming {
  /** startLiveCheckpoint call (or trivial mount call) to the first successful stat from the probe child. */
  visibleMs: number;
  /** The report's own numbers (0 for the trivial fs). */
  mountMs: number;
  downtimeMs: number;
  bytes: number;
}

/**
 * Takes a live checkpoint of `c` at `mount` and times it until `mount/done` is visible to the probe
 * child; resolves with the checkpoint still mounted (the caller ends it).
 */
export async function timedLiveCheckpoint(
  c: Container, mode: LiveMode, mount: string, probe: HostProbe, parent: LiveCheckpoint | null = null, serve: 'here' | 'process' = 'here',
): Promise<{ lc: LiveCheckpoint; timing: MountTiming }> {
  const t0 = nowNs();
  const seen = probe.when(path.join(mount, 'done'));
  const lc = await startLiveCheckpoint(c.k, { mount, mode, parent, serve });
  const at = await seen;
  const r = lc.report;
  return { lc, timing: { visibleMs: Number(at - t0) / 1e6, mountMs: r.mount_ms, downtimeMs: r.downtime_ms, bytes: r.bytes } };
}

/** Ends a live checkpoint as `echo 1 > done` would and waits until it is unmounted. */
export async function endLive(lc: LiveCheckpoint): Promise<void> {
  lc.end('done');
  await lc.ended;
}

/** Mounts `tree` on the trivial fs and times it until `probePath` (inside it) is visible to the probe. */
export async function timedTrivialMount(
  tree: TrivialTree, mount: string, probePath: string, probe: HostProbe, opts: TrivialOptions = {},
): Promise<{ m: TrivialMount; visibleMs: number }> {
  const t0 = nowNs();
  const seen = probe.when(path.join(mount, probePath));
  const m = await mountTrivial(tree, mount, opts);
  const at = await seen;
  return { m, visibleMs: Number(at - t0) / 1e6 };
}

export interface Mirror {
  readonly tree: TrivialTree;
  readonly files: number;
  readonly dirs: number;
  readonly bytes: number;
}

/**
 * The same paths and file sizes as a mounted checkpoint, for the trivial fs: walked in-process
 * (never through the mount), hard links as separate files. The contents are one filled buffer: not
 * zeros, since an untouched zero buffer is the kernel's one zero page, which copies from cache.
 */
export function mirrorOf(served: Superblock | null): Mirror {
  if (served === null) throw new Error('mirrorOf: the checkpoint is served by another process');
  const sb = served;
  const dirs: string[] = ['/'];
  const sizes = new Map<string, number>();
  let bytes = 0, biggest = 0;
  const walk = (dir: Node, at: string): void => {
    for (const { name, node } of sb.list(dir)) {
      const p = at === '/' ? `/${name}` : `${at}/${name}`;
      if (node.isDirectory) {
        dirs.push(p);
        walk(node, p);
      } else {
        const n = node.size();
        sizes.set(p, n);
        bytes += n;
        biggest = Math.max(biggest, n);
      }
    }
  };
  walk(sb.root, '/');
  const filler = Buffer.alloc(biggest, 0x5a);
  const files = new Map<string, Uint8Array>();
  for (const [p, n] of sizes) files.set(p, filler.subarray(0, n));
  return { tree: { dirs, files }, files: files.size, dirs: dirs.length, bytes };
}

/** "12.3 ms" */
export const fmtMs = (ms: number): string => `${ms < 10 ? ms.toFixed(1) : ms.toFixed(0)} ms`;

/** "123 MB/s" (10^6 bytes) */
export const fmtRate = (bytes: number, ms: number): string => `${(bytes / ms / 1e3).toFixed(0)} MB/s`;

/** The target line every table ends with. */
export const targetLine = (what: string, met: boolean): string => `- target (${what}): ${met ? 'met' : 'NOT met'}`;
