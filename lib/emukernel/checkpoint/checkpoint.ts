// sys_checkpoint's body: walk a frozen container in image order and write every record of it.
import { ImageWriter } from '../../crfs/image/codec';
import type { ImageSink } from '../../crfs/image/sinks';
import type { RecordWriter } from '../../crfs/image/writer';
import {
  FORMAT_VERSION, KERNEL_CONSTANTS, KERNEL_VERSION, MAGIC_HEAD, PAGE_SIZE, RecordValue, zeroRecord,
} from '../../crfs/image/schema';
import { cpuRecord, headArchRecord } from '../../arch/riscv64/checkpoint';
import { getBig, getI32, Reg } from '../../arch/riscv64/state';
import type { Kernel } from '../kernel';
import type { Process } from '../process';
import type { PagePins } from '../mm/page';
import type { Task } from '../task';
import { checkpointMm } from '../mm/checkpoint';
import { checkpointFileTable, checkpointFs, checkpointRootfs } from '../fs/checkpoint';
import { checkpointSighand, checkpointSignal, writeTaskSignals } from '../signal/checkpoint';
import { vforkParents } from '../proc/exit';
import { CheckpointContext, CheckpointError } from './context';
import type { ParentCapture } from './incremental';
import { EINVAL } from '../errno';
import { checkpointCred, checkpointNs } from './task-objects';

export interface CheckpointOptions {
  /** The id sys_checkpoint returns and the image records. */
  id: number;
  /** sys_checkpoint flags, recorded in the head. */
  flags?: number;
  /** Copy mode: hold every page the image refers to here (see PagePins), so the container may thaw at once. */
  pins?: PagePins;
  /**
   * Incremental: private anonymous pages the parent (a copy-mode capture whose pins are still held)
   * captured and the container has not written since are written as pgref records to it.
   */
  parent?: ParentCapture | null;
}

export interface CheckpointResult {
  id: number;
  /** Bytes written, tail included. */
  bytes: number;
  records: number;
}

/** One entry of the task tree: a live thread, or a zombie process (no threads left). */
type TreeEntry = { kind: 'task'; t: Task } | { kind: 'zombie'; p: Process };

/** Live tasks and zombies, ascending pid: creation order, so parents come before children. */
function treeEntries(k: Kernel): TreeEntry[] {
  const out: TreeEntry[] = k.runOrder.map((t) => ({ kind: 'task' as const, t }));
  for (const p of k.processes.values()) if (p.state === 'zombie') out.push({ kind: 'zombie', p });
  const pidOf = (e: TreeEntry): number => (e.kind === 'task' ? e.t.tid : e.p.pid);
  return out.sort((a, b) => pidOf(a) - pidOf(b));
}

/**
 * Write the checkpoint of `k` (which must be frozen) to `sink`. The walk only reads the container.
 * Throws CheckpointError after writing an error record, a message and the tail when something in
 * the container cannot be saved; the container is unchanged either way.
 */
export function writeCheckpoint(k: Kernel, sink: ImageSink, opts: CheckpointOptions): CheckpointResult {
  return writeCheckpointWith(k, new ImageWriter(sink), opts);
}

/** writeCheckpoint through any RecordWriter (an ItemWriter keeps the records as items for a live tree). */
export function writeCheckpointWith(k: Kernel, w: RecordWriter, opts: CheckpointOptions): CheckpointResult {
  if (!k.scheduler.frozen) throw new Error('writeCheckpoint: the container is not frozen');
  const parent = opts.parent ?? null;
  // Released pins let the container write in place, so "the same view" would no longer mean
  // "unchanged"; only write marks can tell then, and only a capture that took page tables has them.
  if (parent !== null && parent.pins.isReleased && parent.mms.size > 0 && [...parent.mms].every((pid) => parent.pins.epochOf(pid) === undefined)) {
    throw new CheckpointError(EINVAL, `parent checkpoint ${parent.id}: its pages are released and it kept no write marks, so an incremental checkpoint cannot tell what changed`);
  }
  const ctx = new CheckpointContext(k, w, opts.pins ?? null, parent);
  try {
    checkSupported(k);
    writePrologue(ctx, opts);
    checkpointNs(ctx, k);
    checkpointRootfs(ctx, k);
    const entries = treeEntries(k);
    writeTree(ctx, entries);
    for (const e of entries) {
      if (e.kind === 'task') writeTask(ctx, e.t);
      else writeZombie(ctx, e.p);
    }
    w.finish();
  } catch (e) {
    if (!(e instanceof CheckpointError)) throw e;
    w.error(e.errno, e.message);
    throw e;
  }
  return { id: opts.id, bytes: w.offset, records: w.recordCount };
}

/** What this kernel cannot save is refused before anything is written. */
function checkSupported(k: Kernel): void {
  for (const t of k.runOrder) {
    if (vforkParents.get(t) !== undefined) {
      throw new CheckpointError(16, `pid ${t.tgid}: task ${t.tid} is a vfork child its parent is still waiting for`);
    }
  }
}

function writePrologue(ctx: CheckpointContext, opts: CheckpointOptions): void {
  const { k, w } = ctx;
  w.record('head', {
    ...zeroRecord('head'), magic: MAGIC_HEAD, arch_id: 'riscv64', ...KERNEL_VERSION, rev: FORMAT_VERSION,
    ...KERNEL_CONSTANTS,
    // The container's own clock, not the host's: the same state always gives the same bytes.
    time: k.clock.realtimeNs(k.instructions), uflags: BigInt(opts.flags ?? 0), page_size: PAGE_SIZE,
  });
  w.string(k.utsname.release);
  w.string(k.utsname.version);
  w.string(k.utsname.machine);
  w.record('head_arch', headArchRecord());
  w.record('container', { checkpoint_id: opts.id, init_pid: k.init?.pid ?? 1 });
  const parent = ctx.parent;
  if (parent !== null) w.record('parent', { parent_id: parent.id, parent_checksum: parent.checksum, parent_bytes: parent.bytes });
  const st = k.scheduler.exportState();
  w.record('sched', {
    ...zeroRecord('sched'),
    monotonic_ns: k.nowNs(), idle_ns: k.clock.idleNs, realtime_base_ns: k.clock.realtimeBaseNs,
    instructions: k.instructions, next_pid: k.peekNextPid(), current_pid: st.currentPid,
    random_state: k.random.state, slice_left: st.sliceLeft, sched_cursor: st.cursor,
  });
}

function writeTree(ctx: CheckpointContext, entries: TreeEntry[]): void {
  ctx.w.record('tree', {
    nr_tasks: entries.length, _pad0: 0,
    pids: entries.map((e) => {
      const p = e.kind === 'task' ? e.t.proc : e.p;
      const vpid = e.kind === 'task' ? e.t.tid : e.p.pid;
      return { vpid, vppid: p.parent?.pid ?? 0, vtgid: p.pid, vpgid: p.pgid, vsid: p.sid, depth: 0 };
    }),
  } as RecordValue<'tree'>);
}

function taskState(t: Task): RecordValue<'task'>['state'] {
  if (t.state === 'stopped') return 'stopped';
  if (t.state === 'blocked') return 'interruptible';
  return 'running';
}

function writeTask(ctx: CheckpointContext, t: Task): void {
  const { w } = ctx;
  ctx.taskPid = t.tid;
  const leader = t.tid === t.proc.pid;
  w.record('task', {
    ...zeroRecord('task'), state: taskState(t), exit_state: 'none', exit_signal: leader ? t.proc.exitSignal : 0,
    robust_futex_head_len: t.robustListLen, robust_futex_list: t.robustList, clear_child_tid: t.clearChildTid,
    pid: t.tid, comm: t.comm,
  });
  w.record('task_ns', { ns_objref: ctx.refOf(ctx.k) });
  const cred = checkpointCred(ctx, t);
  w.record('task_creds', { cred_ref: cred, ecred_ref: cred });
  const where = (f: () => number): number => {
    try {
      return f();
    } catch (e) {
      if (e instanceof CheckpointError && !e.message.startsWith('pid ')) throw new CheckpointError(e.errno, `pid ${t.tid}: ${e.message}`);
      throw e;
    }
  };
  const files = where(() => checkpointFileTable(ctx, t.files));
  const mm = where(() => checkpointMm(ctx, t.mm));
  const fs = where(() => checkpointFs(ctx, t.fs));
  const sighand = where(() => checkpointSighand(ctx, t.sighand));
  const signal = where(() => checkpointSignal(ctx, t.proc));
  w.record('task_objs', { files_objref: files, mm_objref: mm, fs_objref: fs, sighand_objref: sighand, signal_objref: signal });
  w.record('restart_block', restartRecord(ctx.k, t));
  w.record('thread', {
    syscall_nr: t.state === 'blocked' ? getI32(t.cpu, Reg.a7) : -1, flags: 0, orig_a0: getBig(t.cpu, Reg.a0),
  });
  w.record('cpu', cpuRecord(t.cpu));
  writeTaskSignals(ctx, t);
}

/** The restart block flags: which optional fields hold a value. */
export const RB_INTERRUPTED = 1, RB_DEADLINE = 2, RB_WAKE_AT = 4, RB_TIMEOUT_RESULT = 8;

/** 1 + the number of sleepers that went to sleep before `t`: small, and the same for the same state. */
function sleepRank(k: Kernel, t: Task): number {
  let rank = 1;
  for (const o of k.runOrder) if (o.state === 'blocked' && o.sleepSeq < t.sleepSeq) rank++;
  return rank;
}

function restartRecord(k: Kernel, t: Task): RecordValue<'restart_block'> {
  const r = t.restart;
  let flags = t.interrupted ? RB_INTERRUPTED : 0;
  if (r?.deadlineNs !== undefined) flags |= RB_DEADLINE;
  if (t.state === 'blocked' && t.wakeAtNs !== null) flags |= RB_WAKE_AT;
  if (t.state === 'blocked' && t.timeoutResult !== null) flags |= RB_TIMEOUT_RESULT;
  const blocked = t.state === 'blocked';
  return {
    ...zeroRecord('restart_block'),
    function_type: blocked || r ? 'syscall' : 'none',
    syscall_nr: r ? r.nr : blocked ? getI32(t.cpu, Reg.a7) : -1,
    flags, deadline_ns: r?.deadlineNs ?? 0, done: r?.done ?? 0,
    wake_at_ns: blocked && t.wakeAtNs !== null ? t.wakeAtNs : 0,
    timeout_result: blocked && t.timeoutResult !== null ? t.timeoutResult : 0,
    sleep_order: blocked ? sleepRank(k, t) : 0,
  };
}

/** A zombie keeps only its pid, parent and wait status; it has no objects and no registers. */
function writeZombie(ctx: CheckpointContext, p: Process): void {
  const { w } = ctx;
  w.record('task', {
    ...zeroRecord('task'), state: 'running', exit_state: 'zombie', exit_code: p.waitStatus, exit_signal: p.exitSignal,
    pid: p.pid, comm: 'zombie',
  });
  w.record('task_ns', { ns_objref: ctx.refOf(ctx.k) });
  w.record('task_creds', { cred_ref: 0, ecred_ref: 0 });
  w.record('task_objs', { files_objref: 0, mm_objref: 0, fs_objref: 0, sighand_objref: 0, signal_objref: 0 });
  w.record('restart_block', { ...zeroRecord('restart_block'), function_type: 'none', syscall_nr: -1 });
  w.record('thread', { syscall_nr: -1, flags: 0, orig_a0: 0n });
  w.record('cpu', { ...zeroRecord('cpu'), instret: p.deadInstructions });
  w.record('signal_task', { ...zeroRecord('signal_task'), altstack_flags: 2 });
  w.record('sigpending', { nr_pending: 0, signal: 0n, siginfo: [] });
}
