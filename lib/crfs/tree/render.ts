// Field values as the tree shows them (text lines, raw bytes) and back, with the checks an edited file needs.
import type { Field } from '../image/fields';
import { failTree } from './errors';

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

const INT_RANGE: Readonly<Record<string, readonly [number, number]>> = {
  u8: [0, 0xff], u16: [0, 0xffff], u32: [0, 0xffffffff], s32: [-0x80000000, 0x7fffffff], objref: [-0x80000000, 0x7fffffff],
  u64: [0, Number.MAX_SAFE_INTEGER], s64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};
const X64_MAX = (1n << 64n) - 1n;
const NUMBER_RE = /^([+-]?)(0x[0-9a-f]+|0o[0-7]+|0b[01]+|[0-9]+)$/i;

function hexOf(v: number | bigint): string {
  return v < 0 ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
}

/** One scalar field value as its text (no newline): decimal, 0x-hex, enum name or the chars. */
export function formatScalar(f: Field, v: unknown): string {
  switch (f.kind) {
    case 'enum': case 'chars': return String(v);
    case 'x64': return f.render === 'hex' ? hexOf(v as bigint) : String(v);
    default: return f.render === 'hex' ? hexOf(v as number) : String(v);
  }
}

/** The zero value of a scalar or byte-array field (0, 0n, '', the enum name of 0, zero bytes). */
export function zeroField(f: Field): unknown {
  switch (f.kind) {
    case 'x64': return 0n;
    case 'chars': return '';
    case 'bytes': return new Uint8Array(f.size);
    case 'enum': return Object.keys(f.values).find((k) => f.values[k] === 0) ?? Object.keys(f.values)[0];
    case 'array': return [];
    default: return 0;
  }
}

/** True when `v` is the zero value of `f` (0, 0n, the enum name of 0, '', all-zero bytes, no elements). */
export function isZeroValue(f: Field, v: unknown): boolean {
  switch (f.kind) {
    case 'x64': return v === 0n;
    case 'enum': return f.values[v as string] === 0;
    case 'chars': return v === '';
    case 'bytes': return (v as Uint8Array).every((b) => b === 0);
    case 'array': return (v as unknown[]).length === 0 || (typeof f.count === 'number' && (v as Record<string, unknown>[]).every((e) => f.of.every((g) => g.kind === 'pad' || isZeroValue(g, e[g.name]))));
    case 'pad': return true;
    default: return v === 0;
  }
}

/** The text of a file: UTF-8, with one trailing newline removed. Throws TreeError on invalid UTF-8. */
export function fileText(path: string, bytes: Uint8Array): string {
  let s: string;
  try {
    s = fromUtf8.decode(bytes);
  } catch {
    failTree(path, 'is not UTF-8 text');
  }
  return s.endsWith('\n') ? s.slice(0, -1) : s;
}

function parseInteger(path: string, text: string): bigint {
  const t = text.trim();
  const m = NUMBER_RE.exec(t);
  if (!m) failTree(path, `'${t.slice(0, 40)}' is not a number`);
  const mag = BigInt(m[2]);
  return m[1] === '-' ? -mag : mag;
}

/**
 * Parses the text of a scalar field's file (newline already removed). Accepts decimal or 0x-hex for
 * any integer, enum names, chars that fit. Throws TreeError naming `path` for anything the field
 * cannot hold.
 */
export function parseScalar(path: string, f: Field, text: string): unknown {
  switch (f.kind) {
    case 'enum': {
      const t = text.trim();
      if (!Object.prototype.hasOwnProperty.call(f.values, t)) failTree(path, `'${t.slice(0, 40)}' is not one of ${Object.keys(f.values).join(', ')}`);
      return t;
    }
    case 'chars': {
      const b = utf8.encode(text);
      if (b.includes(0)) failTree(path, 'holds a NUL byte');
      if (b.length >= f.size) failTree(path, `'${text.slice(0, 40)}' is longer than ${f.size - 1} bytes`);
      return text;
    }
    case 'x64': {
      const v = parseInteger(path, text);
      if (v < 0n || v > X64_MAX) failTree(path, `${v} is out of range 0..2^64-1`);
      return v;
    }
    case 'bytes': case 'array': case 'pad':
      throw new Error(`parseScalar: ${f.kind} field ${f.name} is not a scalar`);
    default: {
      const v = parseInteger(path, text);
      const [lo, hi] = INT_RANGE[f.kind];
      if (v < BigInt(lo) || v > BigInt(hi)) failTree(path, `${v} is out of range ${lo}..${hi}`);
      return Number(v);
    }
  }
}

/** The lines of a list file (one element per line; a trailing newline ends the last). */
export function listLines(text: string): string[] {
  if (text === '') return [];
  return text.split('\n');
}

/** A `<start>-<end>` run list line of a `pages` file, or of a VMA directory name: [start, end] pairs. */
export function parseRuns(path: string, line: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const tok of line.trim().split(/\s+/)) {
    if (tok === '') continue;
    const m = /^([0-9a-f]+)-([0-9a-f]+)$/i.exec(tok);
    if (!m) failTree(path, `'${tok.slice(0, 40)}' is not a <start>-<end> run of hex addresses`);
    const start = parseInt(m[1], 16), end = parseInt(m[2], 16);
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end <= start) failTree(path, `'${tok}' is not an ascending run`);
    out.push([start, end]);
  }
  return out;
}

/** Runs of consecutive pages as `<start>-<end>` tokens joined by spaces. */
export function formatRuns(addrs: readonly number[], pageSize: number): string {
  const toks: string[] = [];
  let i = 0;
  while (i < addrs.length) {
    const start = addrs[i];
    let end = start + pageSize;
    while (i + 1 < addrs.length && addrs[i + 1] === end) { i++; end += pageSize; }
    toks.push(`${start.toString(16)}-${end.toString(16)}`);
    i++;
  }
  return toks.join(' ');
}
