// The checkpoint model: an image's records grouped as the tree shows them, between the blob and the tree.
import type { RecordSpec } from '../image/record-spec';

export type Value = Record<string, unknown>;

/** One field record with what follows it and what belongs to it. */
export interface Rec {
  readonly spec: RecordSpec;
  /** The decoded value; objref fields hold the object's number in the source (image or tree). */
  readonly value: Value;
  /** Followers present, by role: a string's text or a buffer's bytes (a view, never a copy). */
  readonly followers: ReadonlyMap<string, string | Uint8Array>;
  /** Attached records (layout ATTACHED), in image order. */
  readonly attached: readonly Rec[];
  /** Where it came from, for errors: a tree path, or `offset N` of a source image. */
  readonly where: string;
}

/**
 * One page array of a VMA: ascending addresses and a page view for each. From a live capture it is
 * the image's own pages item, whose addresses and views are enumerated on first use: code that
 * needs only the count reads `len` (8 + count * PAGE_SIZE) where it has an item.
 */
export interface PageArray {
  readonly addrs: readonly number[];
  readonly pages: readonly Uint8Array[];
  /**
   * Set for a pgref run of an incremental image: these pages are the parent image's, in its mm of
   * this pid, and `pages` is empty (the image does not carry their bytes).
   */
  readonly ref?: number;
}

export interface VmaModel {
  readonly rec: Rec;
  readonly arrays: readonly PageArray[];
}

/** A shared object: its `objref` number in the source, the defining record, and its body. */
export interface Obj {
  readonly id: number;
  readonly objtype: string;
  readonly rec: Rec;
  /** file_table: its descriptors. */
  readonly fds?: readonly Rec[];
  /** mm: its VMAs and the closing mm_context. */
  readonly vmas?: readonly VmaModel[];
  readonly context?: Rec;
}

export interface TaskModel {
  readonly pid: number;
  /** The task's entry of the `tree` record. */
  readonly entry: Value;
  /** TASK_RECORDS, in that order. */
  readonly recs: readonly Rec[];
  readonly where: string;
}

export interface RootfsModel {
  readonly rec: Rec;
  /** rootfs_inode records (each with its extents attached), by inode number. */
  readonly inodes: ReadonlyMap<number, Rec>;
  readonly dentries: readonly Rec[];
}

export interface CheckpointModel {
  /** ROOT_RECORDS, in that order. */
  readonly prologue: readonly Rec[];
  /** Objects defined at the root before the task tree that nothing else defined there names. */
  readonly rootObjects: readonly number[];
  readonly rootfs: RootfsModel | null;
  /** Null for a failed checkpoint that stopped before its task tree. */
  readonly tasks: readonly TaskModel[] | null;
  readonly error: Rec | null;
  readonly objects: ReadonlyMap<number, Obj>;
}
