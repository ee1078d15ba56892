// fast-check arbitraries derived from the schema: any value a field record can hold.
import fc from 'fast-check';
import type { Field, StructLayout } from '../../lib/crfs/image/fields';

function fieldArb(f: Field, layout: StructLayout): fc.Arbitrary<unknown> {
  switch (f.kind) {
    case 'u8': return fc.integer({ min: 0, max: 0xff });
    case 'u16': return fc.integer({ min: 0, max: 0xffff });
    case 'u32': return fc.nat({ max: 0xffffffff });
    case 's32': case 'objref': return fc.integer({ min: -0x80000000, max: 0x7fffffff });
    case 'u64': return fc.maxSafeNat();
    case 's64': return fc.maxSafeInteger();
    case 'x64': return fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    case 'bytes': return fc.uint8Array({ minLength: f.size, maxLength: f.size });
    case 'chars': return fc.string({ unit: fc.constantFrom(...'abcXYZ09_-/[]. é'.split('')), maxLength: Math.floor((f.size - 1) / 2) });
    case 'enum': return fc.constantFrom(...Object.keys(f.values));
    case 'pad': return fc.constant(undefined);
    case 'array': {
      const el = layout.fields.find((p) => p.field === f)?.element;
      if (!el) return fc.constant([]);
      const item = structArb(el);
      return typeof f.count === 'number' ? fc.array(item, { minLength: f.count, maxLength: f.count }) : fc.array(item, { maxLength: 5 });
    }
  }
}

/** Any value of a struct layout; a counted array's count field is set to the array's length. */
export function structArb(layout: StructLayout): fc.Arbitrary<Record<string, unknown>> {
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  for (const p of layout.fields) if (p.field.kind !== 'pad') parts[p.field.name] = fieldArb(p.field, layout);
  return fc.record(parts).map((v) => {
    const out: Record<string, unknown> = { ...v };
    for (const p of layout.fields) {
      const f = p.field;
      if (f.kind === 'array' && typeof f.count === 'string') out[f.count] = (out[f.name] as unknown[]).length;
    }
    return out;
  });
}
