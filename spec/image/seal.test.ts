// Unsealed blobs (the checksum left to whoever reads them next) and asynchronous writev: the bytes a serving child gets.
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CollectSink, readImageItems } from '../../lib/crfs/image/codec';
import { encodeItems } from '../../lib/crfs/image/encode-items';
import { ImageError } from '../../lib/crfs/image/errors';
import { sealImage } from '../../lib/crfs/image/seal';
import { writeChunks } from '../../lib/crfs/image/sinks';
import { buildSampleImage } from './sample-image';

test('an unsealed encoding differs only in the tail checksum, and sealImage puts it back', (t) => {
  const img = buildSampleImage();
  const sink = new CollectSink();
  encodeItems(readImageItems(img), sink, { sealed: false });
  const unsealed = sink.bytes();
  t.is(unsealed.length, img.length);
  t.is(unsealed.readUInt32LE(unsealed.length - 4), 0, 'the tail says 0');
  t.true(unsealed.subarray(0, -4).equals(img.subarray(0, -4)));
  t.throws(() => readImageItems(unsealed), { instanceOf: ImageError, message: /bad checksum/ });
  t.is(sealImage(unsealed), img.readUInt32LE(img.length - 4));
  t.true(unsealed.equals(img));
});

test('sealImage refuses bytes that do not end in a tail record, with one line', (t) => {
  const img = buildSampleImage();
  t.throws(() => sealImage(img.subarray(0, img.length - 8)), { instanceOf: ImageError, message: /does not end in a tail record/ });
  t.throws(() => sealImage(new Uint8Array(5)), { instanceOf: ImageError, message: /no room for its tail/ });
});

test('writeChunks writes more chunks than one writev takes, in order, and reports a bad fd', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crfs-sinks-'));
  try {
    const chunks = Array.from({ length: 2500 }, (_, i) => new Uint8Array((i * 37) % 700 + 1).fill(i & 0xff));
    const file = path.join(dir, 'out');
    const fd = fs.openSync(file, 'w');
    await writeChunks(fd, chunks);
    fs.closeSync(fd);
    t.true(fs.readFileSync(file).equals(Buffer.concat(chunks)));
    const ro = fs.openSync(file, 'r');
    await t.throwsAsync(writeChunks(ro, chunks), { code: 'EBADF' });
    fs.closeSync(ro);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
