// Shared by the CLI tests of restart and info: a real pipeline image cut mid-run, one-line error checks, leftovers.
import type { ExecutionContext } from 'ava';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunOutcome } from '../examples/harness';
import { AnywhereCase, EndState, baseline, crfs, loadAnywhereCases, runWithCheckpoint, tmpPath } from './harness';

export interface CutImage {
  c: AnywhereCase;
  base: EndState;
  cut: number;
  file: string;
  bytes: Buffer;
  /** Output of the run up to the cut. */
  before: RunOutcome;
}

const cases = new Map(loadAnywhereCases().map((c) => [c.name, c]));

/** The case named `name` of examples/cases.tsv (as the restart tests run it). */
export function anywhereCase(name: string): AnywhereCase {
  const c = cases.get(name);
  if (!c) throw new Error(`no case ${name} in examples/cases.tsv`);
  return c;
}

const images = new Map<string, Promise<CutImage>>();
/** An image of case `name` cut at `fraction` of its run (once per file). Throws if the checkpoint fails. */
export function cutImage(name: string, fraction: number): Promise<CutImage> {
  const key = `${name}@${fraction}`;
  let p = images.get(key);
  if (!p) {
    p = (async () => {
      const c = anywhereCase(name);
      const base = await baseline(c);
      const cut = Math.max(1, Math.floor(base.instructions * fraction));
      const file = tmpPath(`${name}.fixture.img`);
      const before = await runWithCheckpoint(c, cut, file);
      if (before.status !== 0 || !fs.existsSync(file)) throw new Error(`checkpoint of ${name} at ${cut} failed: ${before.stderr.toString()}`);
      return { c, base, cut, file, bytes: fs.readFileSync(file), before };
    })();
    images.set(key, p);
  }
  return p;
}

/** The one-line `crfs: <command>: image: ... record 'R' at offset N ...` error; returns [R, N] or null. */
export function parseImageErrorLine(stderr: string, command: string): [string, number] | null {
  if (!stderr.startsWith(`crfs: ${command}: image: `) || !/^[^\n]+\n$/.test(stderr)) return null;
  const m = /record '([^']+)' at offset (\d+)/.exec(stderr);
  return m ? [m[1], Number(m[2])] : null;
}

/** Asserts a failure printed exactly one line, no stack trace, with status `status`. */
export function assertOneLine(t: ExecutionContext, r: RunOutcome, status: number, what: string): string {
  const err = r.stderr.toString();
  t.is(r.status, status, `${what}: status; stderr: ${err}`);
  t.regex(err, /^crfs: [^\n]+\n$/, `${what}: exactly one line on stderr`);
  t.notRegex(err, /\n\s+at .+:\d+:\d+/, `${what}: no stack trace`);
  return err;
}

/**
 * FUSE mounts in the host's mount table whose mount point is under `dir` (other test files mount
 * their own checkpoints meanwhile, so only this test's directory is telling).
 */
export function fuseMountsUnder(dir: string): string[] {
  return fs.readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => /\bfuse/.test(l) && (l.split(' ')[1] ?? '').startsWith(dir));
}

/** Host processes whose command line mentions `marker` (a temp path of this test), other than this one. */
export function processesMentioning(marker: string): string[] {
  const out: string[] = [];
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmd.includes(marker)) out.push(`${pid}: ${cmd}`);
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/** A tar holding `file` (made by the host's tar, so the test does not trust our own tar detection). */
export function tarOf(file: string): string {
  const out = tmpPath('image.tar');
  execFileSync('tar', ['cf', out, '-C', path.dirname(file), path.basename(file)]);
  return out;
}

/** `crfs ARGS` from the directory of case `name`. */
export function crfsIn(name: string, args: string[]): Promise<RunOutcome> {
  return crfs(anywhereCase(name), args);
}
