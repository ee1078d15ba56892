// `crfs run [--stats FILE] ELF [ARGS...]`: boot a fresh emukernel, run ELF as its init, exit with init's status.
import * as fs from 'node:fs';
import { Command } from 'commander';
import { Logger } from 'pino';
import { ExecError } from '../../emukernel/errno';
import { checkHostElf } from './elf-check';
import { CliError, EXIT_USAGE, describeError } from './errors';
import { importProgramDirectory } from './host-files';

export interface RunOptions {
  stats?: string;
}

/** What `--stats FILE` holds; `instructions` and `exit` are the documented keys, the rest is informative. */
export interface RunStats {
  instructions: number;
  exit: number;
  /** The signal that killed init (e.g. "SIGSEGV"), or null when it exited. */
  signal: string | null;
  wall_ms: number;
  instructions_per_second: number;
  program: string;
  argv: string[];
}

/** Names for 128+N statuses in the stats file (Linux numbering, asm-generic/signal.h). */
const SIGNAL_NAMES = [
  '', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL', 'SIGUSR1',
  'SIGSEGV', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT', 'SIGCHLD', 'SIGCONT', 'SIGSTOP', 'SIGTSTP',
  'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR', 'SIGSYS',
];

/** The host environment as envp strings, in the host's order (qemu-user passes it the same way). */
function collectHostEnv(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out.push(`${k}=${v}`);
  return out;
}

/** Fails before the program runs, rather than after, when the stats file cannot be created. */
function checkStatsWritable(file: string): void {
  try {
    fs.closeSync(fs.openSync(file, 'w'));
  } catch (e) {
    throw new CliError(`--stats ${file}: cannot write: ${(e as NodeJS.ErrnoException).code ?? describeError(e)}`, EXIT_USAGE);
  }
}

/**
 * Runs `elf` with `args` on a new emukernel, with this process's stdio as the program's fds 0-2 and the
 * host cwd (created inside the container) as its cwd. Resolves with the exit status crfs should end with:
 * init's exit code, or 128 + signal when a signal killed it. Throws CliError (126/127) for a program that
 * cannot be started, and CliError (2) for a stats file that cannot be created.
 */
export async function runProgram(elf: string, args: string[], opts: RunOptions, log: Logger): Promise<number> {
  checkHostElf(elf);
  if (opts.stats !== undefined) checkStatsWritable(opts.stats);
  // Loaded here, not at the top: usage errors and bad programs are reported without loading the emulator.
  const { Kernel } = await import('../../emukernel/kernel');
  const kernel = new Kernel({ logger: log });
  const guestPath = importProgramDirectory(kernel, elf, log);
  try {
    kernel.spawnInit({ path: guestPath, argv: [elf, ...args], envp: collectHostEnv(process.env), cwd: process.cwd() });
  } catch (e) {
    if (e instanceof ExecError) {
      const detail = e.message.startsWith(`${guestPath}: `) ? e.message.slice(guestPath.length + 2) : e.message;
      throw new CliError(`${elf}: ${detail}`, e.status);
    }
    throw e;
  }
  const started = process.hrtime.bigint();
  const result = await kernel.runToCompletion();
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  log.debug({ status: result.status, instructions: result.instructions, wallMs }, 'init finished');
  if (opts.stats !== undefined) {
    const stats: RunStats = {
      instructions: result.instructions,
      exit: result.status,
      signal: result.status > 128 ? (SIGNAL_NAMES[result.status - 128] ?? `signal ${result.status - 128}`) : null,
      wall_ms: Math.round(wallMs * 1000) / 1000,
      instructions_per_second: wallMs > 0 ? Math.round(result.instructions / (wallMs / 1000)) : 0,
      program: elf,
      argv: [elf, ...args],
    };
    try {
      fs.writeFileSync(opts.stats, `${JSON.stringify(stats, null, 2)}\n`);
    } catch (e) {
      throw new CliError(`--stats ${opts.stats}: cannot write: ${describeError(e)}`, result.status || 1);
    }
  }
  return result.status;
}

/**
 * Adds the `run` subcommand to `program`. `finish(status)` receives the status to exit with; errors
 * propagate to the caller's handler (main.ts prints them as one line).
 */
export function registerRunCommand(program: Command, getLogger: () => Logger, finish: (status: number) => void): void {
  program
    .command('run')
    .description('boot a fresh emukernel and run ELF as its init with this terminal\'s stdio; exit with its status')
    .option('--stats <file>', 'write JSON run statistics (instructions, exit, ...) to FILE at exit')
    .argument('<elf>', 'a static riscv64 Linux executable')
    .argument('[args...]', 'arguments for the program')
    .passThroughOptions()
    .action(async (elf: string, args: string[], opts: RunOptions) => {
      finish(await runProgram(elf, args, opts, getLogger()));
    });
}
