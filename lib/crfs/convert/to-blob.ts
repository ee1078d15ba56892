// treeToBlob / tarToBlob: the blob a crfs tree stands for, byte for byte, re-validated as an image.
import { CollectSink, ImageError, readImageItems } from '../image/codec';
import { emitModel } from '../tree/emit-image';
import { TreeError } from '../tree/errors';
import { WriterRecordSink } from '../tree/sinks';
import { loadDirSnapshot } from './dir-source';
import { readTreeModel } from './read-tree';
import type { TreeSnapshot } from './snapshot';
import { collectBytes, parseTarSnapshot } from './tar-source';

/**
 * The image bytes of a tree snapshot: read it into the model, write it in the tree's record order,
 * then decode the result as any image is (so an edit that breaks the image fails here). Throws
 * TreeError naming the path at fault: for an image error, the tree path of the record it found.
 */
export function snapshotToBlob(s: TreeSnapshot): Buffer {
  const model = readTreeModel(s);
  const sink = new CollectSink();
  const out = new WriterRecordSink(sink);
  emitModel(model, out);
  const blob = sink.bytes();
  try {
    readImageItems(blob);
  } catch (e) {
    if (e instanceof ImageError) throw new TreeError(out.originOf(e.offset) ?? 'image', e.message);
    throw e;
  }
  return blob;
}

/**
 * The blob of the crfs tree in directory `dir` (an extracted tar, a `cp -a` copy, a live or stored
 * mount; a directory holding exactly one such tree also works). Reads asynchronously, so it may read
 * a mount served by this process. Rejects with TreeError as snapshotToBlob, or the fs error.
 */
export async function treeToBlob(dir: string): Promise<Buffer> {
  return snapshotToBlob(await loadDirSnapshot(dir));
}

/**
 * The blob of a tar of a crfs tree (GNU tar's default format, ustar or pax; with or without a
 * leading path component; hard-link entries are the objrefs). Rejects with TreeError for a damaged
 * archive or a tree as snapshotToBlob.
 */
export async function tarToBlob(tar: Uint8Array | AsyncIterable<Uint8Array>): Promise<Buffer> {
  const bytes = tar instanceof Uint8Array ? tar : await collectBytes(tar);
  return snapshotToBlob(parseTarSnapshot(bytes));
}
