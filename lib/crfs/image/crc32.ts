// CRC-32 (ISO-HDLC, the zlib/PNG polynomial) for the tail checksum: zlib's native one when Node has it.
import * as zlib from 'node:zlib';

let table: Int32Array | null = null;

function makeTable(): Int32Array {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
}

/** Table-driven CRC-32 continuing from `crc` (0 to start); the fallback when zlib.crc32 is absent. */
export function crc32Portable(data: Uint8Array, crc = 0): number {
  const t = table ?? (table = makeTable());
  let c = ~crc;
  for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

type NativeCrc = (data: Uint8Array, value?: number) => number;
const native: NativeCrc | undefined = (zlib as unknown as { crc32?: NativeCrc }).crc32;

/**
 * CRC-32 of `data` continuing from `crc` (0 to start); returns an unsigned 32-bit value. zlib's is
 * called on the whole view: on Node 20.20 one call runs at memory speed (about 5 GB/s) for any size,
 * and cutting it into 16 KiB slices measured a third slower on 256 MiB of cold pages.
 */
export const crc32: (data: Uint8Array, crc?: number) => number = native ?? crc32Portable;
