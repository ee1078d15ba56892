#!/usr/bin/env node
// The `crfs` command: parses the command line, dispatches to one file per subcommand, maps failures to exit codes.
import { Command, CommanderError } from 'commander';
import { Logger } from 'pino';
import { CliError, EXIT_INTERNAL, EXIT_USAGE, describeError } from './errors';
import { createCliLogger } from './logger';
import { registerBlobCommand } from './blob';
import { registerBootCommand } from './boot';
import { registerCheckpointCommand } from './checkpoint';
import { registerHostCommand } from './host';
import { registerInfoCommand } from './info';
import { registerMountCommand, registerServeCommand } from './mount';
import { registerPsCommand } from './ps';
import { registerRestartCommand } from './restart';
import { registerRunCommand } from './run';

/** Ends the process once stdout and stderr have drained, so a piped program's last output is not lost. */
function exitAfterFlush(status: number): void {
  let pending = 2;
  const done = (): void => {
    if (--pending === 0) process.exit(status);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

function printErrorLine(message: string): void {
  process.stderr.write(`crfs: ${message}\n`);
}

/** Builds the program with every subcommand; commander's own errors are rethrown as CommanderError. */
export function buildProgram(getLogger: () => Logger, finish: (status: number) => void): Command {
  const program = new Command('crfs')
    .description('filesystem-based checkpoint/restart for programs running on emukernel')
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      // Commander's messages start with "error: "; one "crfs: ..." line is what every failure prints.
      outputError: (str, write) => write(`crfs: ${str.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ')}\n`),
    });
  // Subcommands inherit exitOverride and the output configuration from `program` when created.
  registerRunCommand(program, getLogger, finish);
  registerRestartCommand(program, getLogger, finish);
  registerBlobCommand(program, finish);
  registerMountCommand(program, finish);
  registerServeCommand(program, finish);
  registerInfoCommand(program, finish);
  registerBootCommand(program, finish);
  registerPsCommand(program, finish);
  registerCheckpointCommand(program, finish);
  registerHostCommand(program, getLogger, finish);
  return program;
}

/** Parses argv and runs the command; resolves with the exit status (never throws). */
export async function main(argv: string[]): Promise<number> {
  let logger: Logger | null = null;
  const getLogger = (): Logger => (logger ??= createCliLogger());
  let status = 0;
  const program = buildProgram(getLogger, (s) => {
    status = s;
  });
  try {
    if (argv.length <= 2) {
      process.stderr.write(program.helpInformation());
      return EXIT_USAGE;
    }
    await program.parseAsync(argv);
    return status;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version requests are successes; everything else commander rejects is bad usage.
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help'
        ? 0
        : EXIT_USAGE;
    }
    if (e instanceof CliError) {
      printErrorLine(e.message);
      return e.status;
    }
    printErrorLine(`internal error: ${describeError(e)}`);
    try {
      getLogger().debug({ err: e }, 'internal error');
    } catch {
      // A bad CRFS_LOG must not hide the original failure.
    }
    return EXIT_INTERNAL;
  }
}

if (require.main === module) {
  main(process.argv).then(exitAfterFlush, () => exitAfterFlush(EXIT_INTERNAL));
}
