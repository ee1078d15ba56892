// `crfs restart [--stats FILE] [--parent IMAGE]... [checkpoint options] FILE|DIR|-`: bring a checkpointed container back and run it on.
import { Command } from 'commander';
import { Logger } from 'pino';
import type { Kernel } from '../../emukernel/kernel';
import {
  CheckpointCliOptions, addCheckpointOptions, checkOutputWritable, parseCheckpointPlan, prepareExportDir,
} from './checkpoint-options';
import { CliError, EXIT_FAILURE, describeError } from './errors';
import { readImageSource, readImageSourceSummed } from './image-source';

export interface RestartOptions extends CheckpointCliOptions {
  stats?: string;
  /** An incremental image's parent chain (--parent, repeatable): blobs, tars or tree directories. */
  parent?: string[];
}

/**
 * Restarts the container saved in `source` on a fresh emukernel with this process's stdio, and runs it
 * to its end (checkpointing it again when asked). Resolves with init's status, or 0 after `--then
 * stop`. Throws CliError: exit 1, `restart: <message>` naming the record and offset, for an image that
 * cannot be restarted (nothing of it has run); exit 2 for bad options or unwritable outputs.
 */
export async function restartContainer(source: string, opts: RestartOptions, log: Logger): Promise<number> {
  const plan = parseCheckpointPlan(opts);
  const image = await readImageSourceSummed(source, 'restart');
  const parents: Buffer[] = [];
  const { readImageSource } = await import('./image-source');
  for (const p of opts.parent ?? []) {
    if (p === '-' && source === '-') throw new CliError('restart: --parent -: stdin is already the image', EXIT_FAILURE);
    parents.push(await readImageSource(p, 'restart: --parent'));
  }
  // Outputs are created only once the input is read: `--image` may name the file restarted from.
  if (opts.stats !== undefined) checkOutputWritable('--stats', opts.stats);
  if (plan?.image != null) checkOutputWritable('--image', plan.image);
  if (plan?.report) checkOutputWritable('--report', plan.report);
  if (opts.exportRoot !== undefined) prepareExportDir(opts.exportRoot);
  const [{ restoreKernel }, { RestoreError }, { ImageError }] = await Promise.all([
    import('../../emukernel/checkpoint/restart'),
    import('../../emukernel/checkpoint/context'),
    import('../image/errors'),
  ]);
  let kernel: Kernel;
  try {
    // The image was read for this restart alone: its page bytes become the container's memory.
    kernel = restoreKernel(image.bytes, { logger: log }, { adoptImage: true, parents, crcOf: image.crcOf });
  } catch (e) {
    if (e instanceof ImageError || e instanceof RestoreError) throw new CliError(`restart: ${describeError(e)}`, EXIT_FAILURE);
    throw e;
  }
  const { runSession } = await import('./container-session');
  return runSession(kernel, { plan, stats: opts.stats, exportRoot: opts.exportRoot, program: source, argv: [] }, log);
}

/** Adds the `restart` subcommand to `program`; `finish(status)` receives the exit status. */
export function registerRestartCommand(program: Command, getLogger: () => Logger, finish: (status: number) => void): void {
  const cmd = program
    .command('restart')
    .description('restart a checkpointed container from a blob or tar (FILE, or - for stdin) or a crfs tree directory (an extracted tar or a mount) and run it to its end')
    .option('--stats <file>', 'write JSON run statistics (instructions, exit, ...) to FILE at exit')
    .option('--parent <image>', "an incremental image's parent (blob, tar or crfs tree directory): repeat for each image of its chain, in any order", (v: string, acc: string[]) => [...acc, v], [] as string[]);
  addCheckpointOptions(cmd)
    .argument('<image>', 'checkpoint blob or tar file, a crfs tree directory, or - to read a blob or tar from stdin')
    .action(async (source: string, opts: RestartOptions) => {
      finish(await restartContainer(source, opts, getLogger()));
    });
}
