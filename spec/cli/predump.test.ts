// `crfs run --pre-dump-at M --pre-dump-image P --checkpoint-at N --image F`: an incremental push checkpoint, restarted with --parent P.
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXAMPLES_DIR, RunOutcome, makeTempDir, runCrfs } from '../examples/harness';
import { CutRng, SEED } from '../restart/harness';

const dir = makeTempDir('predump-cli');
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));

const text = (b: Buffer): string => b.toString('latin1');
const file = (name: string): string => path.join(dir, name);

interface Stats { instructions: number; exit: number }

async function uninterrupted(prog: string, args: string[]): Promise<{ r: RunOutcome; instructions: number }> {
  const stats = file(`${prog}-stats.json`);
  const r = await runCrfs(['run', '--stats', stats, path.join(EXAMPLES_DIR, prog), ...args]);
  return { r, instructions: (JSON.parse(fs.readFileSync(stats, 'utf8')) as Stats).instructions };
}

for (const [prog, args] of [['bigmem', []], ['pipeline', ['3000', '/tmp/predump.out']]] as const) {
  test(`${prog}: run to N with a pre-dump at M, then restart F --parent P, prints what one run prints`, async (t) => {
    const base = await uninterrupted(prog, [...args]);
    t.true(base.instructions > 100, 'the reference ran');
    const rng = new CutRng(SEED, `predump-${prog}`);
    // bigmem writes its 64 MiB in its first ~30% of instructions: both cuts after that, so the child is small.
    const lo = prog === 'bigmem' ? Math.floor(base.instructions / 3) : 0;
    const cut = (): number => lo + rng.cut(base.instructions - lo);
    let [m, n] = [cut(), cut()].sort((x, y) => x - y);
    if (m === n) n = m + 1;
    const why = `[CRFS_SEED=${SEED} ${prog} pre-dump ${m} checkpoint ${n}]`;
    const pre = file(`${prog}-pre.img`);
    const img = file(`${prog}-child.img`);
    const report = file(`${prog}-report.json`);
    const first = await runCrfs(['run', '--pre-dump-at', String(m), '--pre-dump-image', pre, '--checkpoint-at', String(n), '--image', img,
      '--report', report, path.join(EXAMPLES_DIR, prog), ...args]);
    t.is(first.status, 0, `${text(first.stderr)} ${why}`);
    const rep = JSON.parse(fs.readFileSync(report, 'utf8')) as { id: number; pre_dump: { id: number; image: string; bytes: number } };
    t.is(rep.pre_dump.image, pre);
    t.is(rep.pre_dump.bytes, fs.statSync(pre).size);
    t.true(rep.id > rep.pre_dump.id);

    const second = await runCrfs(['restart', img, '--parent', pre]);
    t.is(second.status, base.r.status, `${text(second.stderr)} ${why}`);
    t.is(text(first.stdout) + text(second.stdout), text(base.r.stdout), why);

    const alone = await runCrfs(['restart', img]);
    t.is(alone.status, 1);
    t.regex(text(alone.stderr), new RegExp(`^crfs: restart: image: record 'parent' at offset \\d+: parent checkpoint ${rep.pre_dump.id} is not among the 0 parent image\\(s\\) given\\n$`));

    if (prog === 'bigmem') {
      // bigmem's arrays are written once early on: most of them are unchanged between the cuts.
      const full = file('bigmem-full.img');
      const whole = await runCrfs(['run', '--checkpoint-at', String(n), '--image', full, path.join(EXAMPLES_DIR, prog)]);
      t.is(whole.status, 0, text(whole.stderr));
      t.true(fs.statSync(img).size < fs.statSync(full).size, `child ${fs.statSync(img).size} bytes, complete ${fs.statSync(full).size} ${why}`);
    }
  });
}

test('usage errors are one line, exit 2, and run nothing', async (t) => {
  const elf = path.join(EXAMPLES_DIR, 'hello');
  const cases: [string[], RegExp][] = [
    [['--pre-dump-at', '10', '--checkpoint-at', '100', '--image', file('u.img')], /--pre-dump-at needs --pre-dump-image FILE/],
    [['--pre-dump-at', '100', '--pre-dump-image', file('u.pre'), '--checkpoint-at', '100', '--image', file('u.img')], /--pre-dump-at 100 must be below --checkpoint-at 100/],
    [['--pre-dump-at', '10', '--pre-dump-image', file('u.pre')], /--pre-dump-at needs --checkpoint-at N/],
    [['--pre-dump-image', file('u.pre'), '--checkpoint-at', '100', '--image', file('u.img')], /--pre-dump-image needs --pre-dump-at M/],
    [['--pre-dump-at', '10', '--pre-dump-image', file('u.pre'), '--checkpoint-at', '100', '--mount', file('u.mnt')], /--pre-dump-at goes with --image/],
    [['--pre-dump-at', 'x', '--pre-dump-image', file('u.pre'), '--checkpoint-at', '100', '--image', file('u.img')], /--pre-dump-at: 'x' is not an instruction count/],
  ];
  for (const [opts, msg] of cases) {
    const r = await runCrfs(['run', ...opts, elf]);
    t.is(r.status, 2, opts.join(' '));
    t.regex(text(r.stderr), /^crfs: [^\n]+\n$/, opts.join(' '));
    t.regex(text(r.stderr), msg, opts.join(' '));
    t.is(r.stdout.length, 0, opts.join(' '));
  }
});

test('a program that ends before the pre-dump leaves no image files', async (t) => {
  const pre = file('short.pre');
  const img = file('short.img');
  const r = await runCrfs(['run', '--pre-dump-at', '900000000000', '--pre-dump-image', pre, '--checkpoint-at', '900000000001', '--image', img,
    path.join(EXAMPLES_DIR, 'hello')]);
  t.is(r.status, 0);
  t.regex(text(r.stderr), /before the checkpoint point; no image written/);
  t.false(fs.existsSync(pre));
  t.false(fs.existsSync(img));
});
