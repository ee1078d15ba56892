// Timing helpers for the benchmarks: wall-clock runs of a command and of `crfs run --stats`.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const CRFS_MAIN = path.join(REPO_ROOT, 'dist', 'lib', 'crfs', 'cli', 'main.js');

export interface TimedRun {
  wallMs: number;
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `cmd args` from the repo root with stdin closed; resolves with its wall time and output. */
export function runTimed(cmd: string, args: string[]): Promise<TimedRun> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
      resolve({ wallMs, status: code ?? (signal !== null ? 128 : 0), stdout, stderr });
    });
  });
}

export interface EmulatedRun extends TimedRun {
  instructions: number;
  /** crfs's own measurement of the run phase (boot and module loading excluded). */
  runMs: number;
}

/**
 * `crfs run --stats` of a program; resolves with the retired-instruction count from the stats file.
 * Rejects when the run fails or writes no usable stats, with crfs's stderr in the message.
 */
export async function runEmulated(program: string, args: string[]): Promise<EmulatedRun> {
  const statsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'crfs-bench-')), 'stats.json');
  try {
    const r = await runTimed(process.execPath, [CRFS_MAIN, 'run', '--stats', statsFile, program, ...args]);
    if (r.status !== 0) throw new Error(`crfs run ${program} exited ${r.status}: ${r.stderr.trim().split('\n')[0] ?? ''}`);
    const stats: unknown = JSON.parse(fs.readFileSync(statsFile, 'utf8'));
    const rec = (typeof stats === 'object' && stats !== null ? stats : {}) as Record<string, unknown>;
    if (typeof rec.instructions !== 'number' || rec.instructions <= 0) throw new Error(`no instruction count in ${statsFile}`);
    const runMs = typeof rec.wall_ms === 'number' ? rec.wall_ms : r.wallMs;
    return { ...r, instructions: rec.instructions, runMs };
  } finally {
    fs.rmSync(path.dirname(statsFile), { recursive: true, force: true });
  }
}

/** Runs `once` `n` times in sequence and returns the run with the smallest wall time. */
export async function bestOf<T extends { wallMs: number }>(n: number, once: () => Promise<T>): Promise<T> {
  let best: T | null = null;
  for (let i = 0; i < n; i++) {
    const r = await once();
    if (best === null || r.wallMs < best.wallMs) best = r;
  }
  if (best === null) throw new Error('bestOf needs at least one run');
  return best;
}

/** Formats instructions per second as "123.4 M/s". */
export function formatRate(instructions: number, ms: number): string {
  return `${(instructions / (ms / 1000) / 1e6).toFixed(1)} M/s`;
}
