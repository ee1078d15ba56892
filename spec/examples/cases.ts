// The example runs shared by the reference test and the demo: examples/cases.tsv, parsed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './harness';

export interface ExampleCase {
  /** Unique name of the run (a program may appear with several argument lists). */
  name: string;
  /** Program path relative to the repo root, e.g. build/examples/hello. */
  program: string;
  /** Arguments, with `{tmp}` still unexpanded. */
  args: string[];
}

export const CASES_FILE = path.join(REPO_ROOT, 'examples', 'cases.tsv');

/** Reads examples/cases.tsv. Throws if a line is malformed or a name repeats: the table is the test plan. */
export function loadExampleCases(file: string = CASES_FILE): ExampleCase[] {
  const cases: ExampleCase[] = [];
  const seen = new Set<string>();
  for (const [i, line] of fs.readFileSync(file, 'utf8').split('\n').entries()) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const [name, prog, rest = ''] = line.split('\t');
    if (!name || !prog) throw new Error(`${file}:${i + 1}: expected NAME<TAB>PROGRAM<TAB>ARGS`);
    if (seen.has(name)) throw new Error(`${file}:${i + 1}: case '${name}' appears twice`);
    seen.add(name);
    cases.push({ name, program: `build/examples/${prog}`, args: rest.split(' ').filter((a) => a !== '') });
  }
  return cases;
}

/** The case's arguments with `{tmp}` replaced by `tmpDir`. */
export function expandArgs(c: ExampleCase, tmpDir: string): string[] {
  return c.args.map((a) => a.split('{tmp}').join(tmpDir));
}

/** True when the case needs a scratch directory. */
export function usesTempDir(c: ExampleCase): boolean {
  return c.args.some((a) => a.includes('{tmp}'));
}
