// `crfs ps`: the tasks of the programs in the background host, one line each under a header. Never starts a host.
import { Command } from 'commander';
import { CliError, EXIT_FAILURE } from './errors';
import type { TaskRow } from '../host/protocol';
import { HostLink, runtimeDirOrFail } from '../host/client';

function line(pid: string, init: string, state: string, comm: string): string {
  return `${pid.padStart(7)} ${init.padStart(7)} ${state.padEnd(8)} ${comm}\n`;
}

/** The table `crfs ps` prints: a header, then PID, container init pid, state (running, sleeping, stopped, frozen) and comm. */
export function formatTasks(rows: readonly TaskRow[]): string {
  return line('PID', 'INIT', 'STATE', 'COMM') + rows.map((r) => line(String(r.pid), String(r.init), r.state, r.comm)).join('');
}

/** The hosted tasks; none (the header alone) when no host runs. Throws CliError when the host answers with an error. */
export async function hostedTasks(): Promise<TaskRow[]> {
  const rt = runtimeDirOrFail(false);
  const link = rt ? await HostLink.connect(rt.socket) : null;
  if (!link) return [];
  link.send({ op: 'ps' });
  const r = await link.next();
  link.close();
  // A host that closes without answering was exiting: it had nothing left.
  if (r === null) return [];
  if (r.kind === 'error') throw new CliError(r.message, r.status);
  if (r.kind !== 'tasks') throw new CliError(`unexpected reply from the crfs host: ${r.kind}`, EXIT_FAILURE);
  return r.tasks;
}

/** Adds the `ps` subcommand to `program`; `finish(status)` receives the exit status. */
export function registerPsCommand(program: Command, finish: (status: number) => void): void {
  program
    .command('ps')
    .description('list the tasks of the programs running in the background host (PID, container init pid, state, comm)')
    .action(async () => {
      process.stdout.write(formatTasks(await hostedTasks()));
      finish(0);
    });
}
