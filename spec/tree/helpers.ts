// Test helpers for the crfs tree: an in-process snapshot of a node tree, temp mounts, tar and copy tools.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Mounted } from '../../lib/crfs/fs/fuse-adapter';
import type { Node } from '../../lib/crfs/fs/node';
import { Superblock } from '../../lib/crfs/fs/superblock';
import { MemorySnapshot, TreeSnapshot } from '../../lib/crfs/convert/snapshot';
import { ImageTree, imageTree } from '../../lib/crfs/tree/image-tree';
import { mountImage } from '../../lib/crfs/tree/mount-image';
import { makeTempDir } from '../crfsfs/toy-tree';

export { run, sh, makeTempDir } from '../crfsfs/toy-tree';

/** The tree of `image` with a superblock that has its links declared (no FUSE). */
export function treeWithSuperblock(image: Uint8Array): { tree: ImageTree; sb: Superblock } {
  const tree = imageTree(image);
  const sb = new Superblock(tree.root, { time: tree.timeMs });
  tree.link(sb);
  return { tree, sb };
}

/** Reads a node tree through its superblock (as FUSE would) into a snapshot; identity = inode number. */
export function snapshotOfNodes(sb: Superblock): TreeSnapshot {
  const snap = new MemorySnapshot();
  const walk = (node: Node, rel: string): void => {
    for (const { name, node: child } of sb.list(node)) {
      const p = rel === '' ? name : `${rel}/${name}`;
      if (child.isDirectory) { snap.addDir(p); walk(child, p); continue; }
      const buf = Buffer.alloc(child.size());
      child.readInto(buf, 0, buf.length);
      snap.addFile(p, buf, `ino:${sb.inodeOf(child)}`);
    }
  };
  walk(sb.root, '');
  return snap;
}

/** Every path of a node tree with its stat (for link-count checks without FUSE). */
export function listNodes(sb: Superblock): Map<string, { ino: number; nlink: number; size: number; mode: number; dir: boolean }> {
  const out = new Map<string, { ino: number; nlink: number; size: number; mode: number; dir: boolean }>();
  const walk = (node: Node, rel: string): void => {
    for (const { name, node: child } of sb.list(node)) {
      const p = rel === '' ? name : `${rel}/${name}`;
      const st = sb.statOf(child);
      out.set(p, { ino: st.ino, nlink: st.nlink, size: st.size, mode: st.mode, dir: child.isDirectory });
      if (child.isDirectory) walk(child, p);
    }
  };
  walk(sb.root, '');
  return out;
}

export interface ImageMount {
  readonly mnt: string;
  readonly scratch: string;
  readonly mounted: Mounted;
  readonly tree: ImageTree;
  dispose(): Promise<void>;
}

/** Mounts `image` at a temp dir (registry inside it); dispose() unmounts and removes everything. */
export async function mountTemp(image: Uint8Array): Promise<ImageMount> {
  const { dir, cleanup } = makeTempDir('crfs-tree-');
  const mnt = path.join(dir, 'mnt');
  const scratch = path.join(dir, 'scratch');
  await fsp.mkdir(scratch);
  const { mounted, tree } = await mountImage(image, mnt, { registryDir: path.join(dir, 'registry') });
  return {
    mnt, scratch, mounted, tree,
    dispose: async () => { try { await mounted.unmount(); } finally { cleanup(); } },
  };
}
