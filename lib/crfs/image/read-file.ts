// Reads a whole image from a file descriptor while a worker thread checksums the bytes already read.
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { Worker } from 'node:worker_threads';
import { crc32, crc32Combine, crc32ShiftOperator } from './crc32';

/** Image bytes read whole, with a CRC-32 of any prefix of them (the tail check's input). */
export interface SummedImage {
  readonly bytes: Uint8Array;
  /** CRC-32 of bytes[0, end): the same value crc32(bytes.subarray(0, end)) gives. */
  crcOf(end: number): number;
}

/** Checksummed apart and joined with crc32Combine; 1 MiB keeps the join (one step per chunk) negligible. */
const CHUNK = 1 << 20;
/** Reads given to the kernel at a time: each one lets the worker go on. */
const READ_STEP = 8 * CHUNK;
/**
 * Below this a thread costs more to start (tens of ms of the other core) than the checksum it
 * takes over (about 0.2 ms per MiB).
 */
export const WORKER_MIN_BYTES = 32 * CHUNK;

// Control cells: the next chunk to claim for checksumming, how many chunks are completely read, and
// whether reading ended.
const CURSOR = 0, READ = 1, ENDED = 2;

/**
 * The worker's whole program. It claims chunks in order, waits until each is read, and publishes its
 * CRC; it ends when the claims run past the image or reading ended before its chunk was complete.
 * (Also faulting in the far end of the buffer from here, ahead of the reader, measured no faster.)
 */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { crc32 } = require('node:zlib');
const { ctl, crcs, done, bytes, chunk, chunks } = workerData;
for (;;) {
  const i = Atomics.add(ctl, ${CURSOR}, 1);
  if (i >= chunks) break;
  let ready = false;
  for (;;) {
    const r = Atomics.load(ctl, ${READ});
    if (r > i) { ready = true; break; }
    if (Atomics.load(ctl, ${ENDED}) !== 0) break;
    Atomics.wait(ctl, ${READ}, r, 100);
  }
  if (!ready) break;
  crcs[i] = crc32(bytes.subarray(i * chunk, (i + 1) * chunk)) | 0;
  Atomics.store(done, i, 1);
}
`;

export interface ReadSummedOptions {
  /** Files smaller than this are read and checksummed on this thread alone (default WORKER_MIN_BYTES). */
  readonly workerMinBytes?: number;
}

type NativeCrc = (data: Uint8Array, value?: number) => number;
const haveNativeCrc = typeof (zlib as unknown as { crc32?: NativeCrc }).crc32 === 'function';

/**
 * Everything readable at `fd` from its current position (a regular file, a pipe, a socket), read
 * whole. A regular file of WORKER_MIN_BYTES or more is read into shared memory while a worker thread
 * checksums what has arrived, so that by the end of the read (and the parse after it) most of the CRC
 * is done. crcOf joins the pieces, checksumming itself any the worker has not finished; nothing here
 * ever waits for the worker, so without a free second core this costs little more than its start.
 */
export function readSummedFd(fd: number, opts: ReadSummedOptions = {}): SummedImage {
  const st = fs.fstatSync(fd);
  if (!st.isFile() || st.size === 0 || st.size < (opts.workerMinBytes ?? WORKER_MIN_BYTES) || !haveNativeCrc) return plain(readAllPlain(fd, st));
  const capacity = st.size;
  const chunks = Math.ceil(capacity / CHUNK);
  const bytes = new Uint8Array(new SharedArrayBuffer(capacity));
  const ctl = new Int32Array(new SharedArrayBuffer(12));
  const crcs = new Int32Array(new SharedArrayBuffer(4 * chunks));
  const done = new Int32Array(new SharedArrayBuffer(4 * chunks));
  try {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ctl, crcs, done, bytes, chunk: CHUNK, chunks } });
    // Its failure only means crcOf checksums everything itself.
    worker.on('error', () => {});
    worker.unref();
  } catch {
    // Without the thread this is a plain read into shared memory.
  }
  let filled = 0;
  try {
    while (filled < capacity) {
      const len = Math.min(READ_STEP, capacity - filled);
      const n = readSome(fd, bytes, filled, len);
      if (n === 0) break;
      filled += n;
      Atomics.store(ctl, READ, Math.floor(filled / CHUNK));
      Atomics.notify(ctl, READ);
    }
  } finally {
    Atomics.store(ctl, ENDED, 1);
    Atomics.notify(ctl, READ);
  }
  const rest = filled === capacity ? readAllPlain(fd, null) : new Uint8Array(0);
  if (rest.length > 0) {
    // The file grew since fstat: one plain buffer after all, checksummed when asked.
    Atomics.store(ctl, CURSOR, chunks);
    const all = new Uint8Array(filled + rest.length);
    all.set(bytes);
    all.set(rest, filled);
    return plain(all);
  }
  const image = bytes.subarray(0, filled);
  return {
    bytes: image,
    crcOf(end: number): number {
      if (end < 0 || end > filled) throw new RangeError(`crcOf: ${end} is outside the image's ${filled} bytes`);
      // Claims past the end stop the worker; a chunk it holds and has not finished is redone here.
      Atomics.store(ctl, CURSOR, chunks);
      const whole = Math.floor(end / CHUNK);
      const shift = crc32ShiftOperator(CHUNK);
      let crc = 0;
      for (let i = 0; i < whole; i++) {
        const c = Atomics.load(done, i) === 1 ? crcs[i] >>> 0 : crc32(image.subarray(i * CHUNK, (i + 1) * CHUNK));
        crc = crc32Combine(crc, c, shift);
      }
      return crc32(image.subarray(whole * CHUNK, end), crc);
    },
  };
}

function plain(bytes: Uint8Array): SummedImage {
  return {
    bytes,
    crcOf(end: number): number {
      if (end < 0 || end > bytes.length) throw new RangeError(`crcOf: ${end} is outside the image's ${bytes.length} bytes`);
      return crc32(bytes.subarray(0, end));
    },
  };
}

/**
 * Everything readable at `fd`, from its current position. A regular file (`st`) is read straight into
 * one buffer of its size (chunks joined afterwards would copy the image a second time); anything
 * else, and whatever a file gained since fstat, is read through a 1 MiB buffer and copied out.
 */
function readAllPlain(fd: number, st: fs.Stats | null): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (st && st.isFile() && st.size > 0) {
    const whole = new Uint8Array(st.size);
    while (total < whole.length) {
      const n = readSome(fd, whole, total, whole.length - total);
      if (n === 0) return whole.subarray(0, total);
      total += n;
    }
    chunks.push(whole);
  }
  const buf = new Uint8Array(1 << 20);
  for (;;) {
    const n = readSome(fd, buf, 0, buf.length);
    if (n === 0) break;
    chunks.push(buf.slice(0, n));
    total += n;
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out;
}

/** One read at the fd's position; EAGAIN (a non-blocking pipe with nothing yet) waits briefly and retries. */
function readSome(fd: number, buf: Uint8Array, at: number, len: number): number {
  for (;;) {
    try {
      return fs.readSync(fd, buf, at, len, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(eagainCell, 0, 0, 5);
    }
  }
}
const eagainCell = new Int32Array(new SharedArrayBuffer(4));

/** readSummedFd on the file at `path`. */
export function readSummedFile(path: string, opts: ReadSummedOptions = {}): SummedImage {
  const fd = fs.openSync(path, 'r');
  try {
    return readSummedFd(fd, opts);
  } finally {
    fs.closeSync(fd);
  }
}
