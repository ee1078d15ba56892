// TreeError: a crfs tree that does not match the image layout, named by the path at fault.

/**
 * Thrown when a tree (or an image shown as one) breaks the layout of layout.ts: a missing or
 * malformed file, an edit the image cannot hold, or an image the tree cannot represent exactly.
 * The message is one line, starting with the path relative to the tree root (or `image:`).
 */
export class TreeError extends Error {
  override readonly name = 'TreeError';
  constructor(readonly path: string, reason: string) {
    super(`${path === '' ? '.' : path}: ${reason}`);
  }
}

/** Throws a TreeError for `path`. */
export function failTree(path: string, reason: string): never {
  throw new TreeError(path, reason);
}

/** `a/b` joined, with '' as the root. */
export function joinPath(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}
