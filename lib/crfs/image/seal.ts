// Sealing an unsealed blob (ImageWriter with sealed: false): its tail's CRC, computed where the bytes are read anyway.
import { crc32 } from './crc32';
import { decodePayload } from './decode';
import { encodePayloadInto } from './encode';
import { failImage } from './errors';
import { MAGIC_TAIL, recordByName } from './schema';

const align8 = (n: number): number => (n + 7) & ~7;

/**
 * Writes into `bytes` (a whole image whose last record is its tail) the CRC-32 of every byte before
 * the tail, and returns it. Throws ImageError if the image does not end in a tail record.
 */
export function sealImage(bytes: Uint8Array): number {
  const spec = recordByName('tail');
  const len = 8 + spec.layout.fixedSize;
  const at = bytes.length - align8(len);
  if (at < 0) failImage('tail', 0, `an image of ${bytes.length} bytes has no room for its tail`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(at, true) !== spec.type || dv.getUint32(at + 4, true) !== len) failImage('tail', at, 'the image does not end in a tail record');
  const value = decodePayload(spec, bytes.subarray(at + 8, at + len), at);
  if (value.magic !== MAGIC_TAIL) failImage('tail', at, 'wrong tail magic');
  const checksum = crc32(bytes.subarray(0, at));
  encodePayloadInto(spec, { ...value, checksum }, bytes, at + 8);
  return checksum;
}
