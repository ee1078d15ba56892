// Builds the lazy crfs node tree of a checkpoint model: one node set per shared object, placed everywhere it is named.
import { BlobReader, ByteView, Node, NodeOptions, blobFile, bufferFile, directory, scalarFile } from '../fs/node';
import type { Superblock } from '../fs/superblock';
import type { Field } from '../image/fields';
import { PAGE_SIZE } from '../image/schema';
import { TreeError } from './errors';
import {
  ATTACHED, DONE_FILE, FDS_DIR, OBJREF_FILE, PAGES_FILE, PARENT_PAGES_PREFIX, DATA_FILE, ROOTFS_ENTRIES_DIR, ROOTFS_INODES_DIR, ROOT_OBJECT_TYPES,
  VMAS_DIR, classifyField, followerFile, recordDir, shownFields, specOf, taskDirName, vmaDirName,
} from './layout';
import type { CheckpointModel, Obj, Rec, RootfsModel, TaskModel, Value, VmaModel } from './model';
import { isHiddenDefault, placesInObject, placesInRec, sortedFds, tableFiles } from './refs';
import { formatRuns, formatScalar, isZeroValue } from './render';

type Entry = [string, Node];

/** Who a leaf belongs to: an object with `places` places caches its leaves so every place shares them. */
interface Owner {
  readonly places: number;
  readonly leaves: Map<string, Node> | null;
  /** Mode and owner of its raw-bytes leaves (memory, registers, buffers): see rawOwnership. */
  readonly raw: NodeOptions;
}

/** Raw leaves outside every task (the rootfs's file contents): 0400, owned by the mount's owner. */
const RAW: NodeOptions = { mode: 0o400 };
const TOP: Owner = { places: 1, leaves: null, raw: RAW };
const TREE = specOf('tree');

/**
 * Places of every object: a place is a directory showing it, so an object inside a shared object
 * has one place per place of its container. Throws TreeError if objects contain each other.
 */
export function countPlaces(m: CheckpointModel): Map<number, number> {
  const parents = new Map<number, Map<number, number>>();
  const TOP_ID = 0;
  const add = (container: number, child: number): void => {
    let p = parents.get(child);
    if (!p) { p = new Map(); parents.set(child, p); }
    p.set(container, (p.get(container) ?? 0) + 1);
  };
  for (const id of m.rootObjects) add(TOP_ID, id);
  const topRecs = [...m.prologue, ...(m.error ? [m.error] : []), ...(m.tasks ?? []).flatMap((t) => t.recs)];
  for (const r of topRecs) for (const id of placesInRec(r)) add(TOP_ID, id);
  for (const obj of m.objects.values()) for (const id of placesInObject(obj)) add(obj.id, id);
  const memo = new Map<number, number>();
  const visiting = new Set<number>();
  const placesOf = (id: number): number => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) throw new TreeError('image', `object ${id} is inside itself`);
    visiting.add(id);
    let n = 0;
    for (const [c, k] of parents.get(id) ?? []) n += k * (c === TOP_ID ? 1 : placesOf(c));
    visiting.delete(id);
    memo.set(id, n);
    return n;
  };
  for (const id of m.objects.keys()) placesOf(id);
  return memo;
}

/** uid and gid of a task's cred (task_creds' cred_ref), or undefined when it names none. */
function credOf(m: CheckpointModel, t: TaskModel): { uid: number; gid: number } | undefined {
  const ref = t.recs.find((r) => r.spec.name === 'task_creds')?.value.cred_ref;
  const cred = typeof ref === 'number' ? m.objects.get(ref) : undefined;
  const uid = cred?.rec.value.uid, gid = cred?.rec.value.gid;
  if (cred?.objtype !== 'cred' || typeof uid !== 'number' || typeof gid !== 'number') return undefined;
  return { uid, gid };
}

/**
 * The options of raw-bytes leaves: mode 0400, owned by the uid and gid of the task whose directory
 * holds them, so on a mount with default_permissions (allow_other) only that user (and root) can
 * read a task's memory and registers, as with /proc/<pid>/mem. An object shown in several task
 * directories (an mm shared by threads, a file inherited across fork) belongs to the first of them
 * in ascending pid, whichever place is looked up first. Objects no task shows keep RAW.
 */
export function rawOwnership(m: CheckpointModel): { tasks: Map<number, NodeOptions>; objects: Map<number, NodeOptions> } {
  const tasks = new Map<number, NodeOptions>();
  const objects = new Map<number, NodeOptions>();
  for (const t of [...(m.tasks ?? [])].sort((a, b) => a.pid - b.pid)) {
    const cred = credOf(m, t);
    const raw: NodeOptions = cred ? { mode: 0o400, uid: cred.uid, gid: cred.gid } : RAW;
    tasks.set(t.pid, raw);
    const todo = t.recs.flatMap(placesInRec);
    for (let id = todo.pop(); id !== undefined; id = todo.pop()) {
      if (objects.has(id)) continue;
      objects.set(id, raw);
      const obj = m.objects.get(id);
      if (obj) todo.push(...placesInObject(obj));
    }
  }
  return { tasks, objects };
}

/** The pages a VMA's `data` holds, in order: those of its page arrays (never its parent's, see layout.ts). */
function carriedPages(v: VmaModel): readonly Uint8Array[] {
  const own = v.arrays.filter((a) => a.ref === undefined);
  return own.length === 1 ? own[0].pages : own.flatMap((a) => a.pages);
}

/** A reader of a VMA's `data`: views of the image's pages, packed (page k of the file is views[k]). */
function vmaReader(views: readonly Uint8Array[]): BlobReader {
  return (offset: number, length: number): ByteView[] => {
    const out: ByteView[] = [];
    const end = offset + length;
    for (let pos = offset; pos < end;) {
      const inPage = pos % PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - inPage, end - pos);
      out.push(views[(pos - inPage) / PAGE_SIZE].subarray(inPage, inPage + n));
      pos += n;
    }
    return out;
  };
}

export interface BuildOptions {
  /** A control file placed first in the root (live mounts' `done`). */
  readonly done?: Node;
}

/** The node tree of one model. Directories are built on first lookup; shared leaves once per object. */
export class TreeBuilder {
  readonly root: Node;
  private readonly places: Map<number, number>;
  private readonly raw: ReturnType<typeof rawOwnership>;
  private readonly owners = new Map<number, Owner>();
  private readonly superblocks: Superblock[] = [];
  private readonly declared: Array<[Node, number]> = [];

  constructor(private readonly m: CheckpointModel, private readonly opts: BuildOptions = {}) {
    this.places = countPlaces(m);
    this.raw = rawOwnership(m);
    this.root = directory(() => this.rootEntries());
  }

  /** Declares the link counts of shared leaves to `sb`: those built so far now, later ones as they are built. */
  link(sb: Superblock): void {
    this.superblocks.push(sb);
    for (const [node, k] of this.declared) sb.link(node, k);
  }

  /** Places of object `id` (0 if nothing shows it). */
  placesOf(id: number): number {
    return this.places.get(id) ?? 0;
  }

  private ownerOf(id: number): Owner {
    let o = this.owners.get(id);
    if (!o) {
      const places = this.places.get(id) ?? 1;
      o = { places, leaves: places > 1 ? new Map() : null, raw: this.raw.objects.get(id) ?? RAW };
      this.owners.set(id, o);
    }
    return o;
  }

  private leaf(owner: Owner, key: string, make: () => Node): Node {
    if (!owner.leaves) return make();
    let n = owner.leaves.get(key);
    if (!n) {
      n = make();
      owner.leaves.set(key, n);
      this.declared.push([n, owner.places]);
      for (const sb of this.superblocks) sb.link(n, owner.places);
    }
    return n;
  }

  private object(id: number, where: string): Obj {
    const o = this.m.objects.get(id);
    if (!o) throw new TreeError(where, `names object ${id}, which the image does not define`);
    return o;
  }

  private rootEntries(): Entry[] {
    const m = this.m;
    const out: Entry[] = [];
    if (this.opts.done) out.push([DONE_FILE, this.opts.done]);
    this.groupEntries(TOP, '', m.prologue, out);
    const order = (id: number): number => ROOT_OBJECT_TYPES.indexOf(this.object(id, 'the root').objtype);
    for (const id of [...m.rootObjects].sort((a, b) => order(a) - order(b))) {
      const obj = this.object(id, 'the root');
      out.push([obj.objtype, this.place(obj)]);
    }
    const fs = m.rootfs;
    if (fs) out.push([recordDir(fs.rec.spec), directory(() => this.rootfsEntries(fs))]);
    for (const t of [...(m.tasks ?? [])].sort((a, b) => a.pid - b.pid)) out.push([taskDirName(t.pid), directory(() => this.taskEntries(t))]);
    if (m.error) this.groupEntries(TOP, '', [m.error], out);
    return out;
  }

  private taskEntries(t: TaskModel): Entry[] {
    const out: Entry[] = [];
    const owner: Owner = { places: 1, leaves: null, raw: this.raw.tasks.get(t.pid) ?? RAW };
    this.elementEntries(owner, '', TREE.name, TREE.fields.find((f) => f.name === 'pids'), t.entry, out);
    this.groupEntries(owner, '', t.recs, out);
    return out;
  }

  private rootfsEntries(fs: RootfsModel): Entry[] {
    const out = this.collect(TOP, 'rootfs', fs.rec);
    const byParent = new Map<number, Rec[]>();
    for (const d of fs.dentries) {
      const p = d.value.parent_ino as number;
      const list = byParent.get(p);
      if (list) list.push(d); else byParent.set(p, [d]);
    }
    out.push([ROOTFS_INODES_DIR, directory(() => [...fs.inodes.values()].map((r): Entry => {
      const ino = r.value.ino as number;
      const key = `rootfs/inodes/${ino}`;
      return [String(ino), directory(() => {
        const e = this.collect(TOP, key, r);
        const names = [...(byParent.get(ino) ?? [])].sort((a, b) => (a.value.cookie as number) - (b.value.cookie as number));
        if (names.length > 0) {
          e.push([ROOTFS_ENTRIES_DIR, directory(() => names.map((d): Entry => [String(d.value.cookie), directory(() => this.collect(TOP, `${key}/entries/${String(d.value.cookie)}`, d))]))]);
        }
        return e;
      })];
    }))]);
    return out;
  }

  /** One directory of an object: what one place of it shows (its leaves shared with every other place). */
  private place(obj: Obj): Node {
    return directory(() => {
      const owner = this.ownerOf(obj.id);
      const out: Entry[] = [[OBJREF_FILE, this.leaf(owner, '/objref', () => scalarFile(() => obj.id))]];
      this.recordEntries(owner, '', obj.rec, out);
      if (obj.fds) for (const id of tableFiles(obj)) out.push([String(id), this.place(this.object(id, obj.rec.where))]);
      const vmas = obj.vmas;
      if (vmas) {
        out.push([VMAS_DIR, directory(() => [...vmas]
          .sort((a, b) => (a.rec.value.vm_start as number) - (b.rec.value.vm_start as number))
          .map((v): Entry => {
            const name = vmaDirName(v.rec.value.vm_start as number, v.rec.value.vm_end as number);
            return [name, directory(() => this.vmaEntries(owner, `vmas/${name}`, v))];
          }))]);
      }
      if (obj.context) this.recordEntries(owner, '', obj.context, out);
      return out;
    });
  }

  private fdsDir(table: Obj): Node {
    return directory(() => {
      const owner = this.ownerOf(table.id);
      return sortedFds(table).map((fd): Entry => {
        const n = String(fd.value.fd_descriptor);
        return [n, directory(() => this.collect(owner, `fds/${n}`, fd))];
      });
    });
  }

  private vmaEntries(owner: Owner, key: string, v: VmaModel): Entry[] {
    const out = this.collect(owner, key, v.rec);
    const lines = v.arrays.map((a) => `${a.ref === undefined ? '' : `${PARENT_PAGES_PREFIX} ${a.ref} `}${formatRuns(a.addrs, PAGE_SIZE)}\n`).join('');
    out.push([PAGES_FILE, this.leaf(owner, `${key}/${PAGES_FILE}`, () => bufferFile(Buffer.from(lines, 'utf8')))]);
    out.push([DATA_FILE, this.leaf(owner, `${key}/${DATA_FILE}`, () => {
      const views = carriedPages(v);
      return blobFile(views.length * PAGE_SIZE, vmaReader(views), owner.raw);
    })]);
    return out;
  }

  /** Records into the scope directory (merged) or into subdirectories named by their `tree` (shared by records with the same one). */
  private groupEntries(owner: Owner, key: string, recs: readonly Rec[], out: Entry[]): void {
    const groups = new Map<string, Rec[]>();
    for (const r of recs) {
      const d = recordDir(r.spec);
      if (d === '') { this.recordEntries(owner, key, r, out); continue; }
      const g = groups.get(d);
      if (g) { g.push(r); continue; }
      const list = [r];
      groups.set(d, list);
      out.push([d, directory(() => {
        const o: Entry[] = [];
        for (const x of list) this.recordEntries(owner, `${key}/${d}`, x, o);
        return o;
      })]);
    }
  }

  private collect(owner: Owner, key: string, rec: Rec): Entry[] {
    const out: Entry[] = [];
    this.recordEntries(owner, key, rec, out);
    return out;
  }

  private textLeaf(owner: Owner, key: string, f: Field, v: unknown): Node {
    return this.leaf(owner, key, () => scalarFile(() => formatScalar(f, v)));
  }

  /** The files of one record: fields, followers, attached records. */
  private recordEntries(owner: Owner, key: string, rec: Rec, out: Entry[]): void {
    for (const { field, show } of shownFields(rec.spec)) {
      const v = rec.value[field.name];
      const k = `${key}/${show.kind === 'none' ? '' : show.name}`;
      switch (show.kind) {
        case 'none':
          break;
        case 'text':
          if (!show.hidden || !isHiddenDefault(rec, field)) out.push([show.name, this.textLeaf(owner, k, field, v)]);
          break;
        case 'raw':
          if (!show.hidden || !isHiddenDefault(rec, field)) out.push([show.name, this.leaf(owner, k, () => bufferFile(v as Uint8Array, owner.raw))]);
          break;
        case 'byId':
          out.push([show.name, this.leaf(owner, k, () => scalarFile(() => v as number))]);
          break;
        case 'place': {
          if (v === 0 || (show.hidden && isHiddenDefault(rec, field))) break;
          const obj = this.object(v as number, rec.where);
          out.push([show.name, this.place(obj)]);
          if (obj.fds) out.push([FDS_DIR, this.fdsDir(obj)]);
          break;
        }
        case 'list': {
          const arr = v as Value[];
          if (show.hidden && arr.length === 0) break;
          const el = show.element;
          const text = arr.map((e) => `${formatScalar(el, e[el.name])}\n`).join('');
          out.push([show.name, this.leaf(owner, k, () => bufferFile(Buffer.from(text, 'utf8')))]);
          break;
        }
        case 'entries': {
          if (show.hidden && isZeroValue(field, v)) break;
          const arr = v as Value[];
          if (show.oneBased) {
            arr.forEach((e, i) => out.push([String(i + 1), directory(() => this.elementList(owner, `${key}/${i + 1}`, rec.spec.name, field, e))]));
          } else {
            out.push([show.name, directory(() => arr.map((e, i): Entry => [String(i), directory(() => this.elementList(owner, `${k}/${i}`, rec.spec.name, field, e))]))]);
          }
          break;
        }
      }
    }
    this.followerEntries(owner, key, rec, out);
    for (const a of ATTACHED[rec.spec.name] ?? []) {
      const list = rec.attached.filter((r) => r.spec.name === a.record);
      if (a.countField !== undefined) {
        const dir = a.dir ?? a.record;
        if (list.length > 0) {
          out.push([dir, directory(() => list.map((r, i): Entry => [String(i), directory(() => this.collect(owner, `${key}/${dir}/${i}`, r))]))]);
        }
        continue;
      }
      this.groupEntries(owner, key, list, out);
    }
  }

  private followerEntries(owner: Owner, key: string, rec: Rec, out: Entry[]): void {
    for (const fl of rec.spec.followedBy) {
      const d = rec.followers.get(fl.role);
      if (d === undefined) continue;
      const name = followerFile(fl.role);
      if (typeof d === 'string') {
        if (d !== '' || fl.length) out.push([name, this.leaf(owner, `${key}/${name}`, () => scalarFile(() => d))]);
      } else if (d.length > 0) {
        out.push([name, this.leaf(owner, `${key}/${name}`, () => bufferFile(d, owner.raw))]);
      }
    }
  }

  private elementList(owner: Owner, key: string, recName: string, arrayField: Field, e: Value): Entry[] {
    const out: Entry[] = [];
    this.elementEntries(owner, key, recName, arrayField, e, out);
    return out;
  }

  /** The files of one array element (scalars and byte arrays only). */
  private elementEntries(owner: Owner, key: string, recName: string, arrayField: Field | undefined, e: Value, out: Entry[]): void {
    if (!arrayField || arrayField.kind !== 'array') throw new Error(`crfs tree: ${recName} has no array here`);
    const spec = specOf(recName);
    for (const f of arrayField.of) {
      const show = classifyField(spec, f, true);
      const v = e[f.name];
      if (show.kind === 'none') continue;
      if ((show.kind === 'text' || show.kind === 'raw') && show.hidden && isZeroValue(f, v)) continue;
      if (show.kind === 'text') out.push([show.name, this.textLeaf(owner, `${key}/${show.name}`, f, v)]);
      else if (show.kind === 'raw') out.push([show.name, this.leaf(owner, `${key}/${show.name}`, () => bufferFile(v as Uint8Array, owner.raw))]);
      else throw new Error(`crfs tree: ${recName}.${arrayField.name}.${f.name}: nested ${show.kind} is not supported`);
    }
  }
}
