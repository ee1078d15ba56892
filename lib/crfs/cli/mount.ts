// `crfs mount [--allow-other] IMAGE DIR`: serve a stored blob, tar or tree read-only at DIR until unmounted or signalled.
import { Command } from 'commander';
import { CliError, EXIT_FAILURE, describeError } from './errors';
import { readImageSource } from './image-source';

export interface MountCliOptions {
  /** Let other users see the mount; the kernel then enforces each file's mode and owner. */
  allowOther?: boolean;
  /** A `done` file first in the root: writing 1 to it unmounts (a checkpoint served for another process). */
  done?: boolean;
}

/**
 * Mounts the image in `source` (as readImageSource reads it) at `dir`, prints the mount point on
 * stdout and stays in the foreground until the mount is removed (`fusermount -u DIR`) or SIGINT or
 * SIGTERM arrive; then unmounts cleanly. Resolves with 0. Rejects with CliError (exit 1, one line)
 * for an unreadable source, an image that cannot be shown as a tree, or a mount that fails (for
 * --allow-other by a non-root user, when /etc/fuse.conf lacks user_allow_other).
 */
export async function mountStoredImage(source: string, dir: string, opts: MountCliOptions = {}): Promise<number> {
  const [{ cleanStaleMounts }, { mountImage }, { watchMount }, { controlFile }] = await Promise.all([
    import('../fs/mount-registry'), import('../tree/mount-image'), import('../live/mount-watch'), import('../fs/node'),
  ]);
  await cleanStaleMounts();
  const image = await readImageSource(source, 'mount');
  let finish: (why: 'done' | 'unmounted') => void = () => undefined;
  // The handler runs inside FUSE's write: end only after the write has been answered.
  const done = opts.done ? controlFile(() => setImmediate(() => finish('done'))) : undefined;
  let mounted;
  try {
    ({ mounted } = await mountImage(image, dir, { allowOther: opts.allowOther === true, done }));
  } catch (e) {
    throw new CliError(`mount: ${e instanceof Error && e.name === 'TreeError' ? `${source}: ` : `${dir}: `}${describeError(e)}`, EXIT_FAILURE);
  }
  const wait = watchMount(mounted.path, true);
  finish = (why) => wait.finish(why);
  process.stdout.write(`${mounted.path}\n`);
  await wait.ended;
  wait.stop();
  // Already gone when unmounted from outside: fusermount then fails, which is fine.
  await mounted.unmount().catch(() => undefined);
  return 0;
}

/** Adds the hidden `serve-checkpoints` subcommand: the child that serves another crfs process's copy-mode checkpoints. */
export function registerServeCommand(program: Command, finish: (status: number) => void): void {
  program
    .command('serve-checkpoints', { hidden: true })
    .description('serve the checkpoints another crfs process asks for on stdin (JSON lines); ends them all when stdin ends')
    .action(async () => {
      const { serveCheckpoints } = await import('../live/checkpoint-server');
      finish(await serveCheckpoints());
    });
}

/** Adds the `mount` subcommand to `program`; `finish(status)` receives the exit status. */
export function registerMountCommand(program: Command, finish: (status: number) => void): void {
  program
    .command('mount')
    .description('serve a stored image (blob or tar file, - for stdin, or a tree directory) read-only as a crfs tree at DIR; '
      + 'prints DIR and stays in the foreground until DIR is unmounted (fusermount -u DIR) or crfs gets SIGINT/SIGTERM')
    .argument('<image>', 'checkpoint blob or tar file, a crfs tree directory, or -')
    .argument('<dir>', 'mount point (created if missing)')
    .option('--allow-other', 'let other users see the mount (root, or user_allow_other in /etc/fuse.conf); '
      + 'file modes and owners are then enforced: memory and registers stay readable only by their task\'s uid')
    .option('--done', 'put a done file in the root, as a live checkpoint has: writing 1 to it unmounts')
    .action(async (source: string, dir: string, opts: MountCliOptions) => {
      finish(await mountStoredImage(source, dir, opts));
    });
}
