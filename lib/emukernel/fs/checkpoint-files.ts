// Checkpoint and restore of open files: inode-backed files, pipe ends with their pipe, host stdio re-bound at restart.
import { EXTERNAL_IDS, FILE_TYPES } from '../../crfs/image/records-file';
import { zeroRecord } from '../../crfs/image/schema';
import type { RecordValue } from '../../crfs/image/schema';
import { EBADF, KernelError } from '../errno';
import type { CheckpointContext, RestoreContext } from '../checkpoint/context';
import { FMODE_READ, FMODE_WRITE, S_IFCHR } from './constants';
import { OpenFile } from './file';
import { HostEnd, hostStdioOf, hostStdioOps, openHostStdioFile } from './host-stdio';
import type { HostFdInfo } from './host-io';
import { InodeRef, inodeFileOps, inodeRefOf } from './inode-files';
import { PIPE_CAPACITY, PIPE_PAGE, PIPE_SLOTS, Pipe, PipeEnd, pipeReadOps, pipeWriteOps } from './pipe';
import { raiseSigpipe } from './sigpipe';
import { isCheckpointedInode, restoredLink, restoredNextIno } from './checkpoint-rootfs';

type FileType = keyof typeof FILE_TYPES;
type ExternalId = keyof typeof EXTERNAL_IDS;

const EXTERNAL_OF_FD: readonly ExternalId[] = ['stdin', 'stdout', 'stderr'];
const EMPTY = new Uint8Array(0);

/** A time as the x64 field holds it (two's complement) and back. */
const timeField = (ns: bigint): bigint => BigInt.asUintN(64, ns);
const timeValue = (v: bigint): bigint => BigInt.asIntN(64, v);

/** The pipe behind a pipe end, or null for any other file. */
function pipeEndOf(f: OpenFile): PipeEnd | null {
  // Only createPipe builds files with these ops, always over a PipeEnd.
  return f.ops === pipeReadOps || f.ops === pipeWriteOps ? (f.priv as PipeEnd) : null;
}

/** The host end behind an external stdio file, or null. */
function hostEndOf(f: OpenFile): HostEnd | null {
  return f.ops === hostStdioOps ? (f.priv as HostEnd) : null;
}

/**
 * How the 16 page slots hold the buffered bytes (Pipe keeps the ring private): the read offset in
 * the oldest slot and each occupied slot's length, oldest first.
 */
function pipeSlots(p: Pipe): { firstOffset: number; lens: number[] } {
  const lens: number[] = [];
  const offs = p['offs'], lensArr = p['lens'];
  const tail = p['tail'], head = p['head'];
  for (let s = tail; s < head; s++) lens.push(lensArr[s % PIPE_SLOTS]);
  return { firstOffset: head > tail ? offs[tail % PIPE_SLOTS] : 0, lens };
}

/** The pipe's objref: `pipe`, its buffered bytes, then its pipefs inode and ring layout, on first sight. */
function checkpointPipe(ctx: CheckpointContext, p: Pipe): number {
  return ctx.shared('inode', p, () => {
    ctx.w.record('pipe', { nr_bytes: p.size, capacity: PIPE_CAPACITY, readers: p.readers, writers: p.writers });
    if (p.size > 0) ctx.w.buffer(p.peek(p.size));
    const { firstOffset, lens } = pipeSlots(p);
    ctx.w.record('pipe_inode', {
      ino: p.ino, atime_ns: timeField(p.atimeNs), mtime_ns: timeField(p.mtimeNs), ctime_ns: timeField(p.ctimeNs),
      first_offset: firstOffset, nr_slots: lens.length, slots: lens.map((len) => ({ len })),
    });
  });
}

function fileRecord(f: OpenFile, f_type: FileType, pipe_objref: number, external_id: ExternalId): RecordValue<'file'> {
  return {
    ...zeroRecord('file'), f_type, f_mode: f.mode, f_flags: f.flags >>> 0, f_pos: f.pos, f_version: f.version,
    pipe_objref, external_id,
  };
}

/**
 * The objref of open file `f`, writing it (and first its pipe) on first sight: the `file` record,
 * its `file_name` (the path; '' for pipes and unlinked files; host:[N] for host stdio) and, for a
 * root-filesystem file, an `inode_ref`. `what` names the holder for errors ("fd 5", "vma 0x1000").
 * Fails the checkpoint (ctx.fail, EBADF) for a file it cannot save. For fd tables and mm alike.
 */
export function checkpointFile(ctx: CheckpointContext, f: OpenFile, what: string): number {
  const known = ctx.refOf(f);
  if (known !== 0) return known;
  const pipeEnd = pipeEndOf(f);
  if (pipeEnd) {
    return ctx.shared('file', f, () => {
      ctx.w.record('file', fileRecord(f, 'pipe', ctx.refOf(pipeEnd.pipe), 'none'));
      ctx.w.string('', 'file_name');
    }, () => { checkpointPipe(ctx, pipeEnd.pipe); });
  }
  const host = hostEndOf(f);
  if (host) {
    if (!f.external || host.hostFd < 0 || host.hostFd > 2) ctx.fail(EBADF, `${what}: host file for host fd ${host.hostFd} cannot be re-bound`);
    return ctx.shared('file', f, () => {
      ctx.w.record('file', fileRecord(f, 'external', 0, EXTERNAL_OF_FD[host.hostFd]));
      ctx.w.string(f.ops.describe(f), 'file_name');
    });
  }
  const ref = inodeRefOf(f);
  if (!ref || f.external) ctx.fail(EBADF, `${what}: unsupported file type ${f.kind}`);
  const { fs, link, inode } = ref;
  if (fs !== ctx.k.rootfs || !isCheckpointedInode(ctx, inode)) ctx.fail(EBADF, `${what}: ${f.ops.describe(f)} is not in the container's root filesystem`);
  return ctx.shared('file', f, () => {
    ctx.w.record('file', fileRecord(f, inode.isDir() ? 'directory' : 'regular', 0, 'none'));
    ctx.w.string(fs.pathOf(link) ?? '', 'file_name');
    ctx.w.record('inode_ref', { ino: inode.ino });
    ctx.w.string(link.name);
  });
}

/** The `inode` objects this module defines: pipes (with their buffered bytes and ring layout). */
export function restorePipe(r: RestoreContext): Pipe {
  const item = r.peek();
  if (!r.at('pipe')) r.fail(item, 'an inode object other than a pipe');
  const v = r.record('pipe');
  const data = v.nr_bytes > 0 ? r.buffer() : EMPTY;
  const layItem = r.peek();
  const lay = r.record('pipe_inode');
  if (v.capacity !== PIPE_CAPACITY || v.nr_bytes > PIPE_CAPACITY) r.fail(item, `capacity ${v.capacity} with ${v.nr_bytes} bytes: only ${PIPE_CAPACITY}-byte pipes exist`);
  const fs = r.k.rootfs;
  if (lay.ino < 1 || lay.ino >= restoredNextIno(fs) || fs.sb.inodes[lay.ino]) r.fail(layItem, `pipe ino ${lay.ino} is not a free inode number`);
  const total = lay.slots.reduce((n, s) => n + s.len, 0);
  if (lay.nr_slots > PIPE_SLOTS || total !== v.nr_bytes || lay.slots.some((s) => s.len < 1 || s.len > PIPE_PAGE)
    || (lay.nr_slots > 0 && lay.first_offset + lay.slots[0].len > PIPE_PAGE) || (lay.nr_slots === 0 && lay.first_offset !== 0)) {
    r.fail(layItem, `slots [${lay.slots.map((s) => s.len).join(',')}] from offset ${lay.first_offset} do not hold the pipe's ${v.nr_bytes} bytes`);
  }
  const k = r.k;
  const p = new Pipe(lay.ino, fs.now, (t) => raiseSigpipe(k, t));
  p.atimeNs = timeValue(lay.atime_ns);
  p.mtimeNs = timeValue(lay.mtime_ns);
  p.ctimeNs = timeValue(lay.ctime_ns);
  let at = 0;
  lay.slots.forEach((s, i) => {
    // One fillSlots call of at most a page makes exactly one slot; the oldest is re-read from its offset.
    const lead = i === 0 ? lay.first_offset : 0;
    const chunk = new Uint8Array(lead + s.len);
    chunk.set(data.subarray(at, at + s.len), lead);
    p.fillSlots(chunk);
    if (lead > 0) p.consume(lead);
    at += s.len;
  });
  // Counted from the files restored over it, so EOF and EPIPE follow the ends that really exist.
  p.readers = 0;
  p.writers = 0;
  return p;
}

/** What a host stdio file reports when the restarting host has that fd closed: writes fail there, reads see EOF. */
function closedHostInfo(flags: number): HostFdInfo {
  return { mode: S_IFCHR | 0o666, rdev: 0, size: 0, blksize: 4096, flags, isTty: false };
}

function restoreHostFile(r: RestoreContext, v: RecordValue<'file'>, item: ReturnType<RestoreContext['peek']>): OpenFile {
  const hostFd = EXTERNAL_OF_FD.indexOf(v.external_id);
  if (hostFd < 0) r.fail(item, `external file re-bound to '${v.external_id}'`);
  const stdio = hostStdioOf(r.k);
  const openedNs = r.k.rootfs.now();
  const f = openHostStdioFile(stdio, hostFd, openedNs, v.f_flags)
    ?? new OpenFile(hostStdioOps, { stdio, hostFd, info: closedHostInfo(v.f_flags), openedNs }, v.f_flags);
  f.external = true;
  return f;
}

function restoreInodeFile(r: RestoreContext, v: RecordValue<'file'>, path: string, item: ReturnType<RestoreContext['peek']>): OpenFile {
  const refItem = r.peek();
  const ref = r.record('inode_ref');
  const name = r.string();
  const { link, inode } = restoredLink(r, refItem, path, ref.ino, name);
  if ((v.f_type === 'directory') !== inode.isDir()) r.fail(item, `f_type ${v.f_type} for ino ${inode.ino} of mode 0${inode.mode.toString(8)}`);
  let ops;
  try {
    ops = inodeFileOps(inode);
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    r.fail(item, `ino ${inode.ino} (mode 0${inode.mode.toString(8)}, rdev ${inode.rdev}) cannot be opened here`);
  }
  const fs = r.k.rootfs;
  fs.retainInode(inode);
  return new OpenFile<InodeRef>(ops, { fs, link, inode }, v.f_flags);
}

function restorePipeEnd(r: RestoreContext, v: RecordValue<'file'>, item: ReturnType<RestoreContext['peek']>): OpenFile {
  const p = r.object<object>('inode', v.pipe_objref, "record 'file'");
  if (!(p instanceof Pipe)) r.fail(item, `pipe_objref ${v.pipe_objref} is not a pipe`);
  if (v.f_mode !== FMODE_READ && v.f_mode !== FMODE_WRITE) r.fail(item, `a pipe end with f_mode ${v.f_mode}`);
  const writer = v.f_mode === FMODE_WRITE;
  if (writer) p.writers++;
  else p.readers++;
  return new OpenFile<PipeEnd>(writer ? pipeWriteOps : pipeReadOps, { pipe: p, writer }, v.f_flags);
}

/**
 * The `file` restorer: an OpenFile for r.k with the kind and ops a fresh open would give, the saved
 * f_pos, f_flags and f_version, and refs 0: every holder (fd table entry, mapping) takes its own
 * reference, so the count comes out as the number of holders. Pipe ends count themselves into their
 * pipe's readers/writers; root-filesystem files hold their inode open; host stdio files are bound
 * to the restoring kernel's host (hostStdioOf). Throws RestoreError for anything inconsistent.
 */
export function restoreFile(r: RestoreContext): OpenFile {
  const item = r.peek();
  const v = r.record('file');
  const path = r.string();
  let f: OpenFile;
  switch (v.f_type) {
    case 'regular': case 'directory': f = restoreInodeFile(r, v, path, item); break;
    case 'pipe': f = restorePipeEnd(r, v, item); break;
    case 'external': f = restoreHostFile(r, v, item); break;
    default: r.fail(item, `unsupported file type ${v.f_type}`);
  }
  if (f.mode !== v.f_mode) r.fail(item, `f_mode ${v.f_mode} contradicts f_flags 0${v.f_flags.toString(8)}`);
  f.pos = v.f_pos;
  f.version = v.f_version;
  f.refs = 0;
  return f;
}
