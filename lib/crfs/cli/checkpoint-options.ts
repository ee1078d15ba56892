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

/** A non-negative decimal instruction count; anything else is a usage error. */
function parseCount(text: string): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new CliError(`--checkpoint-at: '${text}' is not an instruction count (a non-negative integer)`, EXIT_USAGE);
  }
  return Number(text);
}

/**
 * Validates the checkpoint options: returns the plan, or null when no checkpoint was asked for.
 * Throws CliError (exit 2) for options that do not go together. Touches no file.
 */
export function parseCheckpointPlan(o: CheckpointCliOptions): CheckpointPlan | null {
  if (o.checkpointAt === undefined) {
    for (const [name, v] of [['--image', o.image], ['--mount', o.mount], ['--then', o.then], ['--report', o.report]] as const) {
      if (v !== undefined) throw new CliError(`${name} needs --checkpoint-at N`, EXIT_USAGE);
    }
    if (o.mode !== undefined) throw new CliError('--mode needs --mount DIR', EXIT_USAGE);
    return null;
  }
  const at = parseCount(o.checkpointAt);
  if (o.image !== undefined && o.mount !== undefined) throw new CliError('--image and --mount exclude each other', EXIT_USAGE);
  if (o.mode !== undefined && o.mount === undefined) throw new CliError('--mode needs --mount DIR', EXIT_USAGE);
  if (o.mount !== undefined) {
    if (o.then !== undefined) throw new CliError('--then goes with --image; with --mount the program runs on once done is written', EXIT_USAGE);
    return { at, image: null, mount: o.mount, mode: o.mode === 'copy' ? 'copy' : 'lazy', then: 'continue', report: o.report ?? null };
  }
  if (o.image === undefined) throw new CliError('--checkpoint-at needs --image FILE or --mount DIR', EXIT_USAGE);
  return { at, image: o.image, mount: null, mode: 'lazy', then: o.then === 'continue' ? 'continue' : 'stop', report: o.report ?? null };
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
