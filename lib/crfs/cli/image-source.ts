// Reads a checkpoint image named on the command line (a blob, a tar, a crfs tree directory, or - for stdin) as blob bytes.
import * as fs from 'node:fs';
import { crc32 } from '../image/crc32';
import { SummedImage, readSummedFile } from '../image/read-file';
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

/** Whether `data` starts with a tar header (ustar magic at offset 257), the test for "a tar, told apart by content". */
export function isTarArchive(data: Uint8Array): boolean {
  return data.length >= USTAR_OFFSET + USTAR_MAGIC.length
    && Buffer.from(data.buffer, data.byteOffset + USTAR_OFFSET, USTAR_MAGIC.length).toString('latin1') === USTAR_MAGIC;
}

/**
 * Runs a tree conversion; a TreeError (the tree or tar does not hold a valid image; its message
 * starts with the path at fault) or an fs error becomes CliError (exit 1, `<command>: <name>: <why>`).
 */
async function convertTree(name: string, command: string, convert: () => Promise<Buffer>): Promise<Buffer> {
  const { TreeError } = await import('../tree/errors');
  try {
    return await convert();
  } catch (e) {
    if (e instanceof TreeError) throw new CliError(`${command}: ${name}: ${describeError(e)}`, EXIT_FAILURE);
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string') throw new CliError(`${command}: ${name}: ${describeError(e)}`, EXIT_FAILURE);
    throw e;
  }
}

/**
 * The blob bytes of the image named by `source`, read whole before anything runs: a blob file, a
 * tar of a crfs tree (told apart by content; `-` is stdin, which may be either), or a directory
 * holding a crfs tree (an extracted tar, a copy, a live or stored mount). Trees and tars are
 * converted with treeToBlob/tarToBlob, which re-validate the result; a blob is returned as read
 * (restart validates it). Rejects with CliError (exit 1, one line `<command>: <source>: <why>`) for
 * a missing or unreadable source or a tree/tar that does not hold a valid image (naming the path).
 */
export async function readImageSource(source: string, command: string): Promise<Buffer> {
  return readSource(source, command, (file) => fs.readFileSync(file));
}

/**
 * readImageSource for a restart: a blob file is read by readSummedFile, which checksums it on a
 * worker thread while reading, and the CRC comes with the bytes (RestoreOptions.crcOf).
 */
export async function readImageSourceSummed(source: string, command: string): Promise<SummedImage> {
  const read: { summed?: SummedImage } = {};
  const data = await readSource(source, command, (file) => {
    const summed = readSummedFile(file);
    read.summed = summed;
    return Buffer.from(summed.bytes.buffer, summed.bytes.byteOffset, summed.bytes.length);
  });
  const got = read.summed;
  // The bytes read are the bytes restored unless a tar was converted.
  if (got && data.buffer === got.bytes.buffer && data.byteOffset === got.bytes.byteOffset && data.length === got.bytes.length) return got;
  return { bytes: data, crcOf: (end) => crc32(data.subarray(0, end)) };
}

async function readSource(source: string, command: string, readFile: (file: string) => Buffer): Promise<Buffer> {
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
    if (st.isDirectory()) {
      const { treeToBlob } = await import('../convert/to-blob');
      return convertTree(source, command, () => treeToBlob(source));
    }
    try {
      data = readFile(source);
    } catch (e) {
      fail(`${source}: ${(e as NodeJS.ErrnoException).code ?? describeError(e)}`);
    }
  }
  const name = source === '-' ? 'stdin' : source;
  if (isTarArchive(data)) {
    const { tarToBlob } = await import('../convert/to-blob');
    return convertTree(name, command, () => tarToBlob(data));
  }
  return data;
}
