// imageTree(): the crfs directory view of a stored image, checked to convert back to the same bytes.
import type { Node } from '../fs/node';
import type { Superblock } from '../fs/superblock';
import { readImageItems } from '../image/codec';
import type { ImageItem } from '../image/schema';
import { TreeBuilder } from './build-tree';
import { emitModel } from './emit-image';
import { TreeError } from './errors';
import type { CheckpointModel } from './model';
import { parseModel } from './parse-image';
import { VerifyRecordSink } from './sinks';

export interface ImageTreeOptions {
  /** A control node placed first in the root as `done` (live mounts only). */
  readonly done?: Node;
}

export interface ImageTree {
  /** The root directory; subtrees are built on first lookup. */
  readonly root: Node;
  readonly model: CheckpointModel;
  /**
   * Declares every shared leaf's link count to `sb` (the mount's superblock, before it serves):
   * leaves built so far at once, later ones as they are built, so st_nlink is exact at first sight.
   */
  link(sb: Superblock): void;
  /** Places (directories showing it) of the object with image objref `id`; its files' st_nlink. */
  placesOf(id: number): number;
  /** The checkpoint's time (the head's `time`) in ms since the epoch: a good mount time. */
  readonly timeMs: number;
}

/**
 * The tree of an image (its bytes, or its items from readImageItems: page data stays in the image,
 * never copied). Throws ImageError for bytes that are not a valid image, and TreeError when the
 * image does not follow the record order the tree implies (layout.ts), since its tree would then
 * convert back to other bytes.
 */
export function imageTree(image: Uint8Array | readonly ImageItem[], opts: ImageTreeOptions = {}): ImageTree {
  const items = image instanceof Uint8Array ? readImageItems(image) : image;
  const model = parseModel(items);
  emitModel(model, new VerifyRecordSink(items));
  const seen = new Set<string>();
  for (const id of model.rootObjects) {
    const t = model.objects.get(id)?.objtype ?? '';
    if (seen.has(t)) throw new TreeError('image', `two ${t} objects are defined before the task tree; the root shows one per objtype`);
    seen.add(t);
  }
  const builder = new TreeBuilder(model, { done: opts.done });
  const time = model.prologue[0].value.time;
  return {
    root: builder.root,
    model,
    link: (sb) => builder.link(sb),
    placesOf: (id) => builder.placesOf(id),
    timeMs: typeof time === 'bigint' ? Number(time / 1_000_000n) : 0,
  };
}
