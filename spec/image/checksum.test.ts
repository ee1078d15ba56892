// The tail checksum: CRC-32/ISO-HDLC (check value from the CRC catalogue), native and portable agree.
import test from 'ava';
import fc from 'fast-check';
import { crc32, crc32Portable } from '../../lib/crfs/image/crc32';
import { buildSampleImage } from './sample-image';

test('CRC-32 of "123456789" is 0xCBF43926', (t) => {
  const check = new TextEncoder().encode('123456789');
  t.is(crc32(check), 0xcbf43926);
  t.is(crc32Portable(check), 0xcbf43926);
  t.is(crc32(new Uint8Array(0)), 0);
});

test('native and portable CRC agree, also when continued across chunks', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(), (data, cutSeed) => {
    const cut = data.length ? cutSeed % data.length : 0;
    const whole = crc32Portable(data);
    t.is(crc32(data), whole);
    t.is(crc32(data.subarray(cut), crc32(data.subarray(0, cut))), whole);
  }), { numRuns: 200 });
});

test('the tail holds the CRC of every byte before it', (t) => {
  const img = buildSampleImage();
  const tailAt = img.length - 24;
  t.is(img.readUInt32LE(tailAt), 9001);
  t.is(img.readUInt32LE(tailAt + 20), crc32Portable(img.subarray(0, tailAt)));
});
