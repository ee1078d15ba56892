// The crfs image format, declared once: every record type, its number, fields and meaning (linux-cr v23 layout).
/*
 * API summary (lib/crfs/image/):
 *   schema.ts    RECORDS, recordByType/recordByName, FORMAT_VERSION, MAGIC_HEAD/TAIL, ARCH_RISCV64,
 *                PAGE_SIZE, KERNEL_CONSTANTS; types RecordName, RecordValue<'vma'>, ImageItem.
 *   codec.ts     ImageWriter(sink): record(name, value), string(text), buffer(bytes), objref(type, ref),
 *                pages(addrs, pageViews), pageRefs(pid, addrs), endVma(), error(errno, msg), finish(); sinks: collectSink, fdSink,
 *                streamSink. ImageReader.fromBuffer(buf) (sync + async iterable), .fromFd(fd), .fromChunks(it):
 *                yields ImageItem (records, strings, buffers, page addresses, pages), throws ImageError.
 *   encode.ts / decode.ts   payload (de)serialization derived from the schema.
 *   validate.ts  ImageValidator: semantic checks over decoded items (pids, VMAs, fds, grammar); run by the reader.
 *   describe.ts  describeRecords(image) -> ckptinfo -v lines; summarizeImage(image) -> counts.
 *   doc.ts       renderImageFormatDoc() -> docs/IMAGE-FORMAT.md.
 *   errors.ts    ImageError (message `image: record 'vma' at offset 4096: ...`, .recordName, .offset).
 * Framing: struct ckpt_hdr { u32 type; u32 len; } little-endian, len counts the 8-byte header and the
 * payload but not the zero padding that brings the next header to a multiple of 8.
 */
import type { Field } from './fields';
import { zeroPayloadValue } from './encode';
import { RecordSpec, RecordValueOf } from './record-spec';
import * as base from './records-base';
import * as file from './records-file';
import * as mm from './records-mm';
import * as rootfs from './records-rootfs';
import * as sig from './records-signal';
import * as task from './records-task';

/** Bumped whenever the meaning of a record changes; numbers only grow and fields are only appended. */
export const FORMAT_VERSION = 1;
export const MAGIC_HEAD = 0x00feed0cc0a2d200n;
export const MAGIC_TAIL = 0x002d2a0cc0deef00n;
export const ARCH_RISCV64 = base.ARCH_IDS.riscv64;
export const PAGE_SIZE = 4096;
/** Kernel version the head carries (emukernel follows Linux 6.1). */
export const KERNEL_VERSION = { major: 6, minor: 1, patch: 0 } as const;
/** linux-cr's ckpt_const as emukernel fills it; restart refuses an image built with others. */
export const KERNEL_CONSTANTS = {
  task_comm_len: 16, at_vector_size: 64, signal_nsig: sig.NSIG,
  uts_sysname_len: 65, uts_nodename_len: 65, uts_release_len: 65, uts_version_len: 65, uts_machine_len: 65,
  uts_domainname_len: 65, rlimit_nlimits: sig.NLIMITS, n_tty_buf_size: 4096, tty_termios_ncc: 19,
} as const;
/** Limits that keep a hostile image from making the reader allocate (strings, generic buffers, pages per array). */
export const MAX_STRING = 64 * 1024;
export const MAX_BUFFER = 64 * 1024 * 1024;
export const MAX_PAGES_PER_ARRAY = 4096;
/** Linux's PID_MAX_LIMIT and NR_OPEN. */
export const PID_MAX = 4194304;
export const FD_MAX = 1048576;

/** Every record type, in number order. */
export const RECORDS = [
  base.head, base.headArch, base.container, base.buffer, base.string, base.objrefRecord, base.parent,
  task.tree, task.task, task.taskNs, task.taskObjs, task.restartBlock, task.thread, task.cpu, task.ns, task.utsNs,
  task.cred, task.user, task.groupinfo, task.taskCreds, task.sched,
  file.fileTable, file.fileDesc, file.fileName, file.file, file.pipe,
  mm.mm, mm.vma, mm.pgarr, mm.mmContext, mm.shm, mm.mmExe, mm.pgref, mm.fs,
  rootfs.rootfs, rootfs.rootfsInode, rootfs.rootfsExtent, rootfs.rootfsDentry, rootfs.inodeRef, rootfs.pipeInode,
  sig.sighand, sig.signal, sig.signalTask, sig.sigpending,
  base.tail, base.error,
] as const;

/** Numbers assigned but never written (linux-cr features crfs does not carry); decoding one is an error. */
export const RESERVED: readonly { type: number; name: string; why: string }[] = [
  ...base.reservedBase, ...task.reservedTask, ...file.reservedFile,
  { type: 201, name: 'arch', why: '201–299 are reserved for arch-dependent records; riscv64 needs none yet' },
];

export type AnyRecordSpec = (typeof RECORDS)[number];
export type RecordName = AnyRecordSpec['name'];
export type SpecOf<N extends RecordName> = Extract<AnyRecordSpec, { name: N }>;
/** The decoded value of record `N`, e.g. RecordValue<'vma'>['vm_start']: number. */
export type RecordValue<N extends RecordName> = RecordValueOf<SpecOf<N>>;
/** Records with fields (not the string/bytes payload records). */
export type FieldRecordName = Exclude<RecordName, 'string' | 'buffer' | 'file_name'>;

const byType = new Map<number, RecordSpec>();
const byName = new Map<string, RecordSpec>();
for (const r of RECORDS as readonly RecordSpec[]) {
  if (byType.has(r.type) || byName.has(r.name)) throw new Error(`schema: record ${r.type} '${r.name}' declared twice`);
  byType.set(r.type, r);
  byName.set(r.name, r);
}
for (const r of RESERVED) if (byType.has(r.type)) throw new Error(`schema: reserved number ${r.type} is in use`);

/** The spec for a record number, or undefined for an unknown or reserved one. */
export function recordByType(type: number): RecordSpec | undefined {
  return byType.get(type);
}

/** The spec for a record name; throws on a name not in the schema (a caller bug). */
export function recordByName<N extends RecordName>(name: N): SpecOf<N> {
  const r = byName.get(name);
  if (!r) throw new Error(`schema: no record named '${name}'`);
  return r as SpecOf<N>;
}

/** A record type name for messages: the schema name, or `type N`. */
export function recordLabel(type: number): string {
  const r = byType.get(type);
  if (r) return r.name;
  const res = RESERVED.find((x) => x.type === type);
  return res ? res.name : `type ${type}`;
}

/** Map objtype name -> record names that can define it (derived from `objtype` in each spec). */
export function definersOf(objtype: string): readonly string[] {
  return (RECORDS as readonly RecordSpec[]).filter((r) => r.objtype === objtype).map((r) => r.name);
}

export type { Field };

/** One thing the reader yields: a field record, a string, a raw buffer, a page array's addresses, one page. */
export type ImageItem =
  | { [N in FieldRecordName]: { kind: 'record'; name: N; type: SpecOf<N>['type']; offset: number; len: number; value: RecordValue<N> } }[FieldRecordName]
  | { kind: 'string'; name: 'string' | 'file_name'; type: 5 | 303; offset: number; len: number; role: string | null; text: string }
  | { kind: 'buffer'; name: 'buffer'; type: 4; offset: number; len: number; role: string | null; data: Uint8Array }
  | { kind: 'addresses'; name: 'buffer'; type: 4; offset: number; len: number; role: 'addresses'; addrs: readonly number[] }
  /**
   * A page array's contents, one item for the whole buffer record (never one per page: a 1 GiB image
   * has 262,144 pages): `pages[i]` is the page at `addrs[i]` of the addresses item before it, each a
   * PAGE_SIZE view (of the image, or of a frozen container's memory), never a copy.
   */
  | { kind: 'pages'; name: 'buffer'; type: 4; offset: number; len: number; role: 'pages'; addrs: readonly number[]; pages: readonly Uint8Array[] };

/** A zero value of record `name` (see encode.ts zeroPayloadValue), typed for the writer. */
export function zeroRecord<N extends FieldRecordName>(name: N): RecordValue<N> {
  return zeroPayloadValue(recordByName(name)) as unknown as RecordValue<N>;
}
