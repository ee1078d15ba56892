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

/** Every section, in report order; a new benchmark is one file in bench/sections and one entry here. */
const SECTIONS: BenchSection[] = [throughputSection, pushSection, liveMountSection, liveTasksSection, liveCopySection];

/** Runs the sections and writes the report; resolves with the process exit status (1 if any failed). */
async function runBenchmarks(argv: string[]): Promise<number> {
  const quick = argv.includes('--quick');
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
  for (const s of SECTIONS) parts.push(`## ${s.title}`, '', await s.run(ctx));
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
