// The image grammar as a pull parser: yields "need N bytes" requests and decoded items; drivers feed it bytes.
import { crc32 } from './crc32';
import { decodePayload, decodeStringPayload } from './decode';
import { ImageError, failImage } from './errors';
import type { FollowSpec, RecordSpec } from './record-spec';
import {
  FORMAT_VERSION, ImageItem, KERNEL_CONSTANTS, MAGIC_HEAD, MAGIC_TAIL, MAX_BUFFER, MAX_PAGES_PER_ARRAY, MAX_STRING,
  PAGE_SIZE, RESERVED, definersOf, recordByType, recordLabel,
} from './schema';
import { ImageValidator } from './validate';

/** A number asks the driver for exactly that many bytes (fewer only at the end of the image). */
export type ParseStep = number | ImageItem;
export interface ParseOptions {
  /** Run the semantic checks of validate.ts on every item (default true). */
  readonly validate?: boolean;
  /**
   * CRC-32 of the image's first `end` bytes, when the caller has it already (readSummedFd computes it
   * while reading): the tail's checksum is checked against it, and the parser does not checksum the
   * bytes again.
   */
  readonly prefixCrc?: (end: number) => number;
}

interface Expect { readonly f: FollowSpec; readonly parent: string; readonly parentOffset: number; readonly length: number | null }

const align8 = (n: number): number => (n + 7) & ~7;
const hex = (v: bigint | number): string => `0x${v.toString(16)}`;

/**
 * Parses an image of `total` bytes (null when the length is unknown, e.g. a pipe). Yields numbers
 * (byte requests, answered through `next(bytes)`) and ImageItems (answered with `next()`). Throws
 * ImageError for anything malformed, before yielding any part of the bad record.
 */
export function* parseImage(total: number | null, opts: ParseOptions = {}): Generator<ParseStep, void, Uint8Array | undefined> {
  const validator = opts.validate === false ? null : new ImageValidator();
  const prefixCrc = opts.prefixCrc;
  const summing = prefixCrc === undefined;
  let off = 0, crc = 0, nrec = 0, pageSize = PAGE_SIZE;
  const follow: Expect[] = [];
  const objs = new Map<number, string>();
  let maxRef = 0;
  let announced: { objtype: string; ref: number; offset: number } | null = null;
  let addrs: readonly number[] = [];
  let tailOffset = 0;

  function* take(n: number, label: string, at: number): Generator<ParseStep, Uint8Array, Uint8Array | undefined> {
    if (n === 0) return new Uint8Array(0);
    const b = yield n;
    const got = b ? b.length : 0;
    if (!b || got < n) failImage(label, at, `truncated: the image ends at offset ${off + got}, ${n - got} bytes short`);
    if (summing) crc = crc32(b, crc);
    off += n;
    return b;
  }
  function* emit(item: ImageItem): Generator<ParseStep, void, Uint8Array | undefined> {
    validator?.check(item);
    yield item;
  }

  for (;;) {
    const hoff = off;
    const crcBefore = crc;
    const nextLabel = follow.length ? follow[0].f.record : 'tail';
    if (total !== null && off >= total) failImage(nextLabel, off, 'truncated: the image ends before its tail record');
    const h = yield* take(8, nextLabel, hoff);
    const hv = new DataView(h.buffer, h.byteOffset, 8);
    const type = hv.getUint32(0, true), len = hv.getUint32(4, true);
    const label = recordLabel(type);
    const spec: RecordSpec | undefined = recordByType(type);
    if (nrec === 0 && type !== 1) failImage(label, hoff, `not a crfs image: the first record is type ${type}, expected head (1)`);
    if (!spec) {
      failImage(label, hoff, RESERVED.some((r) => r.type === type) ? `reserved record type ${type} is not supported` : `unknown record type ${type}`);
    }
    if (len < 8) failImage(label, hoff, `length ${len} is below the 8-byte header`);
    const padded = align8(len);
    if (total !== null && hoff + padded > total) failImage(label, hoff, `length ${len} overruns the image (${total - hoff} bytes left)`);
    const plen = len - 8;

    const exp = follow.shift();
    if (exp) {
      if (exp.f.record !== spec.name) failImage(label, hoff, `expected ${exp.f.record} '${exp.f.role}' after '${exp.parent}' at offset ${exp.parentOffset}`);
      if (exp.length !== null && plen !== exp.length) {
        failImage(label, hoff, `length ${len} does not match its parent '${exp.parent}' at offset ${exp.parentOffset} (${exp.length + 8})`);
      }
    } else if (spec.variable) {
      failImage(label, hoff, 'a string or buffer record with no record before it to give it meaning');
    }
    if (announced) {
      if (spec.objtype !== announced.objtype) failImage(label, hoff, `objref ${announced.ref} at offset ${announced.offset} announces a ${announced.objtype}, but a '${label}' follows`);
      objs.set(announced.ref, announced.objtype);
      announced = null;
    } else if (spec.objtype) {
      failImage(label, hoff, `shared object without an objref record announcing it`);
    }
    nrec++;
    const role = exp ? exp.f.role : null;

    if (spec.variable === 'bytes' && role === 'pages') {
      // One request and one CRC call for the whole array; a short read fails as the first short page would.
      const n = plen / pageSize;
      const start = off;
      const b = plen === 0 ? new Uint8Array(0) : yield plen;
      const got = b ? b.length : 0;
      if (!b || got < plen) {
        const whole = Math.floor(got / pageSize);
        failImage(label, hoff, `truncated: the image ends at offset ${start + got}, ${pageSize - (got - whole * pageSize)} bytes short`);
      }
      if (summing) crc = crc32(b, crc);
      off += plen;
      const pages: Uint8Array[] = new Array(n);
      // The constructor, not subarray (a third slower: it looks up the species): a 1 GiB image has 262,144 pages.
      const { buffer, byteOffset } = b;
      for (let i = 0; i < n; i++) pages[i] = new Uint8Array(buffer, byteOffset + i * pageSize, pageSize);
      const item: ImageItem = { kind: 'pages', name: 'buffer', type: 4, offset: hoff, len, role: 'pages', addrs, pages };
      validator?.check(item);
      yield item;
    } else if (spec.variable === 'bytes' && role === 'addresses') {
      const data = yield* take(plen, label, hoff);
      const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
      const list: number[] = [];
      for (let i = 0; i < plen; i += 8) {
        const hi = dv.getUint32(i + 4, true);
        if (hi > 0x1fffff) failImage(label, hoff, `page address ${hex(dv.getBigUint64(i, true))} exceeds 2^53`);
        list.push(hi * 4294967296 + dv.getUint32(i, true));
      }
      addrs = list;
      yield* emit({ kind: 'addresses', name: 'buffer', type: 4, offset: hoff, len, role: 'addresses', addrs: list });
    } else if (spec.variable === 'bytes') {
      if (plen > MAX_BUFFER) failImage(label, hoff, `buffer of ${plen} bytes exceeds the ${MAX_BUFFER}-byte limit`);
      const data = yield* take(plen, label, hoff);
      yield* emit({ kind: 'buffer', name: 'buffer', type: 4, offset: hoff, len, role, data });
    } else if (spec.variable === 'string') {
      if (plen > MAX_STRING) failImage(label, hoff, `string of ${plen} bytes exceeds the ${MAX_STRING}-byte limit`);
      const text = decodeStringPayload(label, yield* take(plen, label, hoff), hoff);
      yield* emit({ kind: 'string', name: spec.name as 'string' | 'file_name', type: spec.type as 5 | 303, offset: hoff, len, role, text });
    } else {
      if (spec.layout.trailing < 0 && plen !== spec.layout.fixedSize) failImage(label, hoff, `length ${len} does not match the schema (${spec.layout.fixedSize + 8})`);
      if (plen > MAX_BUFFER) failImage(label, hoff, `length ${len} exceeds the ${MAX_BUFFER}-byte limit`);
      const value = decodePayload(spec, yield* take(plen, label, hoff), hoff);
      checkObjrefs(spec, value, objs, hoff);
      if (spec.name === 'head') pageSize = checkHead(value, hoff);
      if (spec.name === 'objref') {
        const ref = value.objref as number, objtype = value.objtype as string;
        if (ref <= 0) failImage(label, hoff, `objref ${ref} is not positive`);
        if (objs.has(ref)) failImage(label, hoff, `objref ${ref} is defined twice`);
        if (ref !== maxRef + 1) failImage(label, hoff, `objref ${ref} out of order (expected ${maxRef + 1})`);
        if (definersOf(objtype).length === 0) failImage(label, hoff, `objtype ${objtype} cannot be defined in a crfs image`);
        maxRef = ref;
        announced = { objtype, ref, offset: hoff };
      }
      if (spec.name === 'tail') {
        if (value.magic !== MAGIC_TAIL) failImage(label, hoff, `wrong tail magic ${hex(value.magic as bigint)}, expected ${hex(MAGIC_TAIL)}`);
        if (value.nr_records !== nrec - 1) failImage(label, hoff, `record count ${String(value.nr_records)}, but ${nrec - 1} records precede the tail`);
        const computed = summing ? crcBefore : prefixCrc(hoff);
        if (value.checksum !== computed) failImage(label, hoff, `bad checksum ${hex(value.checksum as number)}, computed ${hex(computed)}`);
      }
      queueFollowers(spec, value, hoff, pageSize, follow, total === null ? null : total - hoff - padded);
      const pad = yield* take(padded - len, label, hoff);
      if (pad.some((b) => b !== 0)) failImage(label, hoff, 'nonzero padding');
      yield* emit({ kind: 'record', name: spec.name, type: spec.type, offset: hoff, len, value } as ImageItem);
      if (spec.name === 'tail') { tailOffset = hoff; break; }
      continue;
    }
    const pad = yield* take(padded - len, label, hoff);
    if (pad.some((b) => b !== 0)) failImage(label, hoff, 'nonzero padding');
  }
  if (total !== null) {
    if (off !== total) failImage('tail', tailOffset, `${total - off} bytes after the tail`);
  } else {
    const extra = yield 1;
    if (extra && extra.length > 0) failImage('tail', tailOffset, 'data after the tail');
  }
  validator?.finish(tailOffset);
}

function checkObjrefs(spec: RecordSpec, value: Record<string, unknown>, objs: ReadonlyMap<number, string>, at: number): void {
  for (const p of spec.layout.fields) {
    const f = p.field;
    if (f.kind !== 'objref') continue;
    const v = value[f.name] as number;
    if (v === 0) continue;
    const t = objs.get(v);
    if (v < 0 || t === undefined) failImage(spec.name, at, `${f.name} ${v} is used before it is defined`);
    if (t !== f.objtype) failImage(spec.name, at, `${f.name} ${v} is a ${t}, expected ${f.objtype}`);
  }
}

function checkHead(v: Record<string, unknown>, at: number): number {
  if (v.magic !== MAGIC_HEAD) failImage('head', at, `wrong magic ${hex(v.magic as bigint)}, expected ${hex(MAGIC_HEAD)}`);
  if (v.rev !== FORMAT_VERSION) failImage('head', at, `format version ${String(v.rev)}, expected ${FORMAT_VERSION}`);
  if (v.arch_id !== 'riscv64') failImage('head', at, `arch ${String(v.arch_id)}, expected riscv64`);
  if (v.page_size !== PAGE_SIZE) failImage('head', at, `page size ${String(v.page_size)}, expected ${PAGE_SIZE}`);
  for (const [k, want] of Object.entries(KERNEL_CONSTANTS)) {
    if (v[k] !== want) failImage('head', at, `kernel constant ${k} ${String(v[k])}, expected ${want}`);
  }
  return PAGE_SIZE;
}

/** Queues the records `spec` says follow; checks counts against the limits and the bytes left. */
function queueFollowers(spec: RecordSpec, v: Record<string, unknown>, at: number, pageSize: number, follow: Expect[], left: number | null): void {
  if ((spec.name === 'pgarr' || spec.name === 'pgref') && (v.nr_pages as number) > MAX_PAGES_PER_ARRAY) {
    failImage(spec.name, at, `nr_pages ${String(v.nr_pages)} exceeds ${MAX_PAGES_PER_ARRAY} per array`);
  }
  let need = 0;
  const queued: Expect[] = [];
  for (const f of spec.followedBy) {
    let length: number | null = null;
    if (f.length) {
      const count = v[f.length.field] as number;
      if (count === 0) continue;
      length = count * (f.length.unit === 'page' ? pageSize : f.length.unit);
      if (length > MAX_BUFFER) failImage(spec.name, at, `${f.length.field} ${count} would need ${length} bytes, above the ${MAX_BUFFER}-byte limit`);
    }
    need += 8 + align8(length ?? 1);
    queued.push({ f, parent: spec.name, parentOffset: at, length });
  }
  if (left !== null && need > left) failImage(spec.name, at, `its records would need ${need} bytes, only ${left} are left`);
  follow.unshift(...queued);
}

export { ImageError };
