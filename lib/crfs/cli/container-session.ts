// One container's life under `crfs run` or `crfs restart`: run to the end (or to a checkpoint), then stats and exports.
import * as fs from 'node:fs';
import { Logger } from 'pino';
import type { Kernel } from '../../emukernel/kernel';
import type { CheckpointPlan } from './checkpoint-options';
import { CliError, describeError } from './errors';
import { exportRootTo } from './export-root';
import type { LiveReport } from '../live/live-checkpoint';
import { CheckpointReport, PushOutcome, armPushCheckpoint } from './push-checkpoint';

export interface SessionOptions {
  plan: CheckpointPlan | null;
  stats?: string;
  exportRoot?: string;
  /** For the stats file: what was started (the ELF, or the image restarted from) and its argv. */
  program: string;
  argv: string[];
}

/** What `--stats FILE` holds; `instructions` and `exit` are the documented keys, the rest is informative. */
export interface RunStats {
  instructions: number;
  exit: number;
  /** The signal that killed init (e.g. "SIGSEGV"), or null when it exited (or was stopped by --then stop). */
  signal: string | null;
  wall_ms: number;
  instructions_per_second: number;
  program: string;
  argv: string[];
  /** The push checkpoint taken during the run, or null. */
  checkpoint: CheckpointReport | LiveReport | null;
}

/** Names for 128+N statuses in the stats file (Linux numbering, asm-generic/signal.h). */
const SIGNAL_NAMES = [
  '', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL', 'SIGUSR1',
  'SIGSEGV', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT', 'SIGCHLD', 'SIGCONT', 'SIGSTOP', 'SIGTSTP',
  'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR', 'SIGSYS',
];

function writeJson(option: string, file: string, value: unknown, status: number): void {
  try {
    fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
  } catch (e) {
    throw new CliError(`${option} ${file}: cannot write: ${describeError(e)}`, status || 1);
  }
}

/**
 * Runs the container of `k` (its init already in place: spawned or restored) to its end with this
 * process's stdio, checkpointing it on the way when `opts.plan` says so. Resolves with the status crfs
 * exits with: init's (128 + signal if killed), or 0 after `--then stop` wrote its image. A program that
 * ends before the checkpoint point gets one stderr line and its own status (the empty image file is
 * removed). Throws CliError when the stats, report or export cannot be written.
 */
export async function runSession(k: Kernel, opts: SessionOptions, log: Logger): Promise<number> {
  const plan = opts.plan;
  let outcome: (() => PushOutcome) | null = null;
  let settled: () => Promise<void> = async () => undefined;
  if (plan?.image != null) outcome = armPushCheckpoint(k, { ...plan, image: plan.image });
  else if (plan?.mount != null) {
    const arm = (await import('./mount-checkpoint')).armMountCheckpoint(k, { ...plan, mount: plan.mount }, plan.mode);
    outcome = arm.outcome;
    settled = arm.settled;
  }
  const started = process.hrtime.bigint();
  const result = await k.runToCompletion();
  // A copy-mode mount outlives the program: crfs ends when the checkpoint does.
  await settled();
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const done = outcome?.() ?? { state: 'pending' as const };
  const report = done.state === 'taken' ? done.report : null;
  const stopped = report !== null && report.then === 'stop';
  const status = stopped ? 0 : result.status;
  log.debug({ status: result.status, instructions: result.instructions, wallMs, checkpoint: done.state }, 'container finished');
  if (plan && done.state === 'pending') {
    process.stderr.write(
      `crfs: --checkpoint-at ${plan.at}: the program ended after ${result.instructions} instructions, before the checkpoint point; ${plan.image !== null ? 'no image written' : 'nothing mounted'}\n`,
    );
    if (plan.image !== null) fs.rmSync(plan.image, { force: true });
  }
  if (plan?.report && report) writeJson('--report', plan.report, report, status);
  if (opts.stats !== undefined) {
    const instructions = stopped ? report.instructions : result.instructions;
    const stats: RunStats = {
      instructions,
      exit: status,
      signal: !stopped && result.status > 128 ? (SIGNAL_NAMES[result.status - 128] ?? `signal ${result.status - 128}`) : null,
      wall_ms: Math.round(wallMs * 1000) / 1000,
      instructions_per_second: wallMs > 0 ? Math.round(instructions / (wallMs / 1000)) : 0,
      program: opts.program,
      argv: opts.argv,
      checkpoint: report,
    };
    writeJson('--stats', opts.stats, stats, status);
  }
  // A container ended by --then stop did not end on its own: there is no final root to show.
  if (opts.exportRoot !== undefined && !stopped) {
    try {
      exportRootTo(k.rootfs, opts.exportRoot);
    } catch (e) {
      throw new CliError(`--export-root ${opts.exportRoot}: ${describeError(e)}`, status || 1);
    }
  }
  return status;
}
