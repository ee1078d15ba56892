// `crfs checkpoint PID [--mount DIR] [--mode lazy|copy] [--kill] [--detach] [--json]`: a live checkpoint of a hosted container.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, Option } from 'commander';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from './errors';
import { HostLink, runtimeDirOrFail } from '../host/client';
import type { LiveMode } from '../live/live-checkpoint';

export interface CheckpointCommandOptions {
  mount?: string;
  mode?: string;
  kill?: boolean;
  detach?: boolean;
  json?: boolean;
  parent?: string;
}

const NO_HOST = 'no crfs host is running (crfs boot starts one)';

/**
 * `dir` made absolute from this process's cwd, its parent resolved through symlinks here (the host
 * compares mount points as the mount table shows them, and must never walk a path itself that may
 * lead into a mount it serves).
 */
function absoluteMount(dir: string): string {
  const abs = path.resolve(dir);
  try {
    return path.join(fs.realpathSync(path.dirname(abs)), path.basename(abs));
  } catch {
    return abs;
  }
}

function parsePid(text: string): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) === 0) {
    throw new CliError(`checkpoint: '${text}' is not a pid (a positive integer)`, EXIT_USAGE);
  }
  return Number(text);
}

/**
 * Asks the host to checkpoint the container whose init is `pidText`, prints the mount path on stdout,
 * and resolves with 0 once the checkpoint ended (`done` written or the directory unmounted; at once
 * with --detach), then with --json prints the report as one JSON line. SIGINT or SIGTERM while
 * waiting unmount the directory, which ends the checkpoint. Throws CliError: 2 for bad usage, 1 when
 * there is no host, no such container, or the checkpoint failed (the container then runs on as it was).
 */
export async function checkpointHosted(pidText: string, opts: CheckpointCommandOptions): Promise<number> {
  const pid = parsePid(pidText);
  if (opts.parent !== undefined && opts.mode !== 'copy') throw new CliError('--parent needs --mode copy', EXIT_USAGE);
  const mode: LiveMode = opts.mode === 'copy' ? 'copy' : 'lazy';
  const rt = runtimeDirOrFail(false);
  const link = rt ? await HostLink.connect(rt.socket) : null;
  if (!link) throw new CliError(NO_HOST, EXIT_FAILURE);
  const mount = opts.mount === undefined ? null : absoluteMount(opts.mount);
  const parent = opts.parent === undefined ? null : absoluteMount(opts.parent);
  link.send({ op: 'checkpoint', pid, mount, mode, kill: opts.kill === true, detach: opts.detach === true, parent });
  const first = await link.next();
  // A host that closes without answering was exiting: it had no container left.
  if (first === null) throw new CliError(NO_HOST, EXIT_FAILURE);
  if (first.kind === 'error') throw new CliError(first.message, first.status);
  if (first.kind !== 'mounted') throw new CliError(`unexpected reply from the crfs host: ${first.kind}`, EXIT_FAILURE);
  process.stdout.write(`${first.mount}\n`);
  if (opts.detach) {
    link.close();
    if (opts.json) process.stdout.write(`${JSON.stringify(first.report)}\n`);
    return 0;
  }
  const { lazyUnmount } = await import('../fs/mount-registry');
  let interrupted = false;
  const onSignal = (): void => {
    // A second signal gives up waiting; the checkpoint still ends (the mount is on its way out).
    if (interrupted) process.exit(130);
    interrupted = true;
    void lazyUnmount(first.mount);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const end = await link.next();
    if (end === null) throw new CliError('the crfs host went away before the checkpoint ended', EXIT_FAILURE);
    if (end.kind === 'error') throw new CliError(end.message, end.status);
    if (end.kind !== 'ended') throw new CliError(`unexpected reply from the crfs host: ${end.kind}`, EXIT_FAILURE);
    if (opts.json) process.stdout.write(`${JSON.stringify(end.report)}\n`);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    link.close();
  }
}

/** Adds the `checkpoint` subcommand to `program`; `finish(status)` receives the exit status. */
export function registerCheckpointCommand(program: Command, finish: (status: number) => void): void {
  program
    .command('checkpoint')
    .description('freeze the hosted container whose init is PID and mount its checkpoint (default /mnt/checkpoint-<id>); '
      + 'print the mount path and return once 1 is written to DIR/done or DIR is unmounted')
    .argument('<pid>', 'init pid of a container started by crfs boot (see crfs ps)')
    .option('--mount <dir>', 'mount point (created if missing; default /mnt/checkpoint-<id>)')
    .addOption(new Option('--mode <mode>', 'lazy (default: the tasks stay frozen until done, files generated from them on read) '
      + 'or copy (memory captured copy-on-write, the tasks run on at once)').choices(['lazy', 'copy']))
    .option('--kill', 'end the container when the checkpoint ends, instead of letting it run on')
    .option('--detach', 'return right after the mount is up; the checkpoint lives on until done or unmount')
    .option('--parent <dir>', 'with --mode copy: an incremental checkpoint, child of the copy-mode checkpoint still mounted at DIR '
      + '(same container): pages unchanged since it are references to it, so DIR\'s tar is needed to restart (crfs restart CHILD --parent PARENT)')
    .option('--json', 'print the checkpoint report (as crfs run --report writes it) as one JSON line after the mount path')
    .action(async (pid: string, opts: CheckpointCommandOptions) => {
      finish(await checkpointHosted(pid, opts));
    });
}
