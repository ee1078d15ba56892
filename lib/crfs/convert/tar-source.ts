// Parses a tar archive (GNU tar's default gnu format, ustar, pax) into a snapshot: file data stays in the archive.
import { TreeError } from '../tree/errors';
import { MemorySnapshot, TreeSnapshot, checkpointRoot } from './snapshot';

const BLOCK = 512;
const fromUtf8 = new TextDecoder('utf-8');

function cString(b: Uint8Array, at: number, len: number): string {
  const field = b.subarray(at, at + len);
  const nul = field.indexOf(0);
  return fromUtf8.decode(nul < 0 ? field : field.subarray(0, nul));
}

/** A numeric header field: octal text, or GNU base-256 when the top bit of its first byte is set. */
function tarNumber(b: Uint8Array, at: number, len: number, where: string): number {
  if (b[at] & 0x80) {
    let v = b[at] & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + b[at + i];
    if (!Number.isSafeInteger(v)) throw new TreeError(where, 'tar: a size beyond 2^53');
    return v;
  }
  const s = cString(b, at, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new TreeError(where, `tar: bad number field '${s}'`);
  return parseInt(s, 8);
}

function checksumOk(h: Uint8Array, where: string): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
  return sum === tarNumber(h, 148, 8, where);
}

/** Normalizes an archive path: no leading ./ or /, no empty or `.` components; '' is the archive root. */
function normalize(p: string, where: string): string {
  const parts: string[] = [];
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') throw new TreeError(where, `tar: entry '${p}' leaves the archive`);
    parts.push(c);
  }
  return parts.join('/');
}

/** Keys of a pax extended header ("<len> key=value\n" records). */
function paxRecords(data: Uint8Array, where: string): Map<string, string> {
  const out = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    let sp = at;
    while (sp < data.length && data[sp] !== 0x20) sp++;
    const len = parseInt(fromUtf8.decode(data.subarray(at, sp)), 10);
    if (!Number.isSafeInteger(len) || len <= 0 || at + len > data.length) throw new TreeError(where, 'tar: malformed pax header');
    const rec = fromUtf8.decode(data.subarray(sp + 1, at + len - 1));
    const eq = rec.indexOf('=');
    if (eq > 0) out.set(rec.slice(0, eq), rec.slice(eq + 1));
    at += len;
  }
  return out;
}

/**
 * The snapshot of a tar archive's checkpoint tree (found with or without a leading path, see
 * checkpointRoot). Regular files are views of `tar`; hard-link entries share their target's bytes
 * and identity. Throws TreeError (`tar: …`) for a damaged archive, a symlink or device entry, or a
 * link to an entry not seen before it.
 */
export function parseTarSnapshot(tar: Uint8Array, source = 'tar'): TreeSnapshot {
  const snap = new MemorySnapshot();
  let at = 0;
  let longName: string | null = null;
  let longLink: string | null = null;
  let pax: Map<string, string> | null = null;
  while (at + BLOCK <= tar.length) {
    const h = tar.subarray(at, at + BLOCK);
    if (h.every((b) => b === 0)) break;
    const where = `${source}@${at}`;
    if (!checksumOk(h, where)) throw new TreeError(where, 'tar: bad header checksum (not a tar archive, or damaged)');
    const type = String.fromCharCode(h[156] || 0x30);
    const ustar = cString(h, 257, 6) === 'ustar' && h[262] === 0;
    const prefix = ustar ? cString(h, 345, 155) : '';
    let name = longName ?? pax?.get('path') ?? (prefix ? `${prefix}/${cString(h, 0, 100)}` : cString(h, 0, 100));
    const link = longLink ?? pax?.get('linkpath') ?? cString(h, 157, 100);
    const paxSize = pax?.get('size');
    const size = paxSize !== undefined ? Number(paxSize) : tarNumber(h, 124, 12, where);
    const dataAt = at + BLOCK;
    if (dataAt + size > tar.length) throw new TreeError(where, `tar: entry '${name}' is truncated`);
    const data = tar.subarray(dataAt, dataAt + size);
    at = dataAt + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'L') { longName = cString(data, 0, data.length); continue; }
    if (type === 'K') { longLink = cString(data, 0, data.length); continue; }
    if (type === 'x') { pax = paxRecords(data, where); continue; }
    if (type === 'g') continue;
    longName = null; longLink = null; pax = null;
    name = normalize(name, where);
    if (type === '5') {
      if (name !== '') snap.addDir(name);
    } else if (type === '0' || type === '7') {
      snap.addFile(name, data, `@${dataAt}`);
    } else if (type === '1') {
      const target = normalize(link, where);
      const bytes = snap.read(target);
      const id = snap.identity(target);
      if (bytes === undefined || id === undefined) throw new TreeError(name, `tar: hard link to '${target}', which is not an earlier file`);
      snap.addFile(name, bytes, id);
    } else {
      throw new TreeError(name, `tar: entry type '${type}' (only files, directories and hard links belong in a crfs tree)`);
    }
  }
  return checkpointRoot(snap, source);
}

/** All chunks of a stream as one buffer. */
export async function collectBytes(src: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const c of src) chunks.push(c);
  return Buffer.concat(chunks);
}
