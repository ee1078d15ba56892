// `crfs boot ELF [ARGS...]`: start the program as a new container in the background host (started on first use); print its pid.
import { Command } from 'commander';
import { checkHostElf } from './elf-check';
import { CliError, EXIT_FAILURE } from './errors';
import { collectHostEnv } from './run';
import { connectOrStartHost, runtimeDirOrFail } from '../host/client';

/** How often a boot is retried when the host went away under it (it was just exiting when we connected). */
const ATTEMPTS = 3;

/**
 * Boots `elf` with `args` in the host: stdin empty, stdout and stderr appended to files in the
 * runtime directory (named on stderr), this process's environment and cwd. Prints the container's
 * init pid on stdout; resolves with 0. Throws CliError: 127/126 for a program that cannot be started,
 * 1 when the host cannot be reached.
 */
export async function bootInHost(elf: string, args: string[]): Promise<number> {
  // Checked here too, so the message names the path as typed.
  checkHostElf(elf);
  const rt = runtimeDirOrFail(true);
  if (!rt) throw new CliError('no runtime directory', EXIT_FAILURE);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const link = await connectOrStartHost(rt);
    link.send({ op: 'boot', elf, args, env: collectHostEnv(process.env), cwd: process.cwd() });
    const r = await link.next();
    link.close();
    if (r === null) continue;
    if (r.kind === 'error') throw new CliError(r.message, r.status);
    if (r.kind !== 'booted') throw new CliError(`unexpected reply from the crfs host: ${r.kind}`, EXIT_FAILURE);
    process.stderr.write(`crfs: pid ${r.pid}: stdout appended to ${r.stdout}, stderr to ${r.stderr}\n`);
    process.stdout.write(`${r.pid}\n`);
    return 0;
  }
  throw new CliError('the crfs host closed the connection without booting the program', EXIT_FAILURE);
}

/** Adds the `boot` subcommand to `program`; `finish(status)` receives the exit status. */
export function registerBootCommand(program: Command, finish: (status: number) => void): void {
  program
    .command('boot')
    .description('start ELF as a new container in the background host (started on first use) and print its pid; '
      + 'stdin is empty, stdout/stderr are appended to files in the host\'s runtime directory')
    .argument('<elf>', 'a static riscv64 Linux executable')
    .argument('[args...]', 'arguments for the program')
    .passThroughOptions()
    .action(async (elf: string, args: string[]) => {
      finish(await bootInHost(elf, args));
    });
}
