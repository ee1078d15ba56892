// Reading an image while a worker thread checksums it: the joined CRC is the plain one, and the parser trusts only that.
import test from 'ava';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { crc32, crc32Combine, crc32ShiftOperator } from '../../lib/crfs/image/crc32';
import { readImageItems } from '../../lib/crfs/image/codec';
import { ImageError } from '../../lib/crfs/image/errors';
import { readSummedFd, readSummedFile } from '../../lib/crfs/image/read-file';
import { buildSampleImage } from './sample-image';

const MiB = 1 << 20;

function withFile<T>(data: Uint8Array, f: (file: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crfs-summed-'));
  try {
    const file = path.join(dir, 'img');
    fs.writeFileSync(file, data);
    return f(file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function noise(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

test('crc32Combine of the parts is the CRC of the whole', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), fc.uint8Array({ maxLength: 2000 }), (a, b) => {
    const whole = new Uint8Array(a.length + b.length);
    whole.set(a);
    whole.set(b, a.length);
    t.is(crc32Combine(crc32(a), crc32(b), crc32ShiftOperator(b.length)), crc32(whole));
  }), { numRuns: 200 });
});

test('a file read with the worker has the bytes of the file and the CRC of every prefix', (t) => {
  // Several 1 MiB chunks and a partial one, so both the joined and the local parts are used.
  const data = noise(3 * MiB + 12345, 7);
  withFile(data, (file) => {
    const s = readSummedFile(file, { workerMinBytes: 0 });
    // Buffer.compare, not deepEqual: ava's deep comparison of 3 MiB takes seconds.
    t.is(Buffer.compare(Buffer.from(s.bytes.buffer, s.bytes.byteOffset, s.bytes.length), Buffer.from(data)), 0);
    for (const end of [0, 1, MiB - 1, MiB, MiB + 1, 2 * MiB + 77, 3 * MiB, data.length - 24, data.length]) {
      t.is(s.crcOf(end), crc32(data.subarray(0, end)), `prefix of ${end} bytes`);
    }
    t.throws(() => s.crcOf(data.length + 1), { instanceOf: RangeError });
  });
});

test('a small file and a pipe are read whole without the worker, with the same CRCs', (t) => {
  const data = noise(70000, 3);
  withFile(data, (file) => {
    const s = readSummedFile(file);
    t.is(Buffer.compare(Buffer.from(s.bytes), Buffer.from(data)), 0);
    t.is(s.crcOf(50000), crc32(data.subarray(0, 50000)));
  });
  // Less than a pipe holds, so it can be written before anything reads it.
  const piped = data.subarray(0, 40000);
  const [r, w] = pipeFds();
  fs.writeSync(w, piped);
  fs.closeSync(w);
  try {
    const s = readSummedFd(r, { workerMinBytes: 0 });
    t.is(Buffer.compare(Buffer.from(s.bytes), Buffer.from(piped)), 0);
    t.is(s.crcOf(piped.length), crc32(piped));
  } finally {
    fs.closeSync(r);
  }
});

test('the parser checks the tail against the CRC the reader computed, and a changed byte fails it', (t) => {
  const img = buildSampleImage({ pages: 600 });
  withFile(img, (file) => {
    const s = readSummedFile(file, { workerMinBytes: 0 });
    t.is(readImageItems(s.bytes, { prefixCrc: s.crcOf }).at(-1)?.name, 'tail');
  });
  const bad = Buffer.from(img);
  bad[Math.floor(bad.length / 2)] ^= 0x40;
  withFile(bad, (file) => {
    const s = readSummedFile(file, { workerMinBytes: 0 });
    const e = t.throws(() => readImageItems(s.bytes, { prefixCrc: s.crcOf }), { instanceOf: ImageError });
    t.regex(e?.message ?? '', /bad checksum/);
  });
  // A parser given a wrong CRC believes it over the bytes: what it is given is what it checks.
  t.throws(() => readImageItems(img, { prefixCrc: () => 0 }), { message: /bad checksum/ });
});

/** A pipe's two ends as host descriptors (fs has no pipe(): a FIFO opened both ways does). */
function pipeFds(): [number, number] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crfs-fifo-'));
  const fifo = path.join(dir, 'p');
  execFileSync('mkfifo', [fifo]);
  const r = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const w = fs.openSync(fifo, 'w');
  fs.rmSync(dir, { recursive: true, force: true });
  return [r, w];
}
