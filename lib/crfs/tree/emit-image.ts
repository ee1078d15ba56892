// Writes a checkpoint model as image records in the one order the tree implies (layout.ts, "Order").
import type { RecordSpec } from '../image/record-spec';
import { TreeError } from './errors';
import { ROOT_OBJECT_TYPES, specOf } from './layout';
import type { CheckpointModel, Obj, PageArray, Rec, RootfsModel, TaskModel, Value } from './model';

/** Where emitted records go: an ImageWriter (writer-sink.ts) or a comparison with an image's items. */
export interface RecordSink {
  record(spec: RecordSpec, value: Value, where: string): void;
  string(name: 'string' | 'file_name', text: string): void;
  buffer(data: Uint8Array): void;
  /** One non-empty page array: the pgarr record, its address buffer and its page buffer. */
  pages(arr: PageArray, where: string): void;
  /** The tail. */
  finish(): void;
}

const S_IFMT = 0o170000, S_IFDIR = 0o040000;
const OBJREF = specOf('objref');
const PGARR = specOf('pgarr');
const TREE = specOf('tree');

class ModelEmitter {
  private readonly refs = new Map<number, number>();
  private readonly defining = new Set<number>();
  private nextRef = 1;

  constructor(private readonly m: CheckpointModel, private readonly out: RecordSink) {}

  emit(): void {
    const m = this.m;
    for (const r of m.prologue) this.emitRec(r);
    const order = (id: number): number => ROOT_OBJECT_TYPES.indexOf(this.object(id, 'the root').objtype);
    for (const id of [...m.rootObjects].sort((a, b) => order(a) - order(b))) this.define(id, 'the root');
    if (m.rootfs) this.emitRootfs(m.rootfs);
    if (m.tasks) {
      const tasks = [...m.tasks].sort((a, b) => a.pid - b.pid);
      this.out.record(TREE, { nr_tasks: tasks.length, pids: tasks.map((t) => t.entry) }, 'task-*');
      for (const t of tasks) this.emitTask(t);
    }
    if (m.error) this.emitRec(m.error);
    this.out.finish();
  }

  private object(id: number, where: string): Obj {
    const o = this.m.objects.get(id);
    if (!o) throw new TreeError(where, `names object ${id}, which is not in the tree`);
    return o;
  }

  /** Defines object `id` unless already written: its dependencies, the objref record, the object. */
  private define(id: number, where: string): void {
    if (this.refs.has(id)) return;
    const obj = this.object(id, where);
    if (this.defining.has(id)) throw new TreeError(obj.rec.where, `object ${id} refers to itself`);
    this.defining.add(id);
    this.defineDeps(obj.rec);
    const ref = this.nextRef++;
    this.refs.set(id, ref);
    this.defining.delete(id);
    this.out.record(OBJREF, { objtype: obj.objtype, objref: ref }, obj.rec.where);
    this.emitPlain(obj.rec, this.countsOf(obj));
    if (obj.fds) {
      for (const fd of [...obj.fds].sort((a, b) => (a.value.fd_descriptor as number) - (b.value.fd_descriptor as number))) this.emitRec(fd);
    }
    if (obj.vmas) {
      for (const v of [...obj.vmas].sort((a, b) => (a.rec.value.vm_start as number) - (b.rec.value.vm_start as number))) {
        this.emitRec(v.rec);
        for (const arr of v.arrays) this.out.pages(arr, v.rec.where);
        this.out.record(PGARR, { nr_pages: 0 }, v.rec.where);
      }
      if (obj.context) this.emitRec(obj.context);
    }
  }

  /** Counts a body decides, so the record always agrees with what follows it. */
  private countsOf(obj: Obj): Value | undefined {
    if (obj.fds) return { fdt_nfds: obj.fds.length };
    if (obj.vmas) return { map_count: obj.vmas.length };
    return undefined;
  }

  private defineDeps(rec: Rec): void {
    for (const f of rec.spec.fields) {
      if (f.kind !== 'objref') continue;
      const v = rec.value[f.name] as number;
      if (v !== 0) this.define(v, rec.where);
    }
  }

  /** A record preceded by the objects it names that are not written yet. */
  private emitRec(rec: Rec, extra?: Value): void {
    this.defineDeps(rec);
    this.emitPlain(rec, extra);
  }

  private emitPlain(rec: Rec, extra?: Value): void {
    const value: Value = { ...rec.value, ...extra };
    for (const f of rec.spec.fields) {
      if (f.kind !== 'objref') continue;
      const v = value[f.name] as number;
      if (v === 0) continue;
      const ref = this.refs.get(v);
      if (ref === undefined) throw new TreeError(rec.where, `names object ${v} before it is defined`);
      value[f.name] = ref;
    }
    this.out.record(rec.spec, value, rec.where);
    for (const fl of rec.spec.followedBy) {
      const d = rec.followers.get(fl.role);
      if (fl.record === 'buffer') {
        if (d instanceof Uint8Array && d.length > 0) this.out.buffer(d);
      } else if (typeof d === 'string') {
        this.out.string(fl.record, d);
      } else if (!fl.length) {
        // A string the schema always writes: the tree leaves an empty one out.
        this.out.string(fl.record, '');
      }
    }
    for (const a of rec.attached) this.emitRec(a);
  }

  /** The rootfs section in the walk checkpoint-rootfs.ts writes: depth-first from the root, names in cookie order. */
  private emitRootfs(fs: RootfsModel): void {
    this.emitRec(fs.rec);
    const byParent = new Map<number, Rec[]>();
    for (const d of fs.dentries) {
      const p = d.value.parent_ino as number;
      let list = byParent.get(p);
      if (!list) { list = []; byParent.set(p, list); }
      list.push(d);
    }
    for (const list of byParent.values()) list.sort((a, b) => (a.value.cookie as number) - (b.value.cookie as number));
    const written = new Set<number>();
    const writeInode = (ino: number, where: string): Rec => {
      const r = fs.inodes.get(ino);
      if (!r) throw new TreeError(where, `names inode ${ino}, which is not in the tree`);
      if (!written.has(ino)) { written.add(ino); this.emitRec(r); }
      return r;
    };
    const rootIno = fs.rec.value.root_ino as number;
    writeInode(rootIno, fs.rec.where);
    let dentriesWritten = 0;
    const stack: { ino: number; list: readonly Rec[]; i: number }[] = [{ ino: rootIno, list: byParent.get(rootIno) ?? [], i: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top.i >= top.list.length) { stack.pop(); continue; }
      const d = top.list[top.i++];
      const child = d.value.child_ino as number;
      const inode = writeInode(child, d.where);
      this.emitRec(d);
      dentriesWritten++;
      if (((inode.value.mode as number) & S_IFMT) === S_IFDIR) {
        if (stack.some((s) => s.ino === child)) throw new TreeError(d.where, `directory ${child} contains itself`);
        stack.push({ ino: child, list: byParent.get(child) ?? [], i: 0 });
      }
    }
    if (dentriesWritten !== fs.dentries.length) {
      const lost = fs.dentries.find((d) => !written.has(d.value.parent_ino as number));
      throw new TreeError(lost?.where ?? fs.rec.where, 'is not reachable from the root directory');
    }
    for (const ino of [...fs.inodes.keys()].sort((a, b) => a - b)) writeInode(ino, fs.rec.where);
  }

  private emitTask(t: TaskModel): void {
    for (const r of t.recs) this.emitRec(r);
  }
}

/**
 * Emits the records of `m` to `out`: prologue, root objects, rootfs, task tree, tasks (ascending
 * pid), error, tail; objects are numbered from 1 as they are first defined. Throws TreeError for a
 * model that names an object or inode it lacks, or whose rootfs is not one tree from its root.
 */
export function emitModel(m: CheckpointModel, out: RecordSink): void {
  new ModelEmitter(m, out).emit();
}
