// TreeSnapshot: a crfs tree held in memory (from a directory on disk or a tar), what the tree reader walks.
import { TreeError, joinPath } from '../tree/errors';
import { ROOT_MARKER } from '../tree/layout';

export type EntryKind = 'dir' | 'file';

/** A directory tree with file bytes and file identities; paths are relative, '/'-separated, '' is the root. */
export interface TreeSnapshot {
  /** The entries of directory `path` (name → kind), or undefined when it is not a directory. */
  list(path: string): ReadonlyMap<string, EntryKind> | undefined;
  /** The bytes of file `path`, or undefined when it is not a file. */
  read(path: string): Uint8Array | undefined;
  /** A key equal for the places of one hard-linked file (st_dev:st_ino, or a tar's first entry). */
  identity(path: string): string | undefined;
}

interface FileEntry { readonly data: Uint8Array; readonly id: string }

/** A snapshot built entry by entry; parents are created as needed. */
export class MemorySnapshot implements TreeSnapshot {
  private readonly dirs = new Map<string, Map<string, EntryKind>>([['', new Map()]]);
  private readonly files = new Map<string, FileEntry>();

  /** Adds directory `path` (and its parents). Throws TreeError if a file is in the way. */
  addDir(path: string): void {
    if (this.dirs.has(path)) return;
    if (this.files.has(path)) throw new TreeError(path, 'is both a file and a directory');
    const slash = path.lastIndexOf('/');
    const parent = slash < 0 ? '' : path.slice(0, slash);
    this.addDir(parent);
    this.dirs.get(parent)?.set(path.slice(slash + 1), 'dir');
    this.dirs.set(path, new Map());
  }

  /** Adds (or replaces) file `path` with `data`; `id` is its identity (same for hard links). */
  addFile(path: string, data: Uint8Array, id: string): void {
    if (path === '' || this.dirs.has(path)) throw new TreeError(path, 'is both a file and a directory');
    const slash = path.lastIndexOf('/');
    const parent = slash < 0 ? '' : path.slice(0, slash);
    this.addDir(parent);
    this.dirs.get(parent)?.set(path.slice(slash + 1), 'file');
    this.files.set(path, { data, id });
  }

  list(path: string): ReadonlyMap<string, EntryKind> | undefined {
    return this.dirs.get(path);
  }

  read(path: string): Uint8Array | undefined {
    return this.files.get(path)?.data;
  }

  identity(path: string): string | undefined {
    return this.files.get(path)?.id;
  }

  /** Directories holding the root marker file, shallowest first. */
  rootsByDepth(): string[] {
    const out: string[] = [];
    for (const [dir, entries] of this.dirs) if (entries.get(ROOT_MARKER) === 'file') out.push(dir);
    const depth = (p: string): number => (p === '' ? 0 : p.split('/').length);
    return out.sort((a, b) => depth(a) - depth(b));
  }
}

/** `inner` seen from directory `prefix` down. */
export function subSnapshot(inner: TreeSnapshot, prefix: string): TreeSnapshot {
  if (prefix === '') return inner;
  const at = (p: string): string => (p === '' ? prefix : joinPath(prefix, p));
  return {
    list: (p) => inner.list(at(p)),
    read: (p) => inner.read(at(p)),
    identity: (p) => inner.identity(at(p)),
  };
}

/**
 * The checkpoint root inside a snapshot: the one shallowest directory holding `format_version`
 * (a tar made with or without a leading path). Throws TreeError (naming `source`) when there is
 * none, or several at the same depth.
 */
export function checkpointRoot(s: MemorySnapshot, source: string): TreeSnapshot {
  const roots = s.rootsByDepth();
  if (roots.length === 0) throw new TreeError(source, `not a crfs tree: no ${ROOT_MARKER} file in it`);
  const depth = (p: string): number => (p === '' ? 0 : p.split('/').length);
  if (roots.length > 1 && depth(roots[1]) === depth(roots[0])) {
    throw new TreeError(source, `holds several crfs trees (${roots[0] || '.'}, ${roots[1] || '.'}): give one`);
  }
  return subSnapshot(s, roots[0]);
}
