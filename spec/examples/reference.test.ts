// Every example under `crfs run` gives the same stdout, stderr and exit status as under qemu-riscv64.
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ExampleCase, expandArgs, loadExampleCases, usesTempDir } from './cases';
import {
  REPO_ROOT, RunOutcome, createLimiter, hasRiscvBinfmt, makeTempDir, runCrfs, runQemu,
} from './harness';

const cases = loadExampleCases();
const limit = createLimiter(2);

/** Exit statuses the examples must have under the reference (Linux: 128 + the fatal signal); others exit 0. */
const EXPECTED_REFERENCE_STATUS: Record<string, number> = {
  segv: 128 + 11, // SIGSEGV for a store to an unmapped page
  'amo-misaligned': 128 + 7, // SIGBUS (BUS_ADRALN): Linux does not emulate misaligned AMOs
};

/** The exec example's reference needs binfmt_misc to hand the exec'd riscv64 binary back to qemu. */
function needsBinfmt(c: ExampleCase): boolean {
  return c.name === 'exec';
}

interface Prepared {
  args: string[];
  tmpDir: string | null;
  reference: Promise<RunOutcome>;
}

const prepared = new Map<string, Prepared>();

/** Makes the case's scratch directory and starts its qemu run once; both tests of the case share it. */
function prepareCase(c: ExampleCase): Prepared {
  let p = prepared.get(c.name);
  if (p === undefined) {
    const tmpDir = usesTempDir(c) ? makeTempDir(`ref-${c.name}`) : null;
    const args = expandArgs(c, tmpDir ?? '');
    p = { args, tmpDir, reference: limit(() => runQemu(c.program, args)) };
    prepared.set(c.name, p);
  }
  return p;
}

test.after.always(() => {
  for (const p of prepared.values()) if (p.tmpDir !== null) fs.rmSync(p.tmpDir, { recursive: true, force: true });
});

test('every example program in the table is built', (t) => {
  const missing = cases.filter((c) => !fs.existsSync(path.join(REPO_ROOT, c.program))).map((c) => c.program);
  t.deepEqual(missing, [], 'run `make examples`');
  const sources = fs.readdirSync(path.join(REPO_ROOT, 'examples')).filter((f) => f.endsWith('.c')).map((f) => f.slice(0, -2));
  const listed = new Set(cases.map((c) => path.basename(c.program)));
  t.deepEqual(sources.filter((s) => !listed.has(s)), [], 'every examples/*.c has a line in examples/cases.tsv');
});

for (const c of cases) {
  const maybe = needsBinfmt(c) && !hasRiscvBinfmt() ? test.skip : test;

  maybe(`${c.name}: the qemu-riscv64 reference run checks itself`, async (t) => {
    const ref = await prepareCase(c).reference;
    t.is(ref.status, EXPECTED_REFERENCE_STATUS[c.name] ?? 0, `status; stderr: ${ref.stderr.toString()}`);
    t.is(ref.stderr.toString(), '', 'stderr');
    t.true(ref.stdout.length > 0, 'the example prints something to compare');
  });

  maybe(`${c.name}: crfs run matches qemu-riscv64 byte for byte`, async (t) => {
    const p = prepareCase(c);
    const ref = await p.reference;
    if (p.tmpDir !== null) t.deepEqual(fs.readdirSync(p.tmpDir), [], 'the reference run cleaned up after itself');
    const got = await limit(() => runCrfs(['run', c.program, ...p.args]));
    // One comparison of all three, so a failure shows every difference at once.
    const view = (r: RunOutcome) => ({ status: r.status, stdout: r.stdout.toString('latin1'), stderr: r.stderr.toString('latin1') });
    t.deepEqual(view(got), view(ref), 'crfs run (actual) versus qemu-riscv64 (expected)');
    if (p.tmpDir !== null) {
      t.deepEqual(fs.readdirSync(p.tmpDir), [], 'the emulated run wrote to its in-memory root, not the host');
    }
  });
}

/** Runs a case under crfs with --stats; returns stdout and the retired-instruction count. */
async function runWithStats(c: ExampleCase, statsDir: string, tag: string): Promise<{ stdout: string; instructions: unknown; exit: unknown }> {
  const statsFile = path.join(statsDir, `${c.name}-${tag}.json`);
  const got = await limit(() => runCrfs(['run', '--stats', statsFile, c.program, ...expandArgs(c, statsDir)]));
  if (got.status !== 0) throw new Error(`crfs run ${c.program} exited ${got.status}: ${got.stderr.toString()}`);
  const stats: unknown = JSON.parse(fs.readFileSync(statsFile, 'utf8'));
  const rec = (typeof stats === 'object' && stats !== null ? stats : {}) as Record<string, unknown>;
  return { stdout: got.stdout.toString('latin1'), instructions: rec.instructions, exit: rec.exit };
}

for (const name of ['pipeline', 'threads']) {
  test(`${name}: two emulated runs give identical output and retired-instruction counts`, async (t) => {
    const c = cases.find((x) => x.name === name);
    if (c === undefined) return t.fail(`no case '${name}' in examples/cases.tsv`);
    const dir = makeTempDir(`det-${name}`);
    try {
      const [a, b] = await Promise.all([runWithStats(c, dir, 'a'), runWithStats(c, dir, 'b')]);
      t.true(typeof a.instructions === 'number' && a.instructions > 0, `instructions in --stats: ${String(a.instructions)}`);
      t.is(a.exit, 0);
      t.is(a.stdout, b.stdout, 'stdout');
      t.is(a.instructions, b.instructions, 'instructions');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
