// Hostile variants of a real checkpoint image, each with the record (and where fixed, the offset) its rejection must name.
import { MAGIC_HEAD } from '../../lib/crfs/image/schema';
import { readImageItems } from '../../lib/crfs/image/codec';
import { fieldOffset, findRecord, patchU32, patchU64, recordOffsets, resealTail } from '../image/image-bytes';

export interface HostileImage {
  title: string;
  image: Buffer;
  /** The record type the one-line error must name, or null when any record may be the one found wrong. */
  record: string | null;
  /** The exact offset it must name, or null: then any offset up to `maxOffset`. */
  offset: number | null;
  maxOffset: number;
}

const TREE_ENTRY = 24;
const TREE_PIDS = 8;

/**
 * Variants of `good` (a valid image with at least two tasks, a pipe and pages): wrong magic, version
 * and arch; truncations at several offsets; a length overrunning the file; a bad checksum; an unknown
 * record type; an objref used before its definition; a duplicate pid; overlapping VMAs; an fd out of range.
 */
export function hostileImages(good: Buffer): HostileImage[] {
  const out: HostileImage[] = [];
  const add = (title: string, image: Buffer, record: string | null, offset: number | null, maxOffset = image.length): void => {
    out.push({ title, image, record, offset, maxOffset });
  };
  const offsets = recordOffsets(good);
  const items = readImageItems(good);

  add('wrong magic', patchU64(good, 'head', 'magic', MAGIC_HEAD ^ 1n).image, 'head', 0);
  const version = Buffer.from(good);
  version.writeUInt16LE(2, 8 + fieldOffset('head', 'rev'));
  add('wrong format version', resealTail(version), 'head', 0);
  const arch = Buffer.from(good);
  arch.writeUInt16LE(2, 8 + fieldOffset('head', 'arch_id'));
  add('wrong arch (x86_64)', resealTail(arch), 'head', 0);

  const page = items.find((i) => i.kind === 'pages');
  const tree = findRecord(good, 'tree').offset;
  const cuts = [0, 5, 8, 41, tree, tree + 12, page ? page.offset + 8 + 2049 : Math.floor(good.length / 2), good.length - 24, good.length - 1];
  for (const cut of cuts) add(`truncated to ${cut} bytes`, Buffer.from(good.subarray(0, cut)), null, null, cut);

  const overrun = Buffer.from(good);
  overrun.writeUInt32LE(0x7ffffff0, tree + 4);
  add('a record length overrunning the file', overrun, 'tree', tree);

  if (page) {
    const sum = Buffer.from(good);
    sum[page.offset + 8 + 100] ^= 0x40;
    add('a bad checksum (a page byte flipped)', sum, 'tail', good.length - 24);
  }

  const mid = offsets[Math.floor(offsets.length / 2)];
  const unknown = Buffer.from(good);
  unknown.writeUInt32LE(7777, mid);
  add('an unknown record type', resealTail(unknown), 'type 7777', mid);

  const early = patchU32(good, 'task_objs', 'files_objref', 999999);
  add('an objref used before it is defined', early.image, 'task_objs', early.offset);

  const dup = Buffer.from(good);
  dup.writeInt32LE(dup.readInt32LE(tree + 8 + TREE_PIDS), tree + 8 + TREE_PIDS + TREE_ENTRY);
  add('a duplicate pid in the tree', resealTail(dup), null, null);

  const vmas = items.filter((i) => i.kind === 'record' && i.name === 'vma');
  if (vmas.length >= 2) {
    const first = vmas[0].kind === 'record' && vmas[0].name === 'vma' ? vmas[0].value : null;
    if (first) add('overlapping VMAs', patchU64(good, 'vma', 'vm_start', BigInt(first.vm_start), 1).image, 'vma', vmas[1].offset);
    add('a misaligned VMA', patchU64(good, 'vma', 'vm_end', BigInt((first?.vm_end ?? 0x10000) + 1), 0).image, 'vma', vmas[0].offset);
  }

  const fd = patchU32(good, 'file_desc', 'fd_descriptor', 1 << 30);
  add('an fd out of range', fd.image, 'file_desc', fd.offset);
  return out;
}
