// The hidden --export-root DIR: the container's final memfs root, copied into a host directory for tests.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Link } from '@jsonjoy.com/fs-core';
import type { RootFs } from '../../emukernel/fs/rootfs';
import { inodeOf } from '../../emukernel/fs/dentry';

export interface ExportCounts {
  files: number;
  dirs: number;
  symlinks: number;
  /** Device nodes, fifos and sockets: they have no content to copy. */
  skipped: number;
}

const PERM_BITS = 0o7777;

/**
 * Copies every entry under the root of `rootfs` into the existing empty host directory `hostDir`:
 * regular files with their content and permission bits, directories (their modes applied after
 * their contents, so a read-only directory can still be filled), and symlinks with their targets.
 * Hard links become separate copies. Returns what was copied; throws the host fs error if a write fails.
 */
export function exportRootTo(rootfs: RootFs, hostDir: string): ExportCounts {
  const counts: ExportCounts = { files: 0, dirs: 0, symlinks: 0, skipped: 0 };
  copyChildren(rootfs.root, hostDir, counts);
  return counts;
}

function copyChildren(dir: Link, hostDir: string, counts: ExportCounts): void {
  for (const [name, child] of dir.children) {
    if (child === undefined || name === '.' || name === '..') continue;
    const inode = inodeOf(child);
    const to = path.join(hostDir, name);
    if (inode.isDir()) {
      fs.mkdirSync(to);
      copyChildren(child, to, counts);
      fs.chmodSync(to, inode.mode & PERM_BITS);
      counts.dirs++;
    } else if (inode.isRegular()) {
      fs.writeFileSync(to, inode.readAt(0, inode.byteSize));
      fs.chmodSync(to, inode.mode & PERM_BITS);
      counts.files++;
    } else if (inode.isLink()) {
      fs.symlinkSync(inode.symlink, to);
      counts.symlinks++;
    } else {
      counts.skipped++;
    }
  }
}
