// The crfs directory layout of an image: where every record and field of the schema appears in the tree.
/*
 * A checkpoint tree (a live mount, `crfs mount IMAGE`, an extracted tar) looks like this; names in
 * <angle brackets> are values, [brackets] mark what is present only when it applies:
 *
 *   done                       live mounts only: write 1 to end the checkpoint
 *   arch major minor patch format_version time flags page_size     the head record's fields
 *   release version machine    the head's three strings
 *   isa xlen flen              head_arch (merged into the root: its schema name `arch` is the head's arch file)
 *   id init_pid                container
 *   [parent/]                  an incremental image's parent record: id checksum bytes
 *   sched/                     sched
 *   ns/                        objects defined before the task tree, one directory per objtype (`ns`
 *     objref uts/…             is the namespace set; its uts_ns shows inline under `uts`)
 *   [rootfs/]                  the root filesystem: nr_inodes nr_dentries root_ino next_ino and
 *     inodes/<ino>/            one directory per rootfs_inode (ino mode uid … [target]
 *       [extents/<i>/]         its rootfs_extent records: offset length state nr_bytes [data]
 *       [entries/<cookie>/]    the rootfs_dentry records of a directory: parent_ino child_ino cookie name
 *   [error/]                   a failed checkpoint: errno message
 *   task-<pid>/                one per task, in tree order (ascending pid)
 *     pid ppid tgid pgid sid   its entry of the task tree
 *     state exit_state … comm  task
 *     ns/                      task_ns: the namespace set (hard links of /ns)
 *     creds/                   task_creds: the cred object (objref uid … [groups/] [user_ref/])
 *     files/                   task_objs: the file table: objref, and <id>/ per open file, named by its
 *       <id>/                    objref: objref fd_type f_mode f_flags f_pos f_version external
 *                                [target] [pipe/ (objref size capacity readers writers [data] ino …)] [inode/]
 *     fds/<n>/                 the table's descriptors: fd (the file's objref, as text) fd_nr coe
 *     mm/                      objref [exe/] def_flags … auxv/<i>/{a_type,a_val} [exe_path] vmas/ vdso
 *       vmas/<start>-<end>/    type [file/] start end prot flags pgoff name pages data
 *                              [ino_objref/ ino_size]: a shared segment (the shm object) and its size
 *     fs/ sighand/ signal/     objref and fields; fs/{umask,root,cwd,inode/}; sighand/<signal>/{handler,flags,restorer,mask};
 *                              signal/{rlimits/<i>/, …, [siginfo_raw], pending/}
 *     restart/                 restart_block
 *     thread/                  thread and cpu (pc regs fcsr fregs instret)
 *     signal_task/             signal_task, [siginfo_raw], pending/ (the task's sigpending)
 *
 * Rules, all derived from the schema (lib/crfs/image/records-*.ts):
 * - Every field record is a directory of field files named by the field's `tree` name. A record
 *   whose `tree` is null or `.` has its files in the directory of the scope it belongs to (the root,
 *   a task, the object or record it is attached to). Scalars are text and a newline: decimal, 0x-hex
 *   where the field renders hex, an enum as its name, a char array as its text. Byte arrays
 *   (registers), buffers (pipe bytes) and memory are raw bytes, mode 0400.
 * - Ownership: a raw-bytes file under a task directory (a VMA's `data`, `thread/regs`, `fregs`,
 *   pipe bytes, `siginfo_raw`) is owned by the uid and gid of that task's cred (`creds/uid`,
 *   `creds/gid`); one shown in several task directories (an mm shared by threads, a pipe inherited
 *   across fork) by the first of them in ascending pid, whichever place is looked up first, so one
 *   inode has one owner. Every other file and directory, and raw files outside the tasks (rootfs
 *   contents), belong to the mounting user. The modes and owners are enforced only on a mount with
 *   allow_other (which adds default_permissions); a private mount is the mounting user's alone.
 * - A field whose `tree` is null is not shown when it has its default value (zero; ecred_ref's is
 *   cred_ref): counts the tree implies, constants, lengths of what follows are derived; a null field
 *   holding anything else appears under its own field name, so nothing of an image is lost.
 * - Strings and buffers that follow a record are files of its directory named by their role
 *   (`target`, `cwd`, `exe_path`; a buffer's `contents` is `data`); an empty one is left out.
 * - Records that belong to the record before them (ATTACHED below: inode_ref, pipe_inode, mm_exe,
 *   sigpending, rootfs_extent) go in that record's directory, or a subdirectory named by their `tree`.
 * - Arrays: one element field → one file with a line per element; several → a directory with a
 *   subdirectory per element named by its index; a `<signal>` array puts elements 1..n directly in
 *   the record's directory.
 * - Shared objects (objref): every shared object directory holds `objref`, its number in the image.
 *   An objref field shows the object inline, as a directory named by the field, at every place that
 *   refers to it: the object's files are one set of nodes, hard-linked from every place (st_nlink =
 *   number of places); its directories are re-created at each place. The exception is a descriptor's
 *   `fd`: the RFC's text file holding the objref of the file, which sits in the table's `files/<id>/`.
 * - A VMA's memory is one file `data` holding the pages the image carries, packed in address order
 *   (as the blob's page arrays and CRIU's pages-N.img hold them, so `tar` of a sparse mapping or of
 *   an incremental checkpoint is as small as its blob), and `pages`, which says where each one is:
 *   one line per page array of the image, each a space-separated list of `<start>-<end>` runs (hex,
 *   no 0x, end exclusive, as in the VMA's own directory name). Page k of `data` is the k-th page
 *   those lines list. In an incremental image a line `parent <pid> <runs>` is a pgref record: those
 *   pages are the parent image's (in its mm of task <pid>), not carried here and not in `data`.
 * - Order: readdir order is the image's record order. Converting back does not rely on it (copies
 *   lose it): tasks go in ascending pid, descriptors in ascending fd, VMAs by address, the rootfs in
 *   its depth-first walk, and each shared object where the image first refers to it (its
 *   dependencies first). imageTree checks that an image follows exactly this order, so the tree of
 *   any image it accepts converts back to the same bytes.
 * - Converting back re-validates everything (lib/crfs/convert): each value against its field, names
 *   against the values they show (`fds/<n>`, `vmas/<start>-<end>`, `task-<pid>`, `files/<id>`),
 *   every later place of an object against its first (a hard link always agrees; an edit made at
 *   one place of a copied object does not), stray files, each file's `target` (and each fs's
 *   `cwd`) against the rootfs (it must lead to the inode `inode/ino` names: to point a file at a
 *   new path, also add that path to rootfs/ — an inode directory numbered next_ino, an entry under
 *   its directory's next_cookie, and the counts nr_inodes, nr_dentries, next_ino, next_cookie
 *   raised), then the whole image as restart would.
 * - A record this layout does not place (a new record type) makes imageTree fail naming the record
 *   and its offset: place it in ROOT_RECORDS, TASK_RECORDS or ATTACHED below.
 */
import type { ArrayField, Field } from '../image/fields';
import { OBJ_TYPES, RecordSpec } from '../image/record-spec';
import { KERNEL_CONSTANTS, MAGIC_HEAD, RecordName, definersOf, recordByName } from '../image/schema';

export const OBJREF_FILE = 'objref';
export const FDS_DIR = 'fds';
export const VMAS_DIR = 'vmas';
export const PAGES_FILE = 'pages';
/** A `pages` line of pgref runs (incremental images): `parent <pid> <runs>`. */
export const PARENT_PAGES_PREFIX = 'parent';
export const DATA_FILE = 'data';
export const ROOTFS_INODES_DIR = 'inodes';
export const ROOTFS_ENTRIES_DIR = 'entries';
export const ROOTFS_EXTENTS_DIR = 'extents';
export const DONE_FILE = 'done';
/** A root file every tree has: how a tar's or directory's checkpoint root is recognised. */
export const ROOT_MARKER = 'format_version';

export const taskDirName = (pid: number): string => `task-${pid}`;
export const TASK_DIR_RE = /^task-([1-9][0-9]*)$/;
export const hexName = (n: number): string => n.toString(16);
export const vmaDirName = (start: number, end: number): string => `${hexName(start)}-${hexName(end)}`;

/** Records of the root scope, in image order (before the objects, rootfs and task tree). */
export const ROOT_RECORDS: readonly RecordName[] = ['head', 'head_arch', 'container', 'sched'];
/** Records of each task, in image order; objects they refer to are defined just before them. */
export const TASK_RECORDS: readonly RecordName[] = [
  'task', 'task_ns', 'task_creds', 'task_objs', 'restart_block', 'thread', 'cpu', 'signal_task',
];
/** Objtypes that may be defined at the root (before the task tree), in the order they are written. */
export const ROOT_OBJECT_TYPES: readonly string[] = Object.keys(OBJ_TYPES);

/** Where a record's files go when its schema `tree` name does not fit the layout ('' = merged). */
const DIR_OVERRIDES: Readonly<Record<string, string>> = { head_arch: '', task: '' };

/** A record that comes right after another and belongs to it. */
export interface Attached {
  readonly record: RecordName;
  /** Always written (its presence cannot be seen in the tree when it shows no files). */
  readonly required?: boolean;
  /** Repeated: the parent's field holding the count; the elements go in `<dir>/<index>/`. */
  readonly countField?: string;
  readonly dir?: string;
}

export const ATTACHED: Readonly<Record<string, readonly Attached[]>> = {
  file: [{ record: 'inode_ref' }],
  fs: [{ record: 'inode_ref' }],
  pipe: [{ record: 'pipe_inode' }],
  container: [{ record: 'parent' }],
  mm: [{ record: 'mm_exe', required: true }],
  signal: [{ record: 'sigpending', required: true }],
  signal_task: [{ record: 'sigpending', required: true }],
  rootfs_inode: [{ record: 'rootfs_extent', countField: 'nr_extents', dir: ROOTFS_EXTENTS_DIR }],
};

/** File names of follower roles that differ from the role. */
const FOLLOWER_FILES: Readonly<Record<string, string>> = { contents: DATA_FILE };
export const followerFile = (role: string): string => FOLLOWER_FILES[role] ?? role;

/** Fields computed from the tree's shape rather than read from a file. */
const DERIVED = new Set([
  'task.pid', 'file_table.fdt_nfds', 'mm.map_count', 'pgarr.nr_pages', 'rootfs_inode.nr_extents', 'tree.nr_tasks', 'tree.pids',
]);
/** The head's constants: a null-tree head field always holds these (the image reader checks them). */
export const HEAD_CONSTANTS: Readonly<Record<string, number | bigint>> = { magic: MAGIC_HEAD, ...KERNEL_CONSTANTS };
/** A hidden field whose default is another field of the record rather than zero. */
export const HIDDEN_DEFAULT_FROM: Readonly<Record<string, string>> = { 'task_creds.ecred_ref': 'cred_ref' };
/** Objref fields shown as text (the objref) instead of the object inline. */
const BY_ID = new Set(['file_desc.fd_objref']);
/** Which record defines the object an objref field names, where its objtype has several definers. */
const DEFINER_OF_FIELD: Readonly<Record<string, RecordName>> = { 'file.pipe_objref': 'pipe', 'vma.ino_objref': 'shm' };

/** How one field appears in the tree. */
export type FieldShow =
  | { readonly kind: 'none' }
  /** A text file (scalar, enum, char array). */
  | { readonly kind: 'text'; readonly name: string; readonly hidden: boolean }
  /** A raw file of a fixed byte array, mode 0400. */
  | { readonly kind: 'raw'; readonly name: string; readonly hidden: boolean }
  /** The object an objref names, inline as a directory; absent for 0. */
  | { readonly kind: 'place'; readonly name: string; readonly hidden: boolean; readonly objtype: string; readonly definer: RecordName | null }
  /** An objref as text (a descriptor's `fd`). */
  | { readonly kind: 'byId'; readonly name: string; readonly objtype: string }
  /** An array of one-field elements: one line per element. */
  | { readonly kind: 'list'; readonly name: string; readonly hidden: boolean; readonly element: Field }
  /** An array of structs: `<name>/<index>/`, or elements 1..n in the record's directory (`<signal>`). */
  | { readonly kind: 'entries'; readonly name: string; readonly hidden: boolean; readonly oneBased: boolean; readonly of: readonly Field[] };

function countFieldsOf(spec: RecordSpec): Set<string> {
  const out = new Set<string>();
  for (const f of spec.fields) if (f.kind === 'array' && typeof f.count === 'string') out.add(f.count);
  for (const fl of spec.followedBy) if (fl.length) out.add(fl.length.field);
  return out;
}

/** The record defining what `key` names; null for objtypes no crfs image can define (the reader rejects a nonzero one). */
function definerFor(key: string, objtype: string): RecordName | null {
  const fixed = DEFINER_OF_FIELD[key];
  if (fixed) return fixed;
  const defs = definersOf(objtype);
  if (defs.length === 0) return null;
  if (defs.length !== 1) throw new Error(`crfs tree layout: objref field ${key} names a ${objtype}, defined by ${defs.length} records; add it to DEFINER_OF_FIELD`);
  return defs[0] as RecordName;
}

/** How the field `f` of record `spec` (or of one of its array elements) is shown. */
export function classifyField(spec: RecordSpec, f: Field, inArray = false): FieldShow {
  if (f.kind === 'pad') return { kind: 'none' };
  const key = `${spec.name}.${f.name}`;
  if (!inArray) {
    if (DERIVED.has(key)) return { kind: 'none' };
    if (spec.name === 'head' && f.tree === null && f.name in HEAD_CONSTANTS) return { kind: 'none' };
    // Counts of a trailing array and lengths of followers are derived when the schema hides them;
    // a shown one (a pipe's `size`) is read and checked against what it counts.
    if (f.tree === null && countFieldsOf(spec).has(f.name)) return { kind: 'none' };
  }
  const hidden = f.tree === null;
  const name = f.tree ?? f.name;
  switch (f.kind) {
    case 'bytes': return { kind: 'raw', name, hidden };
    case 'objref':
      if (BY_ID.has(key)) return { kind: 'byId', name, objtype: f.objtype };
      return { kind: 'place', name, hidden, objtype: f.objtype, definer: definerFor(key, f.objtype) };
    case 'array': return classifyArray(f, name, hidden);
    default: return { kind: 'text', name, hidden };
  }
}

function classifyArray(f: ArrayField, name: string, hidden: boolean): FieldShow {
  const shown = f.of.filter((e) => e.kind !== 'pad');
  if (shown.length === 1 && shown[0].kind !== 'bytes' && shown[0].kind !== 'array' && shown[0].kind !== 'objref') {
    return { kind: 'list', name, hidden, element: shown[0] };
  }
  return { kind: 'entries', name, hidden, oneBased: name === '<signal>', of: f.of };
}

const showCache = new WeakMap<RecordSpec, readonly { field: Field; show: FieldShow }[]>();

/** The fields of `spec` with how each is shown, in schema order (memoized). */
export function shownFields(spec: RecordSpec): readonly { field: Field; show: FieldShow }[] {
  let list = showCache.get(spec);
  if (!list) {
    list = spec.fields.map((field) => ({ field, show: classifyField(spec, field) }));
    showCache.set(spec, list);
  }
  return list;
}

/** The directory (relative to its scope) a record's files go in: '' when merged into the scope's. */
export function recordDir(spec: RecordSpec): string {
  if (spec.name in DIR_OVERRIDES) return DIR_OVERRIDES[spec.name];
  return spec.tree === null || spec.tree === '.' ? '' : spec.tree;
}

/** The spec of a record name (throws on a name the schema lacks: a layout bug). */
export function specOf(name: string): RecordSpec {
  return recordByName(name as RecordName);
}
