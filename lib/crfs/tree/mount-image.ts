// mountImage(): serve a stored image's tree read-only on a real FUSE mount.
import { Mounted, MountOptions, mountTree } from '../fs/fuse-adapter';
import { Superblock } from '../fs/superblock';
import type { ImageItem } from '../image/schema';
import { ImageTree, ImageTreeOptions, imageTree } from './image-tree';

export interface MountImageOptions extends Omit<MountOptions, 'superblock'>, ImageTreeOptions {}

/**
 * Mounts the tree of `image` at `dir` with one superblock whose link counts are declared before
 * the first request; times default to the checkpoint's time and the kernel may cache pages (an
 * image never changes). Rejects with ImageError/TreeError for an image it cannot show, or whatever
 * mountTree rejects with.
 */
export async function mountImage(
  image: Uint8Array | readonly ImageItem[], dir: string, opts: MountImageOptions = {},
): Promise<{ mounted: Mounted; tree: ImageTree }> {
  const tree = imageTree(image, opts);
  const sb = new Superblock(tree.root, { uid: opts.uid, gid: opts.gid, time: opts.time ?? tree.timeMs });
  tree.link(sb);
  const mounted = await mountTree(tree.root, dir, { kernelCache: true, ...opts, superblock: sb });
  return { mounted, tree };
}
