// Which objects a record or object refers to, and which it shows inline: for definition order and link counts.
import type { Field } from '../image/fields';
import { HIDDEN_DEFAULT_FROM, shownFields } from './layout';
import type { Obj, Rec } from './model';
import { isZeroValue } from './render';

/** Whether a field the schema hides holds its default (and so is left out of the tree). */
export function isHiddenDefault(rec: Rec, f: Field): boolean {
  const from = HIDDEN_DEFAULT_FROM[`${rec.spec.name}.${f.name}`];
  const v = rec.value[f.name];
  return from !== undefined ? v === rec.value[from] : isZeroValue(f, v);
}

/** Nonzero objref values of `rec`'s fields and of its attached records, in field order. */
export function refsOfRec(rec: Rec): number[] {
  const out: number[] = [];
  for (const f of rec.spec.fields) {
    if (f.kind !== 'objref') continue;
    const v = rec.value[f.name] as number;
    if (v !== 0) out.push(v);
  }
  for (const a of rec.attached) out.push(...refsOfRec(a));
  return out;
}

/** Descriptors in the order the image writes them (ascending fd). */
export function sortedFds(obj: Obj): readonly Rec[] {
  return [...(obj.fds ?? [])].sort((a, b) => (a.value.fd_descriptor as number) - (b.value.fd_descriptor as number));
}

/** Distinct files a table's descriptors name, in descriptor order: the table's `files/<id>` entries. */
export function tableFiles(obj: Obj): number[] {
  const seen = new Set<number>();
  const out: number[] = [];
  for (const fd of sortedFds(obj)) {
    const id = fd.value.fd_objref as number;
    if (!seen.has(id)) { seen.add(id); out.push(id); }
  }
  return out;
}

/** Everything an object's records refer to (its record, attached records and body). */
export function objrefsOf(obj: Obj): number[] {
  const out = refsOfRec(obj.rec);
  for (const fd of obj.fds ?? []) out.push(...refsOfRec(fd));
  for (const v of obj.vmas ?? []) out.push(...refsOfRec(v.rec));
  if (obj.context) out.push(...refsOfRec(obj.context));
  return out;
}

/** Objects `rec` shows inline (place fields that are shown), with repeats, including attached records. */
export function placesInRec(rec: Rec): number[] {
  const out: number[] = [];
  for (const { field, show } of shownFields(rec.spec)) {
    if (show.kind !== 'place') continue;
    const v = rec.value[field.name] as number;
    if (v === 0 || (show.hidden && isHiddenDefault(rec, field))) continue;
    out.push(v);
  }
  for (const a of rec.attached) out.push(...placesInRec(a));
  return out;
}

/** Objects placed directly inside one place of `obj`, with repeats (a table's files once each). */
export function placesInObject(obj: Obj): number[] {
  const out = placesInRec(obj.rec);
  if (obj.fds) {
    out.push(...tableFiles(obj));
    for (const fd of obj.fds) out.push(...placesInRec(fd));
  }
  for (const v of obj.vmas ?? []) out.push(...placesInRec(v.rec));
  if (obj.context) out.push(...placesInRec(obj.context));
  return out;
}
