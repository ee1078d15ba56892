// The two halves of a checkpoint's bookkeeping: objref assignment while writing, objref lookup while restoring.
import type { RecordWriter } from '../../crfs/image/writer';
import type { ImageItem, RecordName, RecordValue, FieldRecordName } from '../../crfs/image/schema';
import type { ObjType } from '../../crfs/image/record-spec';
import type { Kernel } from '../kernel';
import type { PagePins } from '../mm/page';
import type { ParentCapture } from './incremental';

/** A checkpoint that cannot be taken (an unsupported object, a resource shared with the outside). */
export class CheckpointError extends Error {
  constructor(readonly errno: number, message: string) {
    super(message);
  }
}

/**
 * Linux-cr's objhash on the writing side: every shared kernel object gets an objref, counting up
 * from 1 in the order its defining `objref` record is written, and is written once.
 */
export class CheckpointContext {
  private readonly refs = new Map<object, number>();
  private nextRef = 1;
  /** The task whose records are being written: the mm it writes first is named by this pid (pgref). */
  taskPid = 0;

  /**
   * @param pins copy mode: every page view handed to the writer is held here (or copied, for
   *   shared mappings) so it keeps its captured bytes while the container runs on; null when the
   *   container stays frozen for as long as the views are used (push and lazy modes).
   * @param parent an incremental checkpoint's parent: private anonymous pages it still holds are
   *   written as pgref records (mm/checkpoint-incremental.ts); null for a complete image.
   */
  constructor(readonly k: Kernel, readonly w: RecordWriter, readonly pins: PagePins | null = null, readonly parent: ParentCapture | null = null) {}

  /**
   * The objref of `obj`, writing it first if this is its first sight: `writeDeps` writes objects the
   * definition refers to (they must precede it), then the `objref` record, then `writeBody` (the
   * defining record and whatever belongs to it). Returns the objref.
   */
  shared(objtype: ObjType, obj: object, writeBody: () => void, writeDeps?: () => void): number {
    const known = this.refs.get(obj);
    if (known !== undefined) return known;
    writeDeps?.();
    const ref = this.nextRef++;
    this.refs.set(obj, ref);
    this.w.objref(objtype, ref);
    writeBody();
    return ref;
  }

  /** The objref already given to `obj`, or 0 when it has not been written. */
  refOf(obj: object): number {
    return this.refs.get(obj) ?? 0;
  }

  /** Abort the checkpoint: the driver writes an error record and the container carries on. */
  fail(errno: number, message: string): never {
    throw new CheckpointError(errno, message);
  }
}

/** An image that decodes but cannot be restarted (a record contradicting another, a missing object). */
export class RestoreError extends Error {}

/** One shared-object type's restore: reads the defining records (after the `objref`) and returns the object. */
export type ObjectRestorer = (r: RestoreContext) => object;

/**
 * The reading side: a cursor over the decoded items of a whole, already validated image, and the
 * objref table. Restore builds into a fresh kernel; nothing of it runs until every record is read.
 */
export class RestoreContext {
  private pos = 0;
  private readonly objects = new Map<number, { objtype: ObjType; obj: object }>();

  constructor(
    readonly k: Kernel,
    private readonly items: readonly ImageItem[],
    private readonly restorers: Readonly<Partial<Record<ObjType, ObjectRestorer>>>,
  ) {}

  peek(): ImageItem | undefined {
    return this.items[this.pos];
  }

  next(): ImageItem {
    const it = this.items[this.pos++];
    if (!it) throw new RestoreError('image: ends before the tail');
    return it;
  }

  /** True if the next item is record `name`. */
  at(name: RecordName): boolean {
    return this.peek()?.name === name && this.peek()?.kind === 'record';
  }

  /** The next item, which must be record `name`. */
  record<N extends FieldRecordName>(name: N): RecordValue<N> {
    const it = this.next();
    if (it.kind !== 'record' || it.name !== name) this.fail(it, `expected record '${name}'`);
    return it.value as RecordValue<N>;
  }

  /** The text of the next item, which must be a string (or file_name) record. */
  string(): string {
    const it = this.next();
    if (it.kind !== 'string') this.fail(it, 'expected a string record');
    return it.text;
  }

  /** The bytes of the next item, which must be a buffer record. */
  buffer(): Uint8Array {
    const it = this.next();
    if (it.kind !== 'buffer') this.fail(it, 'expected a buffer record');
    return it.data;
  }

  /** The pages that follow a `pgarr` record: the address list, then the pages (views, in address order). */
  pages(count: number): { addrs: readonly number[]; pages: readonly Uint8Array[] } {
    const head = this.next();
    if (head.kind !== 'addresses' || head.addrs.length !== count) this.fail(head, `expected ${count} page addresses`);
    const p = this.next();
    if (p.kind !== 'pages' || p.pages.length !== count) this.fail(p, `expected ${count} pages`);
    return { addrs: head.addrs, pages: p.pages };
  }

  /** Restore every object definition (`objref` + its records) at the cursor. */
  takeObjects(): void {
    while (this.at('objref')) {
      const it = this.next();
      if (it.kind !== 'record' || it.name !== 'objref') return;
      const { objtype, objref } = it.value;
      const restore = this.restorers[objtype];
      if (!restore) this.fail(it, `objects of type '${objtype}' cannot be restored`);
      if (this.objects.has(objref)) this.fail(it, `objref ${objref} defined twice`);
      this.objects.set(objref, { objtype, obj: restore(this) });
    }
  }

  /** The object defined under `ref`, which must be of `objtype`. 0 means none and is refused here. */
  object<T extends object>(objtype: ObjType, ref: number, what: string): T {
    const o = this.objects.get(ref);
    if (!o) throw new RestoreError(`image: ${what} refers to objref ${ref}, which is not defined before it`);
    if (o.objtype !== objtype) throw new RestoreError(`image: ${what} refers to objref ${ref}, a ${o.objtype}, not a ${objtype}`);
    return o.obj as T;
  }

  /** Throw a RestoreError naming the item's record and offset. */
  fail(it: ImageItem | undefined, message: string): never {
    if (!it) throw new RestoreError(`image: ${message}`);
    throw new RestoreError(`image: record '${it.name}' at offset ${it.offset}: ${message}`);
  }
}
