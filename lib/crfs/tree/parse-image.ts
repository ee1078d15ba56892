// Groups a decoded image's items into the checkpoint model: records with their followers, objects, tasks.
import { PAGE_SIZE } from '../image/schema';
import type { ImageItem } from '../image/schema';
import { TreeError } from './errors';
import { ATTACHED, ROOT_RECORDS, TASK_RECORDS, specOf } from './layout';
import type { CheckpointModel, Obj, PageArray, Rec, RootfsModel, TaskModel, Value, VmaModel } from './model';
import { objrefsOf } from './refs';

type RecordItem = Extract<ImageItem, { kind: 'record' }>;

/** A cursor over the items of a whole image; failures name the item the tree cannot place. */
class Cursor {
  private i = 0;
  constructor(private readonly items: readonly ImageItem[]) {}

  peek(): ImageItem | undefined {
    return this.items[this.i];
  }

  isRecord(name: string): boolean {
    const it = this.items[this.i];
    return it !== undefined && it.kind === 'record' && it.name === name;
  }

  next(): ImageItem {
    const it = this.items[this.i++];
    if (!it) throw new TreeError('image', 'ends before its tail record');
    return it;
  }

  record(name: string): RecordItem {
    const it = this.next();
    if (it.kind !== 'record' || it.name !== name) this.fail(it, `expected '${name}' here`);
    return it;
  }

  fail(it: ImageItem | undefined, why: string): never {
    if (!it) throw new TreeError('image', `ends early: ${why}`);
    throw new TreeError('image', `record '${it.name}' at offset ${it.offset}: ${why}; the crfs tree cannot show this image`);
  }
}

class ModelParser {
  readonly objects = new Map<number, Obj>();
  constructor(private readonly c: Cursor) {}

  /** A field record, its followers (the parser already checked which are present) and its attached records. */
  readRec(name: string): Rec {
    const it = this.c.record(name);
    const spec = specOf(name);
    const followers = new Map<string, string | Uint8Array>();
    for (const fl of spec.followedBy) {
      const n = this.c.peek();
      if (!n || (n.kind !== 'string' && n.kind !== 'buffer') || n.role !== fl.role) continue;
      this.c.next();
      followers.set(fl.role, n.kind === 'string' ? n.text : n.data);
    }
    const value = it.value as Value;
    const attached: Rec[] = [];
    for (const a of ATTACHED[name] ?? []) {
      if (a.countField !== undefined) {
        const count = value[a.countField] as number;
        for (let k = 0; k < count; k++) attached.push(this.readRec(a.record));
      } else if (this.c.isRecord(a.record)) {
        attached.push(this.readRec(a.record));
      } else if (a.required) {
        this.c.fail(this.c.peek(), `'${name}' at offset ${it.offset} is not followed by its '${a.record}'`);
      }
    }
    return { spec, value, followers, attached, where: `offset ${it.offset}` };
  }

  /** Every object defined at the cursor; returns their numbers in image order. */
  readObjects(): number[] {
    const ids: number[] = [];
    while (this.c.isRecord('objref')) ids.push(this.readObject());
    return ids;
  }

  private readObject(): number {
    const head = this.c.record('objref');
    const { objtype, objref } = head.value as { objtype: string; objref: number };
    const def = this.c.peek();
    if (!def || def.kind !== 'record') this.c.fail(def, `objref ${objref} is not followed by a record`);
    const rec = this.readRec(def.name);
    let obj: Obj = { id: objref, objtype, rec };
    if (def.name === 'file_table') {
      const fds: Rec[] = [];
      for (let k = 0; k < (rec.value.fdt_nfds as number); k++) {
        this.readObjects();
        fds.push(this.readRec('file_desc'));
      }
      obj = { ...obj, fds };
    } else if (def.name === 'mm') {
      const vmas: VmaModel[] = [];
      for (let k = 0; k < (rec.value.map_count as number); k++) {
        this.readObjects();
        vmas.push(this.readVma());
      }
      this.readObjects();
      obj = { ...obj, vmas, context: this.readRec('mm_context') };
    }
    this.objects.set(objref, obj);
    return objref;
  }

  private readVma(): VmaModel {
    const rec = this.readRec('vma');
    const arrays: PageArray[] = [];
    for (;;) {
      if (this.c.isRecord('pgref')) {
        const pid = (this.c.record('pgref').value as Value).pid as number;
        const a = this.c.next();
        if (a.kind !== 'addresses') this.c.fail(a, 'expected the page addresses');
        arrays.push({ addrs: a.addrs, pages: [], ref: pid });
        continue;
      }
      const n = (this.c.record('pgarr').value as Value).nr_pages as number;
      if (n === 0) break;
      const a = this.c.next();
      if (a.kind !== 'addresses') this.c.fail(a, 'expected the page addresses');
      const p = this.c.next();
      if (p.kind !== 'pages' || p.len !== 8 + n * PAGE_SIZE) this.c.fail(p, `expected ${n} pages`);
      // The item itself: a live capture's pages are enumerated only when read (see PageArray).
      arrays.push(p);
    }
    return { rec, arrays };
  }

  readRootfs(): RootfsModel {
    const rec = this.readRec('rootfs');
    const inodes = new Map<number, Rec>();
    const dentries: Rec[] = [];
    for (;;) {
      if (this.c.isRecord('rootfs_inode')) {
        const at = this.c.peek();
        const r = this.readRec('rootfs_inode');
        const ino = r.value.ino as number;
        if (inodes.has(ino)) this.c.fail(at, `inode ${ino} appears twice`);
        inodes.set(ino, r);
      } else if (this.c.isRecord('rootfs_dentry')) {
        dentries.push(this.readRec('rootfs_dentry'));
      } else {
        return { rec, inodes, dentries };
      }
    }
  }

  readTask(entry: Value): TaskModel {
    const recs: Rec[] = [];
    let where = '';
    for (const name of TASK_RECORDS) {
      this.readObjects();
      const r = this.readRec(name);
      if (name === 'task') where = r.where;
      recs.push(r);
    }
    return { pid: entry.vpid as number, entry, recs, where };
  }
}

/** Objects among `ids` that no other object in `ids` refers to: the ones the root shows by objtype. */
function topObjects(ids: readonly number[], objects: ReadonlyMap<number, Obj>): number[] {
  const named = new Set<number>();
  for (const id of ids) {
    const o = objects.get(id);
    if (o) for (const r of objrefsOf(o)) named.add(r);
  }
  return ids.filter((id) => !named.has(id));
}

/**
 * The model of a decoded image (readImageItems: already validated). Throws TreeError naming the
 * record and offset of the first item that falls outside the tree's layout.
 */
export function parseModel(items: readonly ImageItem[]): CheckpointModel {
  const c = new Cursor(items);
  const p = new ModelParser(c);
  const prologue: Rec[] = [];
  for (const name of ROOT_RECORDS) prologue.push(p.readRec(name));
  const rootDefined = p.readObjects();
  let rootfs: RootfsModel | null = null;
  if (c.isRecord('rootfs')) {
    rootfs = p.readRootfs();
    rootDefined.push(...p.readObjects());
  }
  const rootObjects = topObjects(rootDefined, p.objects);
  let error: Rec | null = null;
  let tasks: TaskModel[] | null = null;
  if (c.isRecord('error')) {
    error = p.readRec('error');
  } else {
    const tree = (c.record('tree').value as Value).pids as Value[];
    tasks = [];
    for (const entry of tree) {
      if (c.isRecord('error')) c.fail(c.peek(), `the checkpoint failed before task ${String(entry.vpid)}: a tree cannot show the tasks it lacks`);
      tasks.push(p.readTask(entry));
    }
    if (c.isRecord('error')) error = p.readRec('error');
  }
  c.record('tail');
  if (c.peek()) c.fail(c.peek(), 'after the tail');
  return { prologue, rootObjects, rootfs, tasks, error, objects: p.objects };
}
