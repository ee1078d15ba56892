// Adapter from an fd to what a file-backed mapping needs (MappedFile), over the fs layer's OpenFile.
import { EACCES, EBADF, ENODEV, KernelError } from '../errno';
import type { OpenFile } from '../fs/file';
import type { Task } from '../task';
import type { MappedFile } from './vma';

const EMPTY = new Uint8Array(0);

/** A mapping's hold on an open file: the VMA keeps the OpenFile referenced (Linux's vma->vm_file). */
class OpenFileMapping implements MappedFile {
  constructor(readonly file: OpenFile, readonly path: string) {}

  readAt(pos: number, len: number): Uint8Array {
    try {
      return this.file.readAt(pos, len);
    } catch (e) {
      // The file stopped being readable as memory (cannot happen for regular files): zero pages.
      if (e instanceof KernelError) return EMPTY;
      throw e;
    }
  }

  retain(): void {
    this.file.get();
  }

  release(): void {
    this.file.put();
  }
}

/**
 * The open file behind `fd`, as a MappedFile (holding no reference yet: mapRegion takes one), or
 * -errno: EBADF (no such fd), EACCES (not open for reading), ENODEV (not a regular file).
 */
export function mappableFileFor(t: Task, fd: number): MappedFile | number {
  const f = t.files.get(fd);
  if (f === null) return -EBADF;
  if (f.kind !== 'regular') return -ENODEV;
  if (!f.readable) return -EACCES;
  return new OpenFileMapping(f, f.ops.describe(f));
}
