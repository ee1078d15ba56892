// The checkpoint options `crfs run` and `crfs restart` share (--checkpoint-at, --image, --then, --report, ...).
import * as fs from 'node:fs';
import { Command, Option } from 'commander';
import { CliError, EXIT_USAGE, describeError } from './errors';

/** The options as commander hands them over (all strings: validated by parseCheckpointPlan). */
export interface CheckpointCliOptions {
  checkpointAt?: string;
  image?: string;
  mount?: string;
  mode?: string;
  then?: string;
  report?: string;
  exportRoot?: string;
  /** `crfs run` only (addPreDumpOptions). */
  preDumpAt?: string;
  preDumpImage?: string;
}

/** A pre-dump before the checkpoint: a copy-mode capture whose blob the final (incremental) image names as its parent. */
export interface PreDumpPlan {
  /** At the first instruction boundary at or past this count (below CheckpointPlan.at). */
  at: number;
  /** Host file its blob is written to: restart needs it (`--parent FILE`). */
  image: string;
}

/** What to do at the checkpoint point, once validated. */
export interface CheckpointPlan {
  /** Checkpoint at the first instruction boundary where the container has retired at least this many. */
  at: number;
  /** Host file the blob is written to (push mode), or null with --mount. */
  image: string | null;
  /** Directory the checkpoint is mounted at, or null in push mode. */
  mount: string | null;
  /** With mount: lazy (frozen until done) or copy (captured copy-on-write, runs on at once). */
  mode: 'lazy' | 'copy';
  /** stop: end the container once the image is written; continue: thaw it and run on to its end. */
  then: 'stop' | 'continue';
  /** Host file for the JSON report, or null. */
  report: string | null;
  /** With --pre-dump-at (push mode only): the final image is an incremental child of this pre-dump. */
  preDump: PreDumpPlan | null;
}

/** Adds the shared options to `cmd` (the hidden --export-root included) and returns it. */
export function addCheckpointOptions(cmd: Command): Command {
  return cmd
    .option('--checkpoint-at <n>', 'checkpoint once the container has retired N instructions')
    .option('--image <file>', 'with --checkpoint-at: write the checkpoint blob to FILE (push mode)')
    .option('--mount <dir>', 'with --checkpoint-at: mount the checkpoint at DIR; it lasts until 1 is written to DIR/done or DIR is unmounted')
    .addOption(new Option('--mode <mode>', 'with --mount: lazy (default: the tasks stay frozen until done, files generated from them on read) or copy (memory captured copy-on-write, the tasks run on at once)').choices(['lazy', 'copy']))
    .addOption(new Option('--then <what>', 'after writing the image: stop (default) or continue').choices(['stop', 'continue']))
    .option('--report <file>', 'with --checkpoint-at: write JSON about the checkpoint to FILE')
    // For tests: the container's final root filesystem, copied out when it ends.
    .addOption(new Option('--export-root <dir>').hideHelp());
}

/** Adds `crfs run`'s pre-dump options (a restarted container has no use for them yet) and returns `cmd`. */
export function addPreDumpOptions(cmd: Command): Command {
  return cmd
    .option('--pre-dump-at <m>', 'with --checkpoint-at N and --image: take a pre-dump (copy-mode capture) once M < N instructions are retired; '
      + 'the image at N then holds only what changed since (restart it with --parent PREDUMP)')
    .option('--pre-dump-image <file>', 'with --pre-dump-at: write the pre-dump\'s blob to FILE');
}

/** A non-negative decimal instruction count; anything else is a usage error. */
function parseCount(text: string, option = '--checkpoint-at'): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new CliError(`${option}: '${text}' is not an instruction count (a non-negative integer)`, EXIT_USAGE);
  }
  return Number(text);
}

function parsePreDump(o: CheckpointCliOptions, at: number | null): PreDumpPlan | null {
  if (o.preDumpAt === undefined) {
    if (o.preDumpImage !== undefined) throw new CliError('--pre-dump-image needs --pre-dump-at M', EXIT_USAGE);
    return null;
  }
  const m = parseCount(o.preDumpAt, '--pre-dump-at');
  if (at === null) throw new CliError('--pre-dump-at needs --checkpoint-at N (the incremental checkpoint after it)', EXIT_USAGE);
  if (o.mount !== undefined) throw new CliError('--pre-dump-at goes with --image; a mounted checkpoint cannot be incremental here', EXIT_USAGE);
  if (o.preDumpImage === undefined) throw new CliError('--pre-dump-at needs --pre-dump-image FILE (the parent image restart will need)', EXIT_USAGE);
  if (m >= at) throw new CliError(`--pre-dump-at ${m} must be below --checkpoint-at ${at}`, EXIT_USAGE);
  return { at: m, image: o.preDumpImage };
}

/**
 * Validates the checkpoint options: returns the plan, or null when no checkpoint was asked for.
 * Throws CliError (exit 2) for options that do not go together. Touches no file.
 */
export function parseCheckpointPlan(o: CheckpointCliOptions): CheckpointPlan | null {
  if (o.checkpointAt === undefined) {
    parsePreDump(o, null);
    for (const [name, v] of [['--image', o.image], ['--mount', o.mount], ['--then', o.then], ['--report', o.report]] as const) {
      if (v !== undefined) throw new CliError(`${name} needs --checkpoint-at N`, EXIT_USAGE);
    }
    if (o.mode !== undefined) throw new CliError('--mode needs --mount DIR', EXIT_USAGE);
    return null;
  }
  const at = parseCount(o.checkpointAt);
  const preDump = parsePreDump(o, at);
  if (o.image !== undefined && o.mount !== undefined) throw new CliError('--image and --mount exclude each other', EXIT_USAGE);
  if (o.mode !== undefined && o.mount === undefined) throw new CliError('--mode needs --mount DIR', EXIT_USAGE);
  if (o.mount !== undefined) {
    if (o.then !== undefined) throw new CliError('--then goes with --image; with --mount the program runs on once done is written', EXIT_USAGE);
    return { at, image: null, mount: o.mount, mode: o.mode === 'copy' ? 'copy' : 'lazy', then: 'continue', report: o.report ?? null, preDump };
  }
  if (o.image === undefined) throw new CliError('--checkpoint-at needs --image FILE or --mount DIR', EXIT_USAGE);
  return { at, image: o.image, mount: null, mode: 'lazy', then: o.then === 'continue' ? 'continue' : 'stop', report: o.report ?? null, preDump };
}

/**
 * Creates (truncating) `file` so that an unwritable output fails before anything runs. Throws CliError
 * (exit 2) naming the option.
 */
export function checkOutputWritable(option: string, file: string): void {
  try {
    fs.closeSync(fs.openSync(file, 'w'));
  } catch (e) {
    throw new CliError(`${option} ${file}: cannot write: ${(e as NodeJS.ErrnoException).code ?? describeError(e)}`, EXIT_USAGE);
  }
}

/**
 * Makes sure `dir` can receive an exported root: created if missing, refused (CliError, exit 2) when it
 * exists and is not an empty directory, so files of two runs never mix.
 */
export function prepareExportDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
    if (!fs.statSync(dir).isDirectory()) throw new CliError(`--export-root ${dir}: not a directory`, EXIT_USAGE);
    if (fs.readdirSync(dir).length > 0) throw new CliError(`--export-root ${dir}: directory is not empty`, EXIT_USAGE);
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`--export-root ${dir}: ${(e as NodeJS.ErrnoException).code ?? describeError(e)}`, EXIT_USAGE);
  }
}
