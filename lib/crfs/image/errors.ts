// ImageError: the one error type the image layer throws for anything wrong with an image.

/**
 * A rejected image. The message is one line, `image: record 'vma' at offset 4096: end 0x1000 below
 * start 0x2000`, naming the record type and the byte offset of its header (or of the failing byte).
 */
export class ImageError extends Error {
  override readonly name = 'ImageError';
  constructor(readonly recordName: string, readonly offset: number, readonly detail: string) {
    super(`image: record '${recordName}' at offset ${offset}: ${detail}`);
  }
}

/** Throws an ImageError (typed `never` so it ends control flow). */
export function failImage(recordName: string, offset: number, detail: string): never {
  throw new ImageError(recordName, offset, detail);
}
