// Test helpers that edit an image in place: find records, patch fields, re-seal the tail checksum.
import { crc32 } from '../../lib/crfs/image/crc32';
import { readImageItems } from '../../lib/crfs/image/codec';
import type { FieldRecordName, ImageItem } from '../../lib/crfs/image/schema';
import { recordByName } from '../../lib/crfs/image/schema';

/** Header offsets of every record, in order, walked by framing alone (no decoding). */
export function recordOffsets(buf: Uint8Array): number[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: number[] = [];
  for (let at = 0; at + 8 <= buf.length;) {
    out.push(at);
    at += (dv.getUint32(at + 4, true) + 7) & ~7;
  }
  return out;
}

/** The nth (0-based) record item named `name` in a valid image. */
export function findRecord(buf: Uint8Array, name: string, nth = 0): ImageItem {
  const hits = readImageItems(buf).filter((i) => i.name === name && i.kind !== 'pages');
  const it = hits[nth];
  if (!it) throw new Error(`no record '${name}' #${nth}`);
  return it;
}

/** Payload offset of a field of record `name`. */
export function fieldOffset(name: FieldRecordName, field: string): number {
  const p = recordByName(name).layout.fields.find((f) => f.field.name === field);
  if (!p) throw new Error(`no field ${name}.${field}`);
  return p.offset;
}

/** Recomputes the tail's checksum so an edit is judged by the check under test, not the checksum. */
export function resealTail(buf: Buffer): Buffer {
  const tailAt = buf.length - 24;
  buf.writeUInt32LE(crc32(buf.subarray(0, tailAt)), tailAt + 8 + 12);
  return buf;
}

/** Copy of `buf` with field `field` of the nth record `name` set to a u32/s32 (or u64 low word) value, tail resealed. */
export function patchU32(buf: Buffer, name: FieldRecordName, field: string, value: number, nth = 0): { image: Buffer; offset: number } {
  const out = Buffer.from(buf);
  const at = findRecord(buf, name, nth).offset;
  out.writeInt32LE(value | 0, at + 8 + fieldOffset(name, field));
  return { image: resealTail(out), offset: at };
}

/** Same for a u64 field. */
export function patchU64(buf: Buffer, name: FieldRecordName, field: string, value: bigint, nth = 0): { image: Buffer; offset: number } {
  const out = Buffer.from(buf);
  const at = findRecord(buf, name, nth).offset;
  out.writeBigUInt64LE(value, at + 8 + fieldOffset(name, field));
  return { image: resealTail(out), offset: at };
}
