// `crfs host` (hidden): the background host itself, started detached by the first `crfs boot` (lib/crfs/host/host.ts).
import { Command } from 'commander';
import { Logger } from 'pino';
import { runtimeDirOrFail } from '../host/client';

/** Adds the hidden `host` subcommand: serve the runtime directory's socket until idle; exit 0 when another host already serves it. */
export function registerHostCommand(program: Command, getLogger: () => Logger, finish: (status: number) => void): void {
  program
    .command('host', { hidden: true })
    .description('run the background host (started by crfs boot)')
    .action(async () => {
      const rt = runtimeDirOrFail(true);
      if (!rt) throw new Error('no runtime directory');
      const { runHost } = await import('../host/host');
      await runHost(rt, getLogger());
      finish(0);
    });
}
