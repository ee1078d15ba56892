// `crfs mount IMAGE DIR`: serve a stored blob, tar or tree read-only at DIR until unmounted or signalled.
import { Command } from 'commander';
import { CliError, EXIT_FAILURE, describeError } from './errors';
import { readImageSource } from './image-source';

/**
 * Mounts the image in `source` (as readImageSource reads it) at `dir`, prints the mount point on
 * stdout and stays in the foreground until the mount is removed (`fusermount -u DIR`) or SIGINT or
 * SIGTERM arrive; then unmounts cleanly. Resolves with 0. Rejects with CliError (exit 1, one line)
 * for an unreadable source, an image that cannot be shown as a tree, or a mount that fails.
 */
export async function mountStoredImage(source: string, dir: string): Promise<number> {
  const [{ cleanStaleMounts }, { mountImage }, { watchMount }] = await Promise.all([
    import('../fs/mount-registry'), import('../tree/mount-image'), import('../live/mount-watch'),
  ]);
  await cleanStaleMounts();
  const image = await readImageSource(source, 'mount');
  let mounted;
  try {
    ({ mounted } = await mountImage(image, dir));
  } catch (e) {
    throw new CliError(`mount: ${e instanceof Error && e.name === 'TreeError' ? `${source}: ` : `${dir}: `}${describeError(e)}`, EXIT_FAILURE);
  }
  const wait = watchMount(mounted.path, true);
  process.stdout.write(`${mounted.path}\n`);
  await wait.ended;
  wait.stop();
  // Already gone when unmounted from outside: fusermount then fails, which is fine.
  await mounted.unmount().catch(() => undefined);
  return 0;
}

/** Adds the `mount` subcommand to `program`; `finish(status)` receives the exit status. */
export function registerMountCommand(program: Command, finish: (status: number) => void): void {
  program
    .command('mount')
    .description('serve a stored image (blob or tar file, - for stdin, or a tree directory) read-only as a crfs tree at DIR; '
      + 'prints DIR and stays in the foreground until DIR is unmounted (fusermount -u DIR) or crfs gets SIGINT/SIGTERM')
    .argument('<image>', 'checkpoint blob or tar file, a crfs tree directory, or -')
    .argument('<dir>', 'mount point (created if missing)')
    .action(async (source: string, dir: string) => {
      finish(await mountStoredImage(source, dir));
    });
}
