// The CLI's logger: pino writing synchronously to fd 2, at the level named by $CRFS_LOG (default 'warn').
import pino, { Logger } from 'pino';
import { CliError, EXIT_USAGE } from './errors';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * Creates the logger every command uses. Throws CliError (exit 2) when $CRFS_LOG names no pino level.
 * Synchronous writes keep log lines ordered with the program's own stderr output.
 */
export function createCliLogger(env: NodeJS.ProcessEnv = process.env): Logger {
  const level = (env.CRFS_LOG ?? '').trim() || 'warn';
  if (!LEVELS.includes(level)) {
    throw new CliError(`CRFS_LOG: unknown level '${level}' (use one of ${LEVELS.join(', ')})`, EXIT_USAGE);
  }
  return pino({ level, base: { name: 'crfs' } }, pino.destination({ fd: 2, sync: true }));
}
