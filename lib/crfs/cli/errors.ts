// The CLI's one error type: a message for a single stderr line and the exit status that goes with it.

/** Exit status for a command that ran and failed (a bad image, a missing input). */
export const EXIT_FAILURE = 1;
/** Exit status for bad usage (unknown option, missing argument), as most Unix tools use. */
export const EXIT_USAGE = 2;
/** Exit status for a crfs bug: the program could not be run to its end (sysexits' EX_SOFTWARE). */
export const EXIT_INTERNAL = 70;

/**
 * A failure the user can act on. `message` is printed as `crfs: <message>` on one line (it must not
 * contain a newline); `status` is what crfs exits with.
 */
export class CliError extends Error {
  constructor(message: string, readonly status: number) {
    super(message.replace(/\s*\n\s*/g, ' '));
  }
}

/** Collapses any error to one line of text (never a stack trace). */
export function describeError(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.replace(/\s*\n\s*/g, ' ').trim() || 'unknown error';
}
