// Reads a whole crfs tree (a snapshot) back into the checkpoint model: root, rootfs, tasks, every shared object once.
import { OBJ_TYPES } from '../image/record-spec';
import { MAX_PAGES_PER_ARRAY, PAGE_SIZE, definersOf } from '../image/schema';
import { failTree, joinPath } from '../tree/errors';
import {
  DATA_FILE, DONE_FILE, FDS_DIR, OBJREF_FILE, PAGES_FILE, PARENT_PAGES_PREFIX, ROOTFS_ENTRIES_DIR, ROOTFS_INODES_DIR, ROOT_RECORDS, TASK_DIR_RE, TASK_RECORDS,
  VMAS_DIR, classifyField, recordDir, specOf, vmaDirName,
} from '../tree/layout';
import type { CheckpointModel, Obj, PageArray, Rec, RootfsModel, TaskModel, Value, VmaModel } from '../tree/model';
import { fileText, parseRuns } from '../tree/render';
import { checkInodePaths } from './check-paths';
import { RecordReader } from './read-record';
import type { TreeSnapshot } from './snapshot';

const TREE = specOf('tree');

class TreeReader extends RecordReader {
  readonly objects = new Map<number, Obj>();
  /** Where each object was first read: later places must hold the same files. */
  private readonly firstPlace = new Map<number, { dir: string; name: string; objtype: string }>();
  private readonly reading = new Set<number>();

  readModel(): CheckpointModel {
    const root = '';
    if (this.kindOf(root, DONE_FILE) === 'file') this.claim(root, DONE_FILE);
    const prologue = this.readGroup(ROOT_RECORDS.map(specOf), root);
    const rootObjects: number[] = [];
    for (const [name, kind] of this.entries(root)) {
      if (kind !== 'dir' || !(name in OBJ_TYPES)) continue;
      const defs = definersOf(name);
      rootObjects.push(this.readPlace(root, name, name, defs.length === 1 ? defs[0] : null));
    }
    const fsDir = this.subdir(root, recordDir(specOf('rootfs')), false);
    const rootfs = fsDir === undefined ? null : this.readRootfs(fsDir);
    const errDir = this.subdir(root, recordDir(specOf('error')), false);
    let error: Rec | null = null;
    if (errDir !== undefined) {
      error = this.readRecordIn(specOf('error'), errDir);
    }
    const pids: number[] = [];
    for (const [name, kind] of this.entries(root)) {
      const m = TASK_DIR_RE.exec(name);
      if (m && kind === 'dir') pids.push(Number(m[1]));
    }
    pids.sort((a, b) => a - b);
    const tasks = pids.map((pid) => this.readTask(pid));
    this.finish(root);
    return { prologue, rootObjects, rootfs, tasks: error && tasks.length === 0 ? null : tasks, error, objects: this.objects };
  }

  private readRecordIn(spec: ReturnType<typeof specOf>, dir: string): Rec {
    const r = this.readRecord(spec, dir);
    this.finish(dir);
    return r;
  }

  /** Records sharing a scope: merged ones read from `dir`, the others from their subdirectories. */
  private readGroup(specs: ReadonlyArray<ReturnType<typeof specOf>>, dir: string): Rec[] {
    const subs = new Set<string>();
    const out = specs.map((spec) => {
      const d = recordDir(spec);
      if (d === '') return this.readRecord(spec, dir);
      const p = this.subdir(dir, d, true) as string;
      subs.add(p);
      return this.readRecord(spec, p);
    });
    for (const p of subs) this.finish(p);
    return out;
  }

  private readTask(pid: number): TaskModel {
    const dir = `task-${pid}`;
    this.claim('', dir);
    const pidsField = TREE.fields.find((f) => f.name === 'pids');
    if (!pidsField || pidsField.kind !== 'array') throw new Error('schema: tree has no pids array');
    const entry: Value = {};
    for (const f of pidsField.of) {
      const show = classifyField(TREE, f, true);
      if (show.kind !== 'text') continue;
      entry[f.name] = this.scalar(dir, show.name, f, !show.hidden) ?? 0;
    }
    if (entry.vpid !== pid) failTree(joinPath(dir, 'pid'), `says ${String(entry.vpid)}, but the directory is ${dir}`);
    const recs = this.readGroup(TASK_RECORDS.map(specOf), dir);
    recs[0].value.pid = pid;
    this.finish(dir);
    return { pid, entry, recs, where: dir };
  }

  protected readPlace(dir: string, name: string, objtype: string, definer: string | null): number {
    const path = joinPath(dir, name);
    this.claim(dir, name);
    const id = this.objrefIn(path);
    const first = this.firstPlace.get(id);
    if (first) {
      if (first.objtype !== objtype) failTree(path, `objref ${id} is a ${first.objtype} at ${joinPath(first.dir, first.name)}, here a ${objtype}`);
      if (this.reading.has(id)) failTree(path, `object ${id} contains itself`);
      this.sameTree(joinPath(first.dir, first.name), path, id);
      if (objtype === 'file_table') {
        const fds = this.subdir(dir, FDS_DIR, true) as string;
        this.sameTree(joinPath(first.dir, FDS_DIR), fds, id);
      }
      return id;
    }
    if (definer === null) failTree(path, `a ${objtype} cannot be defined in a crfs image`);
    this.firstPlace.set(id, { dir, name, objtype });
    this.reading.add(id);
    const rec = this.readRecord(specOf(definer), path);
    let obj: Obj = { id, objtype, rec };
    if (definer === 'file_table') obj = { ...obj, fds: this.readFds(dir, path, rec) };
    if (definer === 'mm') {
      const vmasDir = this.subdir(path, VMAS_DIR, true) as string;
      const vmas: VmaModel[] = [];
      for (const [n] of this.entries(vmasDir)) vmas.push(this.readVma(vmasDir, n));
      this.finish(vmasDir);
      rec.value.map_count = vmas.length;
      obj = { ...obj, vmas, context: this.readRecord(specOf('mm_context'), path) };
    }
    this.finish(path);
    this.reading.delete(id);
    this.objects.set(id, obj);
    return id;
  }

  /** A table's descriptors (`fds/` beside the table) and the files they name (`<id>/` in the table). */
  private readFds(dir: string, tablePath: string, rec: Rec): Rec[] {
    const fdsDir = this.subdir(dir, FDS_DIR, true) as string;
    const fds: Rec[] = [];
    for (const [n] of this.entries(fdsDir)) {
      const p = this.subdir(fdsDir, n, true) as string;
      const fd = this.readRecord(specOf('file_desc'), p);
      this.finish(p);
      if (String(fd.value.fd_descriptor) !== n) failTree(joinPath(p, 'fd_nr'), `says ${String(fd.value.fd_descriptor)}, but the directory is ${n}`);
      const target = fd.value.fd_objref as number;
      if (this.kindOf(tablePath, String(target)) !== 'dir') failTree(joinPath(p, 'fd'), `names file ${target}, but ${joinPath(tablePath, String(target))} is missing`);
      const got = this.readPlace(tablePath, String(target), 'file', 'file');
      if (got !== target) failTree(joinPath(tablePath, String(target)), `holds objref ${got}, not ${target}`);
      fds.push(fd);
    }
    this.finish(fdsDir);
    rec.value.fdt_nfds = fds.length;
    return fds;
  }

  private readVma(vmasDir: string, n: string): VmaModel {
    const p = this.subdir(vmasDir, n, true) as string;
    const rec = this.readRecord(specOf('vma'), p);
    const start = rec.value.vm_start as number, end = rec.value.vm_end as number;
    if (vmaDirName(start, end) !== n) failTree(p, `start and end say ${vmaDirName(start, end)}`);
    const pagesPath = joinPath(p, PAGES_FILE);
    const lines = fileText(pagesPath, this.fileBytes(p, PAGES_FILE, true) as Uint8Array);
    const data = this.fileBytes(p, DATA_FILE, true) as Uint8Array;
    const arrays: PageArray[] = [];
    // data holds the pages the lines list (parent lines aside), packed: page k is the k-th listed.
    let carried = 0;
    let last = -1;
    lines.split('\n').forEach((whole, i) => {
      const addrs: number[] = [];
      const parentRun = parentPagesLine(whole);
      if (parentRun === 'bad') failTree(pagesPath, `line ${i + 1}: '${whole.slice(0, 40)}' is not '${PARENT_PAGES_PREFIX} <pid> <runs>'`);
      const line = parentRun === null ? whole : parentRun.runs;
      for (const [a, b] of parseRuns(`${pagesPath} line ${i + 1}`, line)) {
        if (a % PAGE_SIZE || b % PAGE_SIZE || a < start || b > end || a <= last) {
          failTree(pagesPath, `line ${i + 1}: ${a.toString(16)}-${b.toString(16)} is not ascending page-aligned memory inside ${n}`);
        }
        for (let x = a; x < b; x += PAGE_SIZE) addrs.push(x);
        last = b - PAGE_SIZE;
      }
      for (let k = 0; k < addrs.length; k += MAX_PAGES_PER_ARRAY) {
        const chunk = addrs.slice(k, k + MAX_PAGES_PER_ARRAY);
        if (parentRun !== null) { arrays.push({ addrs: chunk, pages: [], ref: parentRun.pid }); continue; }
        const from = carried;
        carried += chunk.length;
        if (data.length < carried * PAGE_SIZE) continue; // refused below, with the whole count
        arrays.push({ addrs: chunk, pages: chunk.map((_x, j) => data.subarray((from + j) * PAGE_SIZE, (from + j + 1) * PAGE_SIZE)) });
      }
    });
    if (data.length !== carried * PAGE_SIZE) {
      failTree(joinPath(p, DATA_FILE), `holds ${data.length} bytes, but ${PAGES_FILE} lists ${carried} pages (${carried * PAGE_SIZE} bytes)`);
    }
    this.finish(p);
    return { rec, arrays };
  }

  private readRootfs(dir: string): RootfsModel {
    const rec = this.readRecord(specOf('rootfs'), dir);
    const inodesDir = this.subdir(dir, ROOTFS_INODES_DIR, true) as string;
    const inodes = new Map<number, Rec>();
    const dentries: Rec[] = [];
    for (const [n] of this.entries(inodesDir)) {
      const p = this.subdir(inodesDir, n, true) as string;
      const r = this.readRecord(specOf('rootfs_inode'), p);
      const ino = r.value.ino as number;
      if (String(ino) !== n) failTree(joinPath(p, 'ino'), `says ${ino}, but the directory is ${n}`);
      const ents = this.subdir(p, ROOTFS_ENTRIES_DIR, false);
      if (ents !== undefined) {
        for (const [c] of this.entries(ents)) {
          const dp = this.subdir(ents, c, true) as string;
          const d = this.readRecord(specOf('rootfs_dentry'), dp);
          this.finish(dp);
          if (String(d.value.cookie) !== c) failTree(joinPath(dp, 'cookie'), `says ${String(d.value.cookie)}, but the directory is ${c}`);
          if (d.value.parent_ino !== ino) failTree(joinPath(dp, 'parent_ino'), `says ${String(d.value.parent_ino)}, but the entry is in inode ${ino}`);
          dentries.push(d);
        }
        this.finish(ents);
      }
      this.finish(p);
      inodes.set(ino, r);
    }
    this.finish(inodesDir);
    for (const [field, n] of [['nr_inodes', inodes.size], ['nr_dentries', dentries.length]] as const) {
      if (rec.value[field] !== n) failTree(joinPath(dir, field), `says ${String(rec.value[field])}, but the tree holds ${n}`);
    }
    this.finish(dir);
    return { rec, inodes, dentries };
  }

  /** The objref a directory shows, if it is an object's place (for naming the object in errors). */
  private innerObjref(dir: string): number | undefined {
    const b = this.s.read(joinPath(dir, OBJREF_FILE));
    const n = b === undefined ? NaN : Number(Buffer.from(b).toString('utf8').trim());
    return Number.isSafeInteger(n) && n > 0 ? n : undefined;
  }

  /** Later places of an object must show what its first place shows (hard links always do). */
  private sameTree(a: string, b: string, id: number): void {
    const ea = this.entries(a), eb = this.entries(b);
    for (const [name, kind] of eb) {
      const pa = joinPath(a, name), pb = joinPath(b, name);
      const ka = ea.get(name);
      if (ka === undefined) failTree(pb, `is not at ${pa}, the first place of object ${id}`);
      if (ka !== kind) failTree(pb, `is a ${kind} but ${pa} is a ${ka}`);
      this.claim(b, name);
      if (kind === 'dir') { this.sameTree(pa, pb, this.innerObjref(pb) ?? id); continue; }
      const ia = this.s.identity(pa), ib = this.s.identity(pb);
      if (ia !== undefined && ia === ib) continue;
      const da = this.s.read(pa), db = this.s.read(pb);
      if (!da || !db || Buffer.compare(Buffer.from(da.buffer, da.byteOffset, da.length), Buffer.from(db.buffer, db.byteOffset, db.length)) !== 0) {
        failTree(pb, `differs from ${pa}, another place of object ${id}: edit a shared object in every place (hard links do that)`);
      }
    }
    for (const [name] of ea) if (!eb.has(name)) failTree(joinPath(b, name), `is missing, but ${joinPath(a, name)} (the first place of object ${id}) has it`);
  }
}

/**
 * The checkpoint model of a tree. Throws TreeError naming the path of the first file or directory
 * that is missing, malformed, out of range, stray, inconsistent with another place of its object,
 * or (a file's target, a cwd) a path that does not lead to its inode in the tree's rootfs.
 */
export function readTreeModel(s: TreeSnapshot): CheckpointModel {
  const model = new TreeReader(s).readModel();
  checkInodePaths(model);
  return model;
}

/** A `pages` line of pgref runs, `parent <pid> <runs>`: its pid and runs; null for a page array's line. */
function parentPagesLine(line: string): { pid: number; runs: string } | null | 'bad' {
  if (!line.startsWith(`${PARENT_PAGES_PREFIX} `)) return null;
  const m = /^\S+ ([1-9][0-9]{0,6}) (.+)$/.exec(line);
  if (!m) return 'bad';
  return { pid: Number(m[1]), runs: m[2] };
}
