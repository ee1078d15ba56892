// Checkpoint-anywhere: for every example, output up to a random cut + output of the restart = the uninterrupted run.
import test, { ExecutionContext } from 'ava';
import * as fs from 'node:fs';
import { recordOffsets } from '../image/image-bytes';
import type { RunOutcome } from '../examples/harness';
import {
  AnywhereCase, CHAINS, CUTS, CutRng, EndState, SEED, baseline, crfs, loadAnywhereCases, removeTmpRoot, reproduce,
  restartWithCheckpoint, runToEnd, runWithCheckpoint, tmpPath,
} from './harness';

test.after.always(removeTmpRoot);

const cases = loadAnywhereCases();

/** Bytes as latin1 text: one character per byte, so t.is shows a readable diff and still compares exactly. */
const bytes = (b: Buffer): string => b.toString('latin1');

/** The uninterrupted run, which every comparison needs; fails the test when it did not even run. */
async function baselineFor(t: ExecutionContext, c: AnywhereCase): Promise<EndState> {
  const base = await baseline(c);
  if (base.instructions <= 1) t.fail(`${c.name}: the uninterrupted run failed (status ${base.status}): ${base.stderr.toString()}`);
  return base;
}

/** A `--then stop` run: exit 0, nothing on stderr but the program's own. */
function assertStopped(t: ExecutionContext, r: RunOutcome, where: string): void {
  t.is(r.status, 0, `${where}: the checkpointing run exits 0; stderr: ${r.stderr.toString()}`);
  t.notRegex(r.stderr.toString(), /crfs:/, `${where}: no crfs diagnostic: ${r.stderr.toString()}`);
}

/** The pieces of an interrupted run, joined, against the uninterrupted one. */
function assertSameEnd(t: ExecutionContext, base: EndState, parts: RunOutcome[], last: EndState, where: string): void {
  t.is(bytes(Buffer.concat(parts.map((p) => p.stdout))), bytes(base.stdout), `${where}: stdout of the pieces joined`);
  t.is(bytes(Buffer.concat(parts.map((p) => p.stderr))), bytes(base.stderr), `${where}: stderr of the pieces joined`);
  t.is(last.status, base.status, `${where}: exit status of the last restart; stderr: ${last.stderr.toString()}`);
  t.is(last.instructions, base.instructions, `${where}: instructions retired in all`);
  t.deepEqual(last.root, base.root, `${where}: the final root`);
}

/** Where two images first differ, as "offset N in the record at M". */
function firstDifference(a: Buffer, b: Buffer): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const recs = recordOffsets(a).filter((o) => o <= i);
  return `first difference at byte ${i} (record header at ${recs[recs.length - 1] ?? 0}); sizes ${a.length} and ${b.length}`;
}

for (const c of cases) {
  const rng = new CutRng(SEED, c.name);
  const cutFractions = Array.from({ length: CUTS }, () => rng.next());
  const chainFractions = Array.from({ length: CHAINS }, () => [rng.next(), rng.next()].sort((x, y) => x - y));
  const sameCut = rng.next();
  const continueCut = rng.next();

  cutFractions.forEach((u, i) => {
    test(`${c.name}: random cut ${i + 1} of ${CUTS}`, async (t) => {
      const base = await baselineFor(t, c);
      const cut = 1 + Math.floor(u * (base.instructions - 1));
      const where = reproduce(c, `cut ${cut} of ${base.instructions}`);
      const img = tmpPath(`${c.name}.img`);
      const a = await runWithCheckpoint(c, cut, img);
      assertStopped(t, a, where);
      const b = await runToEnd(c, ['restart', img]);
      assertSameEnd(t, base, [a, b], b, where);
      fs.rmSync(img, { force: true });
    });
  });

  chainFractions.forEach(([u1, u2], i) => {
    test(`${c.name}: chain ${i + 1} of ${CHAINS} (cut, restart and cut again, restart)`, async (t) => {
      const base = await baselineFor(t, c);
      const c1 = 1 + Math.floor(u1 * (base.instructions - 1));
      const c2 = 1 + Math.floor(u2 * (base.instructions - 1));
      const where = reproduce(c, `chain cuts ${c1} then ${c2} of ${base.instructions}`);
      const img1 = tmpPath(`${c.name}.1.img`), img2 = tmpPath(`${c.name}.2.img`);
      const a = await runWithCheckpoint(c, c1, img1);
      assertStopped(t, a, `${where} first run`);
      const b = await restartWithCheckpoint(c, img1, c2, img2);
      assertStopped(t, b, `${where} first restart`);
      const last = await runToEnd(c, ['restart', img2]);
      assertSameEnd(t, base, [a, b, last], last, where);
      fs.rmSync(img1, { force: true });
      fs.rmSync(img2, { force: true });
    });
  });

  test(`${c.name}: the same cut twice gives the same image, byte for byte`, async (t) => {
    const base = await baselineFor(t, c);
    const cut = 1 + Math.floor(sameCut * (base.instructions - 1));
    const where = reproduce(c, `cut ${cut}`);
    const img1 = tmpPath(`${c.name}.same1.img`), img2 = tmpPath(`${c.name}.same2.img`);
    const [a, b] = await Promise.all([runWithCheckpoint(c, cut, img1), runWithCheckpoint(c, cut, img2)]);
    assertStopped(t, a, where);
    assertStopped(t, b, where);
    const x = fs.readFileSync(img1), y = fs.readFileSync(img2);
    t.true(x.length > 0, `${where}: an image was written`);
    t.true(x.equals(y), `${where}: ${firstDifference(x, y)}`);
    t.is(bytes(a.stdout), bytes(b.stdout), `${where}: the output before the cut`);
    fs.rmSync(img1, { force: true });
    fs.rmSync(img2, { force: true });
  });

  test(`${c.name}: --then continue checkpoints, runs on to the same end and reports the checkpoint`, async (t) => {
    const base = await baselineFor(t, c);
    const cut = 1 + Math.floor(continueCut * (base.instructions - 1));
    const where = reproduce(c, `cut ${cut} --then continue`);
    const img = tmpPath(`${c.name}.cont.img`), rep = tmpPath(`${c.name}.report.json`);
    const r = await runToEnd(c, ['run', '--checkpoint-at', String(cut), '--image', img, '--then', 'continue', '--report', rep, c.program, ...c.args]);
    assertSameEnd(t, base, [r.outcome], r, where);
    const report = JSON.parse(fs.readFileSync(rep, 'utf8')) as Record<string, unknown>;
    t.is(report.id, 1, where);
    t.is(report.mount, null, where);
    t.is(report.mode, 'push', where);
    t.is(report.bytes, fs.statSync(img).size, `${where}: report bytes = image size`);
    t.true(typeof report.downtime_ms === 'number' && report.downtime_ms >= 0, `${where}: downtime_ms ${String(report.downtime_ms)}`);
    t.true(typeof report.instructions === 'number' && report.instructions >= cut && report.instructions <= base.instructions,
      `${where}: cut point ${String(report.instructions)}`);
    // The image taken on the way restarts to the same end as well.
    const b = await runToEnd(c, ['restart', img]);
    t.is(bytes(Buffer.concat([base.stdout.subarray(0, base.stdout.length - b.stdout.length), b.stdout])), bytes(base.stdout),
      `${where}: the restart's output is the tail of the uninterrupted output`);
    t.is(b.status, base.status, where);
    t.is(b.instructions, base.instructions, where);
    fs.rmSync(img, { force: true });
    fs.rmSync(rep, { force: true });
  });
}

test('a checkpoint point past the end: one line says so, the program ends with its own status, no image is left', async (t) => {
  const c = cases.find((x) => x.name === 'segv') ?? cases[0];
  const base = await baselineFor(t, c);
  const img = tmpPath('past-end.img');
  const r = await crfs(c, ['run', '--checkpoint-at', String(base.instructions * 10), '--image', img, c.program, ...c.args]);
  t.is(r.status, base.status);
  t.is(bytes(r.stdout), bytes(base.stdout));
  const err = r.stderr.toString().replace(bytes(base.stderr), '');
  t.regex(err, /^crfs: --checkpoint-at \d+: the program ended after \d+ instructions[^\n]*\n$/);
  t.false(fs.existsSync(img), 'no empty image file is left behind');
});
