// Paths of open files and cwds against the tree's own root filesystem: an edited `target` must name the inode the file holds.
import { failTree, joinPath } from '../tree/errors';
import type { CheckpointModel, Rec, RootfsModel } from '../tree/model';

/** The follower holding the path each inode_ref-carrying record is restored by (restoredLink's `path`). */
const PATH_ROLE: Readonly<Record<string, string>> = { file: 'target', fs: 'cwd' };

/** name → child inode, per directory inode, from the rootfs_dentry records. */
function namesByDir(fs: RootfsModel): Map<number, Map<string, number>> {
  const out = new Map<number, Map<string, number>>();
  for (const d of fs.dentries) {
    const parent = d.value.parent_ino as number;
    let names = out.get(parent);
    if (!names) { names = new Map(); out.set(parent, names); }
    names.set(String(d.followers.get('name') ?? ''), d.value.child_ino as number);
  }
  return out;
}

/** The inode `path` leads to from the root, component by component as restart walks it ('.' and '..' lead nowhere). */
function resolve(fs: RootfsModel, names: Map<number, Map<string, number>>, path: string): number | undefined {
  let ino: number | undefined = fs.rec.value.root_ino as number;
  for (const part of path.split('/')) {
    if (part === '') continue;
    ino = part === '.' || part === '..' ? undefined : names.get(ino)?.get(part);
    if (ino === undefined) return undefined;
  }
  return ino;
}

/**
 * Checks every open file and cwd that names a root-filesystem inode: its path (`target`, `cwd`)
 * must lead, through the tree's rootfs/ entries, to the inode its `inode/ino` names, as restart
 * requires. A path that was edited to point elsewhere therefore needs that file in rootfs/ and
 * inode/ino set to it. Throws TreeError naming the path file; '' paths (unlinked files) and
 * inode 0 (a cwd not yet resolved) are restart's to judge.
 */
export function checkInodePaths(m: CheckpointModel): void {
  const fs = m.rootfs;
  if (!fs) return;
  let names: Map<number, Map<string, number>> | undefined;
  for (const obj of m.objects.values()) {
    const role: string | undefined = PATH_ROLE[obj.rec.spec.name];
    if (role === undefined) continue;
    const ref: Rec | undefined = obj.rec.attached.find((r) => r.spec.name === 'inode_ref');
    const path = obj.rec.followers.get(role);
    if (!ref || typeof path !== 'string' || path === '') continue;
    const want = ref.value.ino as number;
    if (want === 0) continue;
    names ??= namesByDir(fs);
    const got = resolve(fs, names, path);
    const at = joinPath(obj.rec.where, role);
    if (got === undefined) failTree(at, `${path} is not in rootfs/: give it an inode and an entry there, and its number in ${joinPath(ref.where, 'ino')}`);
    if (got !== want) failTree(at, `${path} is rootfs inode ${got}, but ${joinPath(ref.where, 'ino')} says ${want}`);
  }
}
