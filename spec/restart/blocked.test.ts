// Targeted cuts: a task asleep in read, wait4, futex or nanosleep, or a signal pending, at the checkpoint; the restart still ends the same.
import test, { ExecutionContext } from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TaskDetail } from '../../lib/crfs/cli/info-detail';
import type { InfoJson } from '../../lib/crfs/cli/info';
import { REPO_ROOT, runProcess } from '../examples/harness';
import {
  AnywhereCase, EndState, baseline, crfs, limit, loadAnywhereCases, removeTmpRoot, reproduce, runToEnd, runWithCheckpoint, tmpPath,
} from './harness';
import type { TraceResult } from './trace-child';

test.after.always(removeTmpRoot);

const TRACE_CHILD = path.join(REPO_ROOT, 'dist', 'spec', 'restart', 'trace-child.js');
const cases = new Map(loadAnywhereCases().map((c) => [c.name, c]));

interface Target {
  caseName: string;
  what: string;
  holds(tasks: readonly TaskDetail[]): boolean;
}

const asleepIn = (names: string[]) => (tasks: readonly TaskDetail[]): boolean =>
  tasks.some((t) => t.state === 'interruptible' && t.syscall !== null && names.includes(t.syscall));

const TARGETS: Target[] = [
  { caseName: 'pipeline', what: 'a task asleep in read', holds: asleepIn(['read']) },
  { caseName: 'pipeline', what: 'the parent asleep in wait4', holds: (ts) => ts.some((t) => t.pid === 1 && t.state === 'interruptible' && t.syscall === 'wait4') },
  { caseName: 'threads', what: 'a thread asleep in futex', holds: asleepIn(['futex']) },
  { caseName: 'sleep', what: 'a task asleep in nanosleep', holds: asleepIn(['nanosleep', 'clock_nanosleep']) },
  { caseName: 'signals', what: 'a signal pending', holds: (ts) => ts.some((t) => t.pending.length > 0 || t.shared_pending.length > 0) },
  { caseName: 'signals', what: 'a task asleep in read on a pipe (EINTR / SA_RESTART)', holds: asleepIn(['read']) },
  { caseName: 'signals', what: 'a parent asleep in wait4 or rt_sigsuspend', holds: asleepIn(['wait4', 'rt_sigsuspend']) },
];

/** Distinct cuts kept per target: the one nearest the middle, the first and the last. */
const CUTS_PER_TARGET = 3;

const traces = new Map<string, Promise<TraceResult>>();
/** The trace of `c` (trace-child.ts), once per case. */
function traceOf(c: AnywhereCase): Promise<TraceResult> {
  let p = traces.get(c.name);
  if (!p) {
    p = limit(async () => {
      const out = tmpPath(`${c.name}.trace.json`);
      const r = await runProcess(process.execPath, [TRACE_CHILD, out, c.program, ...c.args], { cwd: c.cwd });
      if (r.status !== 0 || !fs.existsSync(out)) throw new Error(`trace of ${c.name} failed (status ${r.status}): ${r.stderr.toString()}`);
      return JSON.parse(fs.readFileSync(out, 'utf8')) as TraceResult;
    });
    traces.set(c.name, p);
  }
  return p;
}

function pickCuts(cuts: number[], total: number): number[] {
  if (cuts.length === 0) return [];
  const mid = [...cuts].sort((a, b) => Math.abs(a - total / 2) - Math.abs(b - total / 2))[0];
  return [...new Set([mid, cuts[0], cuts[cuts.length - 1]])].slice(0, CUTS_PER_TARGET);
}

async function checkCut(t: ExecutionContext, c: AnywhereCase, target: Target, base: EndState, cut: number): Promise<void> {
  const where = reproduce(c, `cut ${cut} (${target.what})`);
  const img = tmpPath(`${c.name}.blocked.img`);
  const a = await runWithCheckpoint(c, cut, img);
  t.is(a.status, 0, `${where}: checkpointing run; stderr: ${a.stderr.toString()}`);
  const info = await crfs(c, ['info', '--json', img]);
  t.is(info.status, 0, `${where}: crfs info; stderr: ${info.stderr.toString()}`);
  if (info.status === 0) {
    const doc = JSON.parse(info.stdout.toString()) as InfoJson;
    t.true(target.holds(doc.tasks), `${where}: crfs info --json shows ${target.what}: ${JSON.stringify(doc.tasks)}`);
  }
  const b = await runToEnd(c, ['restart', img]);
  t.is(Buffer.concat([a.stdout, b.stdout]).toString('latin1'), base.stdout.toString('latin1'), `${where}: stdout joined`);
  t.is(Buffer.concat([a.stderr, b.stderr]).toString('latin1'), base.stderr.toString('latin1'), `${where}: stderr joined`);
  t.is(b.status, base.status, `${where}: exit status; stderr: ${b.stderr.toString()}`);
  t.is(b.instructions, base.instructions, `${where}: instructions in all`);
  t.deepEqual(b.root, base.root, `${where}: final root`);
  fs.rmSync(img, { force: true });
}

for (const target of TARGETS) {
  const c = cases.get(target.caseName);
  if (!c) continue;
  test(`${c.name}: cuts with ${target.what} restart to the same end`, async (t) => {
    const [trace, base] = await Promise.all([traceOf(c), baseline(c)]);
    t.deepEqual(trace.failures, [], 'in-process checkpoints at the traced cuts');
    t.is(trace.totalWithCheckpoints, trace.total, 'checkpoints taken on the way do not change the run');
    t.is(trace.total, base.instructions, 'the traced run is the run crfs makes');
    const matching = trace.snapshots.filter((s) => target.holds(s.tasks)).map((s) => s.cut);
    t.true(matching.length > 0, `${c.name}: at least one traced cut has ${target.what} (${trace.snapshots.length} snapshots)`);
    await Promise.all(pickCuts(matching, trace.total).map((cut) => checkCut(t, c, target, base, cut)));
  });
}
