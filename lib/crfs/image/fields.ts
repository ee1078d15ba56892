// Field kinds of the image schema: constructors, their TypeScript value types, and their C-like layout.

/** Integer kinds decoded as `number`; 64-bit ones must hold a safe integer (addresses, sizes, positions). */
export type IntKind = 'u8' | 'u16' | 'u32' | 's32' | 'u64' | 's64';

/** How a field shows in the crfs tree: decimal text + "\n", hex text + "\n", enum name + "\n", raw bytes, a hard link to the object. */
export type Render = 'dec' | 'hex' | 'name' | 'text' | 'raw' | 'link' | 'dir';

interface FieldBase<N extends string> {
  readonly name: N;
  /** One line: what the field means. */
  readonly meaning: string;
  /** The file it appears as in the crfs tree, or null when it is not shown (counts implied by the tree, padding). */
  readonly tree: string | null;
  readonly render: Render;
}

export interface IntField<N extends string = string> extends FieldBase<N> { readonly kind: IntKind }
/** Full-range unsigned 64-bit (signal masks, rlimits, magic numbers, realtime ns): decoded as `bigint`. */
export interface BigField<N extends string = string> extends FieldBase<N> { readonly kind: 'x64' }
export interface BytesField<N extends string = string> extends FieldBase<N> { readonly kind: 'bytes'; readonly size: number }
/** A fixed char array holding a NUL-padded UTF-8 string (comm, utsname). */
export interface CharsField<N extends string = string> extends FieldBase<N> { readonly kind: 'chars'; readonly size: number }
/** s32 reference to a shared object defined earlier in the image; 0 means none. */
export interface ObjrefField<N extends string = string> extends FieldBase<N> { readonly kind: 'objref'; readonly objtype: string }
export interface EnumField<N extends string = string, V extends Readonly<Record<string, number>> = Readonly<Record<string, number>>> extends FieldBase<N> {
  readonly kind: 'enum';
  readonly width: 'u16' | 'u32';
  readonly values: V;
}
/** An array of structs: a fixed count, or a count held by an earlier field (then it must be the last field). */
export interface ArrayField<N extends string = string, E extends readonly Field[] = readonly Field[]> extends FieldBase<N> {
  readonly kind: 'array';
  readonly count: number | string;
  readonly of: E;
}
/** Explicit padding (linux-cr's `_padding`): written as zeros, not part of the value. */
export interface PadField<N extends string = string> extends FieldBase<N> { readonly kind: 'pad'; readonly size: number }

export type Field = IntField | BigField | BytesField | CharsField | ObjrefField | EnumField | ArrayField | PadField;

/** The decoded value of one field. */
export type FieldValue<F> =
  F extends { kind: 'x64' } ? bigint :
  F extends { kind: 'bytes' } ? Uint8Array :
  F extends { kind: 'chars' } ? string :
  F extends { kind: 'enum'; values: infer V } ? keyof V & string :
  F extends { kind: 'array'; of: infer E extends readonly Field[] } ? StructValue<E>[] :
  number;

/** The decoded value of a list of fields: one property per non-padding field. */
export type StructValue<Fs extends readonly Field[]> = {
  [F in Exclude<Fs[number], { kind: 'pad' }> as F['name']]: FieldValue<F>;
};

type Tree = string | null | undefined;
const treeOf = (name: string, tree: Tree): string | null => (tree === undefined ? name : tree);

function int<K extends IntKind>(kind: K) {
  return <const N extends string>(name: N, meaning: string, tree?: Tree, render: Render = 'dec'): IntField<N> & { kind: K } =>
    ({ kind, name, meaning, tree: treeOf(name, tree), render });
}

export const u8 = int('u8');
export const u16 = int('u16');
export const u32 = int('u32');
export const s32 = int('s32');
export const u64 = int('u64');
export const s64 = int('s64');

export function x64<const N extends string>(name: N, meaning: string, tree?: Tree, render: Render = 'dec'): BigField<N> {
  return { kind: 'x64', name, meaning, tree: treeOf(name, tree), render };
}

export function bytes<const N extends string>(name: N, size: number, meaning: string, tree?: Tree): BytesField<N> {
  return { kind: 'bytes', name, size, meaning, tree: treeOf(name, tree), render: 'raw' };
}

export function chars<const N extends string>(name: N, size: number, meaning: string, tree?: Tree): CharsField<N> {
  return { kind: 'chars', name, size, meaning, tree: treeOf(name, tree), render: 'text' };
}

export function objref<const N extends string>(name: N, objtype: string, meaning: string, tree?: Tree): ObjrefField<N> {
  return { kind: 'objref', name, objtype, meaning, tree: treeOf(name, tree), render: 'link' };
}

export function enumOf<const N extends string, const V extends Readonly<Record<string, number>>>(
  name: N, width: 'u16' | 'u32', values: V, meaning: string, tree?: Tree,
): EnumField<N, V> {
  return { kind: 'enum', name, width, values, meaning, tree: treeOf(name, tree), render: 'name' };
}

export function arrayOf<const N extends string, const E extends readonly Field[]>(
  name: N, count: number | string, of: E, meaning: string, tree?: Tree,
): ArrayField<N, E> {
  return { kind: 'array', name, count, of, meaning, tree: treeOf(name, tree), render: 'dir' };
}

export function pad<const N extends string>(name: N, size: number): PadField<N> {
  return { kind: 'pad', name, size, meaning: 'padding (zero)', tree: null, render: 'raw' };
}

/** A field placed in its struct: byte offset from the start of the struct (or of the record payload). */
export interface PlacedField {
  readonly field: Field;
  readonly offset: number;
  /** For arrays: the element layout and its stride. */
  readonly element?: StructLayout;
}

/** A struct's layout following C's natural alignment, as linux-cr's headers lay theirs out. */
export interface StructLayout {
  readonly fields: readonly PlacedField[];
  /** Bytes up to the end of the last fixed field (a trailing variable array starts at `trailingOffset`). */
  readonly fixedSize: number;
  /** Size rounded to the alignment (the array stride when used as an element). */
  readonly stride: number;
  readonly align: number;
  /** Index of a trailing array whose count is held by another field, or -1. */
  readonly trailing: number;
  readonly trailingOffset: number;
}

const INT_SIZE: Readonly<Record<IntKind, number>> = { u8: 1, u16: 2, u32: 4, s32: 4, u64: 8, s64: 8 };

/** Byte size of a scalar field, or of a fixed array; 0 for a variable-count array. */
function sizeAndAlign(f: Field): { size: number; align: number; element?: StructLayout } {
  switch (f.kind) {
    case 'x64': return { size: 8, align: 8 };
    case 'bytes': case 'chars': case 'pad': return { size: f.size, align: 1 };
    case 'objref': return { size: 4, align: 4 };
    case 'enum': return f.width === 'u16' ? { size: 2, align: 2 } : { size: 4, align: 4 };
    case 'array': {
      const element = layoutStruct(f.of);
      const size = typeof f.count === 'number' ? element.stride * f.count : 0;
      return { size, align: element.align, element };
    }
    default: { const s = INT_SIZE[f.kind]; return { size: s, align: s }; }
  }
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/**
 * Lays out fields in order with natural alignment. Throws (a schema bug, not an image error) when a
 * counted array is not last, names a count field that does not precede it, or a name repeats.
 */
export function layoutStruct(fields: readonly Field[]): StructLayout {
  const placed: PlacedField[] = [];
  const seen = new Set<string>();
  let offset = 0, align = 1, trailing = -1, trailingOffset = 0;
  fields.forEach((f, i) => {
    if (seen.has(f.name)) throw new Error(`schema: field '${f.name}' declared twice`);
    seen.add(f.name);
    const sa = sizeAndAlign(f);
    offset = alignUp(offset, sa.align);
    align = Math.max(align, sa.align);
    placed.push({ field: f, offset, element: sa.element });
    if (f.kind === 'array' && typeof f.count === 'string') {
      if (i !== fields.length - 1) throw new Error(`schema: counted array '${f.name}' must be the last field`);
      const countName = f.count;
      const c = fields.find((g) => g.name === countName);
      if (!c || c.kind === 'array' || c.kind === 'x64' || c.kind === 'bytes' || c.kind === 'chars') {
        throw new Error(`schema: array '${f.name}' counts by '${countName}', which is not an earlier integer field`);
      }
      trailing = i;
      trailingOffset = offset;
    }
    offset += sa.size;
  });
  return { fields: placed, fixedSize: offset, stride: alignUp(offset, align), align, trailing, trailingOffset };
}
