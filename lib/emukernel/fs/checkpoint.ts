// Checkpoint and restore of the fs layer's per-task objects (fd tables, fs contexts) and the restorer table.
import type { ObjType } from '../../crfs/image/record-spec';
import type { CheckpointContext, ObjectRestorer, RestoreContext } from '../checkpoint/context';
import { EBADF } from '../errno';
import { inodeOf } from './dentry';
import { FdTable } from './fdtable';
import type { OpenFile } from './file';
import { FsContext } from './fs-context';
import { checkpointFile, restoreFile, restorePipe } from './checkpoint-files';
import { isCheckpointedInode, restoredLink } from './checkpoint-rootfs';

export { checkpointRootfs, restoreRootfs } from './checkpoint-rootfs';
export { checkpointFile } from './checkpoint-files';

/**
 * The `file_table` objref of `files`, writing it on first sight: the table record, then per open fd
 * in ascending order the file (defined where first seen) and its `file_desc`. A table shared by
 * CLONE_FILES and a file shared by dup or fork are each written once. Fails the checkpoint
 * (ctx.fail, EBADF, "fd N: …") for a file that cannot be saved.
 */
export function checkpointFileTable(ctx: CheckpointContext, files: FdTable): number {
  return ctx.shared('file_table', files, () => {
    const entries = [...files.entries()];
    ctx.w.record('file_table', { fdt_nfds: entries.length });
    for (const [fd, e] of entries) {
      const ref = checkpointFile(ctx, e.file, `fd ${fd}`);
      ctx.w.record('file_desc', { fd_objref: ref, fd_descriptor: fd, fd_close_on_exec: e.cloexec ? 1 : 0 });
    }
  });
}

/**
 * The `fs` objref of `fs`, writing on first sight its umask, root ('/': no chroot), cwd path ('' once
 * the directory is removed) and the cwd's inode_ref (ino 0 for a cwd still given as a path).
 * Fails (EBADF) for a cwd outside the container's root filesystem.
 */
export function checkpointFs(ctx: CheckpointContext, fs: FsContext): number {
  return ctx.shared('fs', fs, () => {
    ctx.w.record('fs', { umask: fs.umask });
    ctx.w.string('/');
    const cwd = fs.cwd;
    if (typeof cwd === 'string') {
      ctx.w.string(cwd);
      ctx.w.record('inode_ref', { ino: 0 });
      ctx.w.string('');
      return;
    }
    const inode = inodeOf(cwd);
    if (!isCheckpointedInode(ctx, inode)) ctx.fail(EBADF, `cwd ino ${inode.ino} is not in the container's root filesystem`);
    ctx.w.string(ctx.k.rootfs.pathOf(cwd) ?? '');
    ctx.w.record('inode_ref', { ino: inode.ino });
    ctx.w.string(cwd.name);
  });
}

/** A file table: each descriptor takes its own reference on its (already restored) file. */
function restoreFileTable(r: RestoreContext): FdTable {
  const v = r.record('file_table');
  const table = new FdTable();
  let last = -1;
  for (let i = 0; i < v.fdt_nfds; i++) {
    r.takeObjects();
    const item = r.peek();
    const d = r.record('file_desc');
    if (d.fd_descriptor <= last) r.fail(item, `fd ${d.fd_descriptor} after fd ${last}: descriptors ascend`);
    last = d.fd_descriptor;
    const f = r.object<OpenFile>('file', d.fd_objref, `record 'file_desc' of fd ${d.fd_descriptor}`);
    table.installAt(d.fd_descriptor, f.get(), d.fd_close_on_exec === 1);
  }
  return table;
}

function restoreFs(r: RestoreContext): FsContext {
  const item = r.peek();
  const v = r.record('fs');
  const root = r.string();
  const cwd = r.string();
  const refItem = r.peek();
  const ref = r.record('inode_ref');
  const name = r.string();
  if (root !== '/') r.fail(item, `root '${root}': chroot is not supported`);
  if (v.umask > 0o777) r.fail(item, `umask 0${v.umask.toString(8)} has bits beyond 0777`);
  if (ref.ino === 0) {
    if (!cwd.startsWith('/')) r.fail(refItem, `cwd '${cwd}' is not an absolute path`);
    return new FsContext(cwd, v.umask);
  }
  const { link, inode } = restoredLink(r, refItem, cwd, ref.ino, name);
  if (!inode.isDir()) r.fail(refItem, `cwd ino ${ref.ino} is not a directory`);
  return new FsContext(link, v.umask);
}

/**
 * objtype -> restorer for the fs layer. `inode` covers pipes only: if another subsystem defines
 * `inode` objects too (mm's shm), the table that merges both must dispatch on the defining record
 * (r.at('pipe')).
 */
export const fsRestorers: Partial<Record<ObjType, ObjectRestorer>> = {
  file_table: restoreFileTable,
  file: restoreFile,
  inode: restorePipe,
  fs: restoreFs,
};
