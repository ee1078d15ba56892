// Payload serialization derived from the schema: one generic walker, no per-record code.
import type { EnumField, Field, StructLayout } from './fields';
import type { RecordSpec } from './record-spec';

const TWO32 = 4294967296;
const utf8 = new TextEncoder();

/** Thrown for a value the schema cannot encode: a bug in the producer, not in an image. */
export class EncodeError extends Error {
  override readonly name = 'EncodeError';
}

type Struct = Readonly<Record<string, unknown>>;

function countOf(layout: StructLayout, value: Struct): number {
  if (layout.trailing < 0) return 0;
  const f = layout.fields[layout.trailing].field;
  const arr = value[f.name];
  return Array.isArray(arr) ? arr.length : 0;
}

/** Payload bytes of a field record with this value (the trailing array's length decides the variable part). */
export function payloadSize(spec: RecordSpec, value: Struct): number {
  const l = spec.layout;
  if (l.trailing < 0) return l.fixedSize;
  return l.trailingOffset + countOf(l, value) * (l.fields[l.trailing].element?.stride ?? 0);
}

function num(where: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new EncodeError(`${where}: expected a safe integer, got ${String(v)}`);
  return v;
}

function checkRange(where: string, v: number, lo: number, hi: number): number {
  if (v < lo || v > hi) throw new EncodeError(`${where}: ${v} out of range ${lo}..${hi}`);
  return v;
}

function enumNumber(where: string, f: EnumField, v: unknown): number {
  if (typeof v !== 'string' || !Object.prototype.hasOwnProperty.call(f.values, v)) {
    throw new EncodeError(`${where}: '${String(v)}' is not one of ${Object.keys(f.values).join(', ')}`);
  }
  return f.values[v];
}

function writeField(dv: DataView, at: number, f: Field, v: unknown, where: string, el: StructLayout | undefined, struct: Struct): void {
  switch (f.kind) {
    case 'u8': dv.setUint8(at, checkRange(where, num(where, v), 0, 0xff)); return;
    case 'u16': dv.setUint16(at, checkRange(where, num(where, v), 0, 0xffff), true); return;
    case 'u32': dv.setUint32(at, checkRange(where, num(where, v), 0, 0xffffffff), true); return;
    case 's32': case 'objref': dv.setInt32(at, checkRange(where, num(where, v), -0x80000000, 0x7fffffff), true); return;
    case 'u64': {
      const n = checkRange(where, num(where, v), 0, Number.MAX_SAFE_INTEGER);
      dv.setUint32(at, n % TWO32, true);
      dv.setUint32(at + 4, Math.floor(n / TWO32), true);
      return;
    }
    case 's64': dv.setBigInt64(at, BigInt(num(where, v)), true); return;
    case 'x64': {
      if (typeof v !== 'bigint' || v < 0n || v >= 1n << 64n) throw new EncodeError(`${where}: expected a bigint in 0..2^64-1, got ${String(v)}`);
      dv.setBigUint64(at, v, true);
      return;
    }
    case 'enum': {
      const n = enumNumber(where, f, v);
      if (f.width === 'u16') dv.setUint16(at, n, true); else dv.setUint32(at, n, true);
      return;
    }
    case 'bytes': {
      if (!(v instanceof Uint8Array) || v.length !== f.size) throw new EncodeError(`${where}: expected ${f.size} bytes`);
      new Uint8Array(dv.buffer, dv.byteOffset + at, f.size).set(v);
      return;
    }
    case 'chars': {
      if (typeof v !== 'string') throw new EncodeError(`${where}: expected a string`);
      const b = utf8.encode(v);
      if (b.length >= f.size || b.includes(0)) throw new EncodeError(`${where}: '${v}' does not fit in ${f.size - 1} bytes without NUL`);
      new Uint8Array(dv.buffer, dv.byteOffset + at, b.length).set(b);
      return;
    }
    case 'pad': return;
    case 'array': {
      if (!Array.isArray(v) || !el) throw new EncodeError(`${where}: expected an array`);
      if (typeof f.count === 'number' && v.length !== f.count) throw new EncodeError(`${where}: expected ${f.count} entries, got ${v.length}`);
      if (typeof f.count === 'string' && struct[f.count] !== v.length) {
        throw new EncodeError(`${where}: ${v.length} entries but ${f.count} is ${String(struct[f.count])}`);
      }
      v.forEach((e: unknown, i: number) => {
        if (typeof e !== 'object' || e === null) throw new EncodeError(`${where}[${i}]: expected an object`);
        writeStruct(dv, at + i * el.stride, el, e as Struct, `${where}[${i}]`);
      });
      return;
    }
  }
}

function writeStruct(dv: DataView, base: number, layout: StructLayout, value: Struct, where: string): void {
  for (const p of layout.fields) {
    if (p.field.kind !== 'pad' && !(p.field.name in value)) throw new EncodeError(`${where}: missing field '${p.field.name}'`);
    writeField(dv, base + p.offset, p.field, value[p.field.name], `${where}.${p.field.name}`, p.element, value);
  }
}

/**
 * Encodes a field record's payload into `out` at `at` (which must be zeroed and hold payloadSize bytes).
 * Throws EncodeError naming the record and field for a value the schema cannot hold.
 */
export function encodePayloadInto(spec: RecordSpec, value: Struct, out: Uint8Array, at: number): void {
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  writeStruct(dv, at, spec.layout, value, spec.name);
}

/** The bytes of a string payload: UTF-8 plus the terminating NUL. Throws EncodeError on an embedded NUL. */
export function encodeStringPayload(text: string): Uint8Array {
  const b = utf8.encode(text);
  if (b.includes(0)) throw new EncodeError(`string: embedded NUL in '${text.slice(0, 40)}'`);
  const out = new Uint8Array(b.length + 1);
  out.set(b);
  return out;
}

function zeroOf(f: Field, el: StructLayout | undefined): unknown {
  switch (f.kind) {
    case 'x64': return 0n;
    case 'bytes': return new Uint8Array(f.size);
    case 'chars': return '';
    case 'enum': {
      const zero = Object.keys(f.values).find((k) => f.values[k] === 0);
      return zero ?? Object.keys(f.values)[0];
    }
    case 'array': return typeof f.count === 'number' && el ? Array.from({ length: f.count }, () => zeroStruct(el)) : [];
    default: return 0;
  }
}

function zeroStruct(layout: StructLayout): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of layout.fields) if (p.field.kind !== 'pad') out[p.field.name] = zeroOf(p.field, p.element);
  return out;
}

/**
 * A value of record `spec` with every field zero (0, 0n, zero bytes, '', the enum name for 0 or the
 * first one, fixed arrays of zero entries, empty counted arrays). Producers spread it and set what they know.
 */
export function zeroPayloadValue(spec: RecordSpec): Record<string, unknown> {
  return zeroStruct(spec.layout);
}
