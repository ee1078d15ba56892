// Checkpoint-anywhere plumbing: the example runs (small arguments), seeded cut points, uninterrupted baselines, root digests.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ExampleCase, loadExampleCases } from '../examples/cases';
import { REPO_ROOT, RunOutcome, createLimiter, makeTempDir, runCrfs } from '../examples/harness';

/**
 * One example as the restart tests run it: `{tmp}` replaced by a path that only ever exists inside the
 * container, and run from `cwd`, a directory holding only the program (and the programs its arguments
 * name) under the same relative path: crfs imports the program's whole directory into the container, so
 * this keeps every image and exported root small.
 */
export interface AnywhereCase {
  name: string;
  program: string;
  args: string[];
  cwd: string;
}

const tmpRoot = makeTempDir('anywhere');
let tmpSeq = 0;

/**
 * Smaller counts than cases.tsv where the program takes one (README: rounds/items), so a cut costs
 * little; the behaviour exercised (fork, pipes, threads, waits) is the same at any size.
 */
const SMALL_ARGS: Record<string, (args: string[]) => string[]> = {
  compute: () => ['3'],
  mixed: () => ['3'],
  pipeline: (a) => ['300', ...a.slice(1)],
  threads: () => ['300'],
};

/** Copies `rel` (relative to the repository root) to the same relative path under `dir`, mode kept. */
function copyInto(dir: string, rel: string): void {
  const to = path.join(dir, rel);
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(path.join(REPO_ROOT, rel), to);
  fs.chmodSync(to, fs.statSync(path.join(REPO_ROOT, rel)).mode & 0o7777);
}

/** The cases of examples/cases.tsv, ready to run. The {tmp} paths live in the in-memory root, never on the host. */
export function loadAnywhereCases(): AnywhereCase[] {
  return loadExampleCases().map((c: ExampleCase) => {
    const expanded = c.args.map((a) => a.split('{tmp}').join(`/tmp/crfs-anywhere-${c.name}`));
    const args = SMALL_ARGS[c.name]?.(expanded) ?? expanded;
    const cwd = path.join(tmpRoot, `case-${c.name}`);
    copyInto(cwd, c.program);
    for (const a of args) if (a.startsWith('build/examples/') && fs.existsSync(path.join(REPO_ROOT, a))) copyInto(cwd, a);
    return { name: c.name, program: c.program, args, cwd };
  });
}

export const SEED: number = process.env.CRFS_SEED !== undefined ? Number(process.env.CRFS_SEED) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
/** Random cut points per example (`make soak` sets 1000). */
export const CUTS: number = Math.max(1, Number(process.env.CRFS_CUTS ?? 20) | 0);
/** Chains (cut, restart and cut again, restart) per example: a tenth of the cuts, at least two. */
export const CHAINS: number = Math.max(2, Math.ceil(CUTS / 10));

/** How to reproduce a failure: printed in every assertion message. */
export function reproduce(c: AnywhereCase, what: string): string {
  return `[CRFS_SEED=${SEED} ${c.name} ${what}]`;
}

/** A Weyl sequence through murmur3's finaliser: the same seed and stream name give the same cuts everywhere. */
export class CutRng {
  private state: number;
  constructor(seed: number, stream: string) {
    let h = 0x811c9dc5;
    for (let i = 0; i < stream.length; i++) h = Math.imul(h ^ stream.charCodeAt(i), 0x01000193) >>> 0;
    this.state = (seed ^ h) >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return ((z ^ (z >>> 16)) >>> 0) / 2 ** 32;
  }
  /** An integer in [1, total - 1]: a cut strictly inside a run of `total` instructions. */
  cut(total: number): number {
    return 1 + Math.floor(this.next() * Math.max(1, total - 1));
  }
}

/** The emulator is CPU-bound: at most this many crfs processes of this file at once. */
export const limit = createLimiter(Math.max(1, Number(process.env.CRFS_JOBS ?? (os.availableParallelism?.() ?? os.cpus().length))));

/** A fresh path under this file's temp directory (not created). */
export function tmpPath(label: string): string {
  return path.join(tmpRoot, `${label}-${++tmpSeq}`);
}
export function removeTmpRoot(): void {
  fs.rmSync(tmpRoot, { recursive: true, force: true });
}

/** One line per entry below `dir`, sorted: path, type, permission bits, and a content hash or link target. */
export function digestTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const full = path.join(dir, r);
      const st = fs.lstatSync(full);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out.push(`${r} link ${fs.readlinkSync(full)}`);
      else if (st.isDirectory()) {
        out.push(`${r} dir ${mode}`);
        walk(r);
      } else {
        out.push(`${r} file ${mode} ${st.size} ${createHash('sha256').update(fs.readFileSync(full)).digest('hex').slice(0, 16)}`);
      }
    }
  };
  walk('');
  return out;
}

/** What a run that goes to its end leaves: its output, status, retired instructions and final root. */
export interface EndState {
  stdout: Buffer;
  stderr: Buffer;
  status: number;
  instructions: number;
  root: string[];
}

/** `crfs ARGS` from the case's directory, within the process limit. */
export function crfs(c: AnywhereCase, args: string[]): Promise<RunOutcome> {
  return limit(() => runCrfs(args, { cwd: c.cwd }));
}

/** Runs `crfs <args> --stats S --export-root R` (the two options inserted after the subcommand) to its end. */
export async function runToEnd(c: AnywhereCase, args: string[]): Promise<EndState & { outcome: RunOutcome }> {
  const stats = tmpPath('stats.json');
  const root = tmpPath('root');
  const [sub, ...rest] = args;
  const outcome = await crfs(c, [sub, '--stats', stats, '--export-root', root, ...rest]);
  let instructions = -1;
  let tree: string[] = [];
  try {
    instructions = (JSON.parse(fs.readFileSync(stats, 'utf8')) as { instructions: number }).instructions;
    tree = digestTree(root);
  } catch {
    // Left at -1 / empty: the caller's assertions on status and stderr say what went wrong.
  }
  fs.rmSync(stats, { force: true });
  fs.rmSync(root, { recursive: true, force: true });
  return { stdout: outcome.stdout, stderr: outcome.stderr, status: outcome.status, instructions, root: tree, outcome };
}

const baselines = new Map<string, Promise<EndState>>();
/** The uninterrupted run of `c` (computed once per file). */
export function baseline(c: AnywhereCase): Promise<EndState> {
  let b = baselines.get(c.name);
  if (!b) {
    b = runToEnd(c, ['run', c.program, ...c.args]);
    baselines.set(c.name, b);
  }
  return b;
}

/** `crfs run --checkpoint-at cut --image img [extra...] PROGRAM ARGS` (push mode). */
export function runWithCheckpoint(c: AnywhereCase, cut: number, image: string, extra: string[] = []): Promise<RunOutcome> {
  return crfs(c, ['run', '--checkpoint-at', String(cut), '--image', image, ...extra, c.program, ...c.args]);
}

/** `crfs restart --checkpoint-at cut --image next img` (stops after writing `next`). */
export function restartWithCheckpoint(c: AnywhereCase, image: string, cut: number, next: string): Promise<RunOutcome> {
  return crfs(c, ['restart', '--checkpoint-at', String(cut), '--image', next, image]);
}
