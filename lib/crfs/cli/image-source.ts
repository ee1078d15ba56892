// Reads a checkpoint image named on the command line (a file, or - for stdin) whole, before anything uses it.
import * as fs from 'node:fs';
import { CliError, EXIT_FAILURE, describeError } from './errors';

/** tar headers carry "ustar" at offset 257 (POSIX.1-1988 and GNU both). */
const USTAR_OFFSET = 257;
const USTAR_MAGIC = 'ustar';

/** All of host fd `fd` up to end of file (a pipe may say EAGAIN when non-blocking: wait and retry). */
function readAllFd(fd: number): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  const waitCell = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    const buf = Buffer.allocUnsafe(1 << 20);
    let n: number;
    try {
      n = fs.readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
        Atomics.wait(waitCell, 0, 0, 5);
        continue;
      }
      throw e;
    }
    if (n === 0) break;
    chunks.push(buf.subarray(0, n));
    total += n;
  }
  return Buffer.concat(chunks, total);
}

/**
 * The whole image named by `source` (a file, or `-` for stdin), read before anything runs. Throws
 * CliError (exit 1, `<command>: <source>: <why>`) for a missing or unreadable source, and "not
 * implemented yet" for a checkpoint directory or a tar (told apart by content), which belong to the
 * crfs tree's issue.
 */
export function readImageSource(source: string, command: string): Buffer {
  const fail: (message: string) => never = (message) => {
    throw new CliError(`${command}: ${message}`, EXIT_FAILURE);
  };
  let data: Buffer;
  if (source === '-') {
    try {
      data = readAllFd(0);
    } catch (e) {
      fail(`stdin: ${(e as NodeJS.ErrnoException).code ?? describeError(e)}`);
    }
  } else {
    let st: fs.Stats;
    try {
      st = fs.statSync(source);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      fail(`${source}: ${code === 'ENOENT' || code === 'ENOTDIR' ? 'no such file or directory' : code ?? describeError(e)}`);
    }
    if (st.isDirectory()) fail(`${source}: a directory; reading a checkpoint directory is not implemented yet (give the blob file)`);
    try {
      data = fs.readFileSync(source);
    } catch (e) {
      fail(`${source}: ${(e as NodeJS.ErrnoException).code ?? describeError(e)}`);
    }
  }
  const name = source === '-' ? 'stdin' : source;
  if (data.length >= USTAR_OFFSET + USTAR_MAGIC.length && data.toString('latin1', USTAR_OFFSET, USTAR_OFFSET + USTAR_MAGIC.length) === USTAR_MAGIC) {
    fail(`${name}: a tar archive; reading a tar is not implemented yet (give the blob file)`);
  }
  return data;
}

