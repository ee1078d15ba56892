// Reads one record back from its directory of field files, checking every value as the schema declares it.
import type { ArrayField, Field } from '../image/fields';
import type { RecordSpec } from '../image/record-spec';
import { zeroPayloadValue } from '../image/encode';
import { failTree, joinPath } from '../tree/errors';
import {
  ATTACHED, HEAD_CONSTANTS, HIDDEN_DEFAULT_FROM, OBJREF_FILE, classifyField, followerFile, recordDir, shownFields, specOf,
} from '../tree/layout';
import type { Rec, Value } from '../tree/model';
import { fileText, listLines, parseScalar, zeroField } from '../tree/render';
import type { EntryKind, TreeSnapshot } from './snapshot';

const utf8 = new TextEncoder();

/**
 * The directory bookkeeping of a tree read: every entry a reader uses is claimed, and `finish`
 * rejects whatever a directory holds beyond that (a typo'd or stray file would otherwise be lost).
 */
export abstract class RecordReader {
  private readonly claims = new Map<string, Set<string>>();

  constructor(protected readonly s: TreeSnapshot) {}

  /** Reads object `name` placed in `dir` (an objref field's directory); returns its number. */
  protected abstract readPlace(dir: string, name: string, objtype: string, definer: string | null): number;

  protected entries(dir: string): ReadonlyMap<string, EntryKind> {
    const e = this.s.list(dir);
    if (!e) failTree(dir, 'is missing (a directory of the crfs tree)');
    return e;
  }

  protected kindOf(dir: string, name: string): EntryKind | undefined {
    return this.s.list(dir)?.get(name);
  }

  protected claim(dir: string, name: string): void {
    let c = this.claims.get(dir);
    if (!c) { c = new Set(); this.claims.set(dir, c); }
    c.add(name);
  }

  /** Rejects entries of `dir` no reader claimed. */
  protected finish(dir: string): void {
    const c = this.claims.get(dir);
    for (const [name] of this.entries(dir)) {
      if (!c?.has(name)) failTree(joinPath(dir, name), 'is not part of the crfs tree layout here');
    }
  }

  /** Claims subdirectory `name` of `dir` if it exists; returns its path or undefined. */
  protected subdir(dir: string, name: string, required: boolean): string | undefined {
    const k = this.kindOf(dir, name);
    const p = joinPath(dir, name);
    if (k === undefined) {
      if (required) failTree(p, 'is missing');
      return undefined;
    }
    if (k !== 'dir') failTree(p, 'should be a directory');
    this.claim(dir, name);
    return p;
  }

  /** Claims file `name` of `dir` and returns its bytes, or undefined when absent and not required. */
  protected fileBytes(dir: string, name: string, required: boolean): Uint8Array | undefined {
    const k = this.kindOf(dir, name);
    const p = joinPath(dir, name);
    if (k === undefined) {
      if (required) failTree(p, 'is missing');
      return undefined;
    }
    if (k !== 'file') failTree(p, 'should be a file');
    this.claim(dir, name);
    return this.s.read(p) ?? failTree(p, 'cannot be read');
  }

  protected scalar(dir: string, name: string, f: Field, required: boolean): unknown {
    const b = this.fileBytes(dir, name, required);
    if (b === undefined) return undefined;
    const p = joinPath(dir, name);
    return parseScalar(p, f, fileText(p, b));
  }

  /** A positive integer file (an objref): the object's number in the tree. */
  protected objrefIn(dir: string, name = OBJREF_FILE): number {
    const v = this.scalar(dir, name, { kind: 's32', name, meaning: '', tree: name, render: 'dec' }, true) as number;
    if (v < 1) failTree(joinPath(dir, name), `objref ${v} is not positive`);
    return v;
  }

  /** Whether a merged, optional record shows in `dir`: one of its always-shown files is there. */
  private presentIn(spec: RecordSpec, dir: string): boolean {
    for (const { show } of shownFields(spec)) {
      if (show.kind !== 'none' && !('hidden' in show && show.hidden) && this.kindOf(dir, show.name) !== undefined) return true;
    }
    return false;
  }

  /**
   * Reads record `spec` from the files of `dir` (which the caller finishes): visible fields must be
   * there, hidden ones default, derived ones (counts, lengths, the head's constants) are computed;
   * followers and attached records are read too; objref fields read the object at that place.
   * Throws TreeError naming the file at fault.
   */
  protected readRecord(spec: RecordSpec, dir: string): Rec {
    const value = zeroPayloadValue(spec);
    const defaults: Array<[string, string]> = [];
    for (const { field, show } of shownFields(spec)) {
      switch (show.kind) {
        case 'none':
          break;
        case 'text': {
          const v = this.scalar(dir, show.name, field, !show.hidden);
          if (v !== undefined) value[field.name] = v;
          else if (HIDDEN_DEFAULT_FROM[`${spec.name}.${field.name}`]) defaults.push([field.name, HIDDEN_DEFAULT_FROM[`${spec.name}.${field.name}`]]);
          break;
        }
        case 'raw': {
          const b = this.fileBytes(dir, show.name, !show.hidden);
          if (b !== undefined) value[field.name] = this.exactBytes(joinPath(dir, show.name), b, field);
          break;
        }
        case 'byId':
          value[field.name] = this.objrefIn(dir, show.name);
          break;
        case 'place': {
          if (this.kindOf(dir, show.name) === undefined) {
            const from = HIDDEN_DEFAULT_FROM[`${spec.name}.${field.name}`];
            if (from) defaults.push([field.name, from]);
            break;
          }
          if (this.kindOf(dir, show.name) !== 'dir') failTree(joinPath(dir, show.name), 'should be a directory');
          value[field.name] = this.readPlace(dir, show.name, show.objtype, show.definer);
          break;
        }
        case 'list': {
          const b = this.fileBytes(dir, show.name, !show.hidden);
          if (b === undefined) break;
          const p = joinPath(dir, show.name);
          const el = show.element;
          value[field.name] = listLines(fileText(p, b)).map((line, i) => ({ [el.name]: parseScalar(`${p} line ${i + 1}`, el, line) }));
          break;
        }
        case 'entries': {
          if (field.kind !== 'array') break;
          const list = show.oneBased ? this.oneBasedEntries(spec, field, dir) : this.indexedEntries(spec, field, dir, show.name, !show.hidden);
          if (list) value[field.name] = list;
          break;
        }
      }
    }
    for (const [f, from] of defaults) value[f] = value[from];
    if (spec.name === 'head') Object.assign(value, HEAD_CONSTANTS);
    for (const f of spec.fields) {
      if (f.kind === 'array' && typeof f.count === 'string') value[f.count] = (value[f.name] as unknown[]).length;
    }
    const followers = this.readFollowers(spec, dir, value);
    const attached = this.readAttached(spec, dir, value);
    return { spec, value, followers, attached, where: dir };
  }

  private exactBytes(path: string, b: Uint8Array, f: Field): Uint8Array {
    if (f.kind === 'bytes' && b.length !== f.size) failTree(path, `holds ${b.length} bytes, expected ${f.size}`);
    return b;
  }

  private elementValue(spec: RecordSpec, f: ArrayField, dir: string): Value {
    const v: Value = {};
    for (const g of f.of) {
      const show = classifyField(spec, g, true);
      if (show.kind === 'none') continue;
      if (show.kind === 'text') v[g.name] = this.scalar(dir, show.name, g, !show.hidden) ?? zeroField(g);
      else if (show.kind === 'raw') {
        const b = this.fileBytes(dir, show.name, !show.hidden);
        v[g.name] = b === undefined ? zeroField(g) : this.exactBytes(joinPath(dir, show.name), b, g);
      }
    }
    this.finish(dir);
    return v;
  }

  /** `<name>/0..n-1/` element directories (a fixed count must be met exactly). */
  private indexedEntries(spec: RecordSpec, f: ArrayField, dir: string, name: string, required: boolean): Value[] | undefined {
    const p = this.subdir(dir, name, required);
    if (p === undefined) return undefined;
    const n = this.entries(p).size;
    const out: Value[] = [];
    for (let i = 0; i < n; i++) {
      const e = this.subdir(p, String(i), true) as string;
      out.push(this.elementValue(spec, f, e));
    }
    if (typeof f.count === 'number' && n !== f.count) failTree(p, `holds ${n} entries, expected ${f.count}`);
    this.finish(p);
    return out;
  }

  /** Elements 1..count as directories of the record's own directory (`<signal>`). */
  private oneBasedEntries(spec: RecordSpec, f: ArrayField, dir: string): Value[] {
    const n = typeof f.count === 'number' ? f.count : 0;
    const out: Value[] = [];
    for (let i = 1; i <= n; i++) out.push(this.elementValue(spec, f, this.subdir(dir, String(i), true) as string));
    return out;
  }

  private readFollowers(spec: RecordSpec, dir: string, value: Value): Map<string, string | Uint8Array> {
    const out = new Map<string, string | Uint8Array>();
    for (const fl of spec.followedBy) {
      const name = followerFile(fl.role);
      const b = this.fileBytes(dir, name, false);
      const p = joinPath(dir, name);
      let bytes = 0;
      if (b !== undefined) {
        if (fl.record === 'buffer') { out.set(fl.role, b); bytes = b.length; } else {
          const text = fileText(p, b);
          out.set(fl.role, text);
          bytes = utf8.encode(text).length + 1;
        }
      }
      if (!fl.length) continue;
      const unit = fl.length.unit === 'page' ? 4096 : fl.length.unit;
      if (bytes % unit !== 0) failTree(p, `holds ${bytes} bytes, not a multiple of ${unit}`);
      const count = bytes / unit;
      const lenField = spec.fields.find((f) => f.name === fl.length?.field);
      if (lenField && lenField.tree !== null && value[lenField.name] !== count) {
        failTree(joinPath(dir, lenField.tree), `says ${String(value[lenField.name])}, but ${name} holds ${count === 0 ? 'nothing' : `${bytes} bytes`}`);
      }
      value[fl.length.field] = count;
    }
    return out;
  }

  private readAttached(spec: RecordSpec, dir: string, value: Value): Rec[] {
    const out: Rec[] = [];
    for (const a of ATTACHED[spec.name] ?? []) {
      const aspec = specOf(a.record);
      if (a.countField !== undefined) {
        const p = this.subdir(dir, a.dir ?? a.record, false);
        const n = p === undefined ? 0 : this.entries(p).size;
        for (let i = 0; i < n; i++) {
          const e = this.subdir(p as string, String(i), true) as string;
          out.push(this.readRecord(aspec, e));
          this.finish(e);
        }
        if (p !== undefined) this.finish(p);
        value[a.countField] = n;
        continue;
      }
      const d = recordDir(aspec);
      if (d === '') {
        if (a.required || this.presentIn(aspec, dir)) out.push(this.readRecord(aspec, dir));
        continue;
      }
      const p = this.subdir(dir, d, a.required === true);
      if (p === undefined) continue;
      out.push(this.readRecord(aspec, p));
      this.finish(p);
    }
    return out;
  }
}
