// `crfs run [--stats FILE] [checkpoint options] ELF [ARGS...]`: boot a fresh emukernel, run ELF as its init.
import * as path from 'node:path';
import { Command } from 'commander';
import { Logger } from 'pino';
import { ExecError } from '../../emukernel/errno';
import type { Kernel } from '../../emukernel/kernel';
import type { HostIo } from '../../emukernel/fs/host-io';
import {
  CheckpointCliOptions, addCheckpointOptions, addPreDumpOptions, checkOutputWritable, parseCheckpointPlan, prepareExportDir,
} from './checkpoint-options';
import { checkHostElf } from './elf-check';
import { CliError } from './errors';
import { importProgramDirectory } from './host-files';

export interface RunOptions extends CheckpointCliOptions {
  stats?: string;
}

/** The host environment as envp strings, in the host's order (qemu-user passes it the same way). */
export function collectHostEnv(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out.push(`${k}=${v}`);
  return out;
}

/** For the background host (lib/crfs/host): where a booted container's stdio, cwd and init pid come from. */
export interface BootOptions {
  /** The container's stdio (default: this process's fds 0-2). */
  hostIo?: HostIo;
  /** The host directory `elf` is relative to and the program's cwd (default: this process's cwd). */
  cwd?: string;
  /** Init's pid (default 1). */
  initPid?: number;
}

/**
 * Boots a new emukernel whose init runs `elf` with `args`: the program's directory imported, this
 * process's stdio as fds 0-2, the host cwd (created inside the container) as its cwd, `envp` as its
 * environment (`opts` may change stdio, cwd and init's pid). Returns the kernel, ready to run. Throws
 * CliError (127: no such file, 126: not a program emukernel can start).
 */
export async function bootProgram(elf: string, args: string[], envp: string[], log: Logger, opts: BootOptions = {}): Promise<Kernel> {
  const hostElf = opts.cwd === undefined ? elf : path.resolve(opts.cwd, elf);
  checkHostElf(hostElf);
  // Loaded here, not at the top: usage errors and bad programs are reported without loading the emulator.
  const { Kernel } = await import('../../emukernel/kernel');
  const kernel = new Kernel({ logger: log, hostIo: opts.hostIo });
  if (opts.initPid !== undefined) kernel.setNextPid(opts.initPid);
  const guestPath = importProgramDirectory(kernel, hostElf, log);
  try {
    kernel.spawnInit({ path: guestPath, argv: [elf, ...args], envp, cwd: opts.cwd ?? process.cwd() });
  } catch (e) {
    if (e instanceof ExecError) {
      const detail = e.message.startsWith(`${guestPath}: `) ? e.message.slice(guestPath.length + 2) : e.message;
      throw new CliError(`${elf}: ${detail}`, e.status);
    }
    throw e;
  }
  return kernel;
}

/**
 * Runs `elf` with `args` on a new emukernel (see bootProgram) to its end, checkpointing it on the way
 * when asked. Resolves with the status crfs should end with (see runSession). Throws CliError: 126/127
 * for a program that cannot be started, 2 for bad options or outputs that cannot be created.
 */
export async function runProgram(elf: string, args: string[], opts: RunOptions, log: Logger): Promise<number> {
  const plan = parseCheckpointPlan(opts);
  checkHostElf(elf);
  if (opts.stats !== undefined) checkOutputWritable('--stats', opts.stats);
  if (plan?.image != null) checkOutputWritable('--image', plan.image);
  if (plan?.preDump) checkOutputWritable('--pre-dump-image', plan.preDump.image);
  if (plan?.report) checkOutputWritable('--report', plan.report);
  if (opts.exportRoot !== undefined) prepareExportDir(opts.exportRoot);
  const kernel = await bootProgram(elf, args, collectHostEnv(process.env), log);
  const { runSession } = await import('./container-session');
  return runSession(kernel, { plan, stats: opts.stats, exportRoot: opts.exportRoot, program: elf, argv: [elf, ...args] }, log);
}

/**
 * Adds the `run` subcommand to `program`. `finish(status)` receives the status to exit with; errors
 * propagate to the caller's handler (main.ts prints them as one line).
 */
export function registerRunCommand(program: Command, getLogger: () => Logger, finish: (status: number) => void): void {
  const cmd = program
    .command('run')
    .description('boot a fresh emukernel and run ELF as its init with this terminal\'s stdio; exit with its status')
    .option('--stats <file>', 'write JSON run statistics (instructions, exit, ...) to FILE at exit');
  addPreDumpOptions(addCheckpointOptions(cmd))
    .argument('<elf>', 'a static riscv64 Linux executable')
    .argument('[args...]', 'arguments for the program')
    .passThroughOptions()
    .action(async (elf: string, args: string[], opts: RunOptions) => {
      finish(await runProgram(elf, args, opts, getLogger()));
    });
}
