// `crfs blob DIR|TAR|- [-o FILE]`: the blob a crfs tree or tar stands for, byte for byte what push mode writes.
import * as fs from 'node:fs';
import { Command } from 'commander';
import { CliError, EXIT_FAILURE, EXIT_USAGE, describeError } from './errors';
import { readImageSource } from './image-source';

export interface BlobOptions {
  output?: string;
}

/** Exit status when the reader of stdout went away (as a tool killed by SIGPIPE would report it). */
const EXIT_PIPE = 128 + 13;

/** Writes `data` to stdout; resolves true when written, false when the reader closed the pipe (EPIPE). */
function writeStdout(data: Buffer): Promise<boolean> {
  return new Promise((resolve, reject) => {
    // Later writes (main's final flush) may fail the same way: keep a listener so they are not fatal.
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') resolve(false);
      else reject(err);
    });
    process.stdout.write(data, (err) => {
      if (!err) resolve(true);
    });
  });
}

/**
 * Converts `source` (see readImageSource: a tree directory, a tar, a blob, or - for stdin) to blob
 * bytes and writes them to `opts.output` or stdout. Resolves with 0, or 141 without a message when
 * the reader of stdout closed it early (as `cmp` does at the first difference). Rejects with CliError: exit 2
 * when stdout is a terminal and no -o was given (a binary image is never dumped on a TTY), exit 1
 * for a source that holds no valid image (naming the path) or an output that cannot be written.
 */
export async function writeBlob(source: string, opts: BlobOptions): Promise<number> {
  if (opts.output === undefined && process.stdout.isTTY) {
    throw new CliError('blob: refusing to write a binary image to a terminal (use -o FILE or a pipe)', EXIT_USAGE);
  }
  const blob = await readImageSource(source, 'blob');
  if (opts.output === undefined) {
    if (!(await writeStdout(blob))) return EXIT_PIPE;
  } else {
    try {
      fs.writeFileSync(opts.output, blob);
    } catch (e) {
      throw new CliError(`blob: -o ${opts.output}: ${(e as NodeJS.ErrnoException).code ?? describeError(e)}`, EXIT_FAILURE);
    }
  }
  return 0;
}

/** Adds the `blob` subcommand to `program`; `finish(status)` receives the exit status. */
export function registerBlobCommand(program: Command, finish: (status: number) => void): void {
  program
    .command('blob')
    .description('write the blob for a crfs tree (DIR: an extracted tar or a mount) or a tar (FILE, or - for stdin), '
      + 'identical to what push mode writes for the same state')
    .argument('<source>', 'tree directory, tar file, or -')
    .option('-o, --output <file>', 'write the blob to FILE instead of stdout')
    .action(async (source: string, opts: BlobOptions) => {
      finish(await writeBlob(source, opts));
    });
}
