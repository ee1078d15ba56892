// Payload deserialization derived from the schema; every failure is an ImageError naming record and offset.
import type { EnumField, Field, StructLayout } from './fields';
import { failImage } from './errors';
import type { RecordSpec } from './record-spec';

const TWO32 = 4294967296;
const utf8 = new TextDecoder('utf-8');

const reverseCache = new WeakMap<EnumField, Map<number, string>>();
function enumName(f: EnumField, n: number): string | undefined {
  let m = reverseCache.get(f);
  if (!m) {
    m = new Map(Object.entries(f.values).map(([k, v]) => [v, k] as [number, string]));
    reverseCache.set(f, m);
  }
  return m.get(n);
}

interface Ctx { readonly rec: string; readonly offset: number }

function readField(dv: DataView, u8: Uint8Array, at: number, f: Field, el: StructLayout | undefined, count: number, c: Ctx): unknown {
  switch (f.kind) {
    case 'u8': return dv.getUint8(at);
    case 'u16': return dv.getUint16(at, true);
    case 'u32': return dv.getUint32(at, true);
    case 's32': case 'objref': return dv.getInt32(at, true);
    case 'u64': {
      const hi = dv.getUint32(at + 4, true);
      if (hi > 0x1fffff) failImage(c.rec, c.offset, `${f.name} 0x${dv.getBigUint64(at, true).toString(16)} exceeds 2^53`);
      return hi * TWO32 + dv.getUint32(at, true);
    }
    case 's64': {
      const v = dv.getBigInt64(at, true);
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) failImage(c.rec, c.offset, `${f.name} ${v} exceeds 2^53`);
      return Number(v);
    }
    case 'x64': return dv.getBigUint64(at, true);
    case 'enum': {
      const n = f.width === 'u16' ? dv.getUint16(at, true) : dv.getUint32(at, true);
      const name = enumName(f, n);
      if (name === undefined) failImage(c.rec, c.offset, `${f.name} ${n} is not one of ${Object.keys(f.values).join(', ')}`);
      return name;
    }
    case 'bytes': return u8.subarray(at, at + f.size);
    case 'chars': {
      const b = u8.subarray(at, at + f.size);
      const nul = b.indexOf(0);
      if (nul < 0) failImage(c.rec, c.offset, `${f.name} is not NUL-terminated`);
      return utf8.decode(b.subarray(0, nul));
    }
    case 'pad': return undefined;
    case 'array': {
      const out: unknown[] = [];
      if (!el) return out;
      for (let i = 0; i < count; i++) out.push(readStruct(dv, u8, at + i * el.stride, el, c));
      return out;
    }
  }
}

function readStruct(dv: DataView, u8: Uint8Array, base: number, layout: StructLayout, c: Ctx): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of layout.fields) {
    const f = p.field;
    if (f.kind === 'pad') continue;
    let count = 0;
    if (f.kind === 'array') count = typeof f.count === 'number' ? f.count : (out[f.count] as number);
    out[f.name] = readField(dv, u8, base + p.offset, f, p.element, count, c);
  }
  return out;
}

/**
 * The payload length a field record must have, given its payload bytes (the count field of a trailing
 * array is read from them). Throws ImageError when the bytes are too short to hold the count, or the count
 * is negative.
 */
export function expectedPayloadLength(spec: RecordSpec, payload: Uint8Array, offset: number): number {
  const l = spec.layout;
  if (l.trailing < 0) return l.fixedSize;
  if (payload.length < l.trailingOffset) failImage(spec.name, offset, `length ${payload.length + 8} too short (at least ${l.trailingOffset + 8})`);
  const arr = l.fields[l.trailing];
  if (arr.field.kind !== 'array' || typeof arr.field.count !== 'string') return l.fixedSize;
  const countName = arr.field.count;
  const cp = l.fields.find((p) => p.field.name === countName);
  if (!cp) return l.fixedSize;
  const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const count = cp.field.kind === 'u16' ? dv.getUint16(cp.offset, true)
    : cp.field.kind === 'u8' ? dv.getUint8(cp.offset)
    : cp.field.kind === 'u32' ? dv.getUint32(cp.offset, true)
    : cp.field.kind === 'u64' ? dv.getUint32(cp.offset + 4, true) * TWO32 + dv.getUint32(cp.offset, true)
    : dv.getInt32(cp.offset, true);
  if (count < 0) failImage(spec.name, offset, `${countName} ${count} is negative`);
  return l.trailingOffset + count * (arr.element?.stride ?? 0);
}

/**
 * Decodes a field record's payload (exactly its length, without padding). `offset` is the record
 * header's offset in the image, used in errors. Throws ImageError on a length that does not match the
 * schema (and its count fields), an unknown enum value, a u64 above 2^53, or an unterminated char array.
 */
export function decodePayload(spec: RecordSpec, payload: Uint8Array, offset: number): Record<string, unknown> {
  const want = expectedPayloadLength(spec, payload, offset);
  if (payload.length !== want) failImage(spec.name, offset, `length ${payload.length + 8} does not match the schema (${want + 8})`);
  const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  return readStruct(dv, payload, 0, spec.layout, { rec: spec.name, offset });
}

/** Decodes a string payload: UTF-8 bytes ending in the only NUL. Throws ImageError otherwise. */
export function decodeStringPayload(name: string, payload: Uint8Array, offset: number): string {
  if (payload.length === 0 || payload[payload.length - 1] !== 0) failImage(name, offset, 'string is not NUL-terminated');
  const body = payload.subarray(0, payload.length - 1);
  if (body.includes(0)) failImage(name, offset, 'string has an embedded NUL');
  return utf8.decode(body);
}
