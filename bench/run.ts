// `make bench`: runs every benchmark section, prints the report and writes it to BENCHMARKS.md.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeMachine, formatMachine } from './machine';
import { REPO_ROOT } from './measure';
import { BenchContext, BenchSection } from './section';
import { throughputSection } from './sections/throughput';
import { pushSection } from './sections/push';
import { liveMountSection } from './sections/live-mount';
import { liveTasksSection } from './sections/live-tasks';
import { liveCopySection } from './sections/live-copy';

/** Every section, in report order, by the name `--only` takes; a new benchmark is one file in bench/sections and one entry here. */
const SECTIONS: Record<string, BenchSection> = {
  throughput: throughputSection,
  push: pushSection,
  'live-mount': liveMountSection,
  'live-tasks': liveTasksSection,
  'live-copy': liveCopySection,
};

/** The sections `--only a,b` names (all without it); an unknown name is an error naming it. */
function chosenSections(argv: string[]): BenchSection[] {
  const i = argv.indexOf('--only');
  if (i < 0) return Object.values(SECTIONS);
  const names = (argv[i + 1] ?? '').split(',').filter((n) => n !== '');
  if (names.length === 0) throw new Error(`--only needs section names: ${Object.keys(SECTIONS).join(', ')}`);
  return names.map((n) => {
    const s = SECTIONS[n];
    if (s === undefined) throw new Error(`--only: no section '${n}' (sections: ${Object.keys(SECTIONS).join(', ')})`);
    return s;
  });
}

/** Runs the sections and writes the report; resolves with the process exit status (1 if any failed). */
async function runBenchmarks(argv: string[]): Promise<number> {
  const quick = argv.includes('--quick');
  const sections = chosenSections(argv);
  const outIdx = argv.indexOf('-o');
  const outFile = outIdx >= 0 && argv[outIdx + 1] !== undefined ? argv[outIdx + 1] : path.join(REPO_ROOT, 'BENCHMARKS.md');
  let failed = false;
  const ctx: BenchContext = {
    quick,
    repeats: quick ? 1 : 3,
    log: (line) => process.stderr.write(`bench: ${line}\n`),
    markFailed: (f) => {
      failed ||= f;
    },
  };
  const parts = [
    '# Benchmarks',
    '',
    `Written by \`make bench\` (bench/run.ts${quick ? ', --quick' : ''}); rerun it rather than editing this file.`,
    '',
    formatMachine(describeMachine(REPO_ROOT)),
  ];
  for (const s of sections) parts.push(`## ${s.title}`, '', await s.run(ctx));
  const report = parts.join('\n');
  fs.writeFileSync(outFile, report);
  process.stdout.write(report);
  process.stderr.write(`bench: wrote ${path.relative(process.cwd(), outFile) || outFile}\n`);
  return failed ? 1 : 0;
}

runBenchmarks(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
