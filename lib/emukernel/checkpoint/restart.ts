// sys_restart's body: validate a whole image, then rebuild its container in a fresh kernel.
import { readImageItems } from '../../crfs/image/codec';
import type { ImageItem, RecordValue } from '../../crfs/image/schema';
import { checkCpuRecord, checkHeadArch, restoreCpu } from '../../arch/riscv64/checkpoint';
import { Kernel, KernelOptions } from '../kernel';
import { Process } from '../process';
import { Task } from '../task';
import type { Mm } from '../mm/mm';
import type { FdTable } from '../fs/fdtable';
import type { FsContext } from '../fs/fs-context';
import type { SigHand } from '../signal/sighand';
import { restoreRootfs } from '../fs/checkpoint';
import { adoptImagePages } from '../mm/checkpoint-restore';
import { RestoredSignal, restoreTaskSignals } from '../signal/checkpoint';
import { RestoreContext, RestoreError } from './context';
import { RESTORERS } from './subsystems';
import { resolveParentChain, setParentPages } from './incremental';
import type { RestoredCred } from './task-objects';
import { RB_DEADLINE, RB_INTERRUPTED } from './checkpoint';

export interface RestoreOptions {
  /**
   * The caller gives `image` away (it read the bytes for this restore and will not use them again):
   * the restored memory pages are the image's own page bytes, taken over by the page pool, instead
   * of copies. Restore then costs no second copy of the memory, and the image stays alive as long as
   * those pages do. Without it the image is only read, and may be reused (restored again, compared).
   */
  readonly adoptImage?: boolean;
  /**
   * An incremental image's parent chain: the images its pgref records resolve in, in any order
   * (matched by the parent records' id, checksum and length). Only read, never adopted.
   */
  readonly parents?: readonly Uint8Array[];
  /**
   * CRC-32 of the image's first `end` bytes, from whoever read it (readSummedFd checksums on another
   * thread while reading): the tail checksum is checked against it instead of checksumming again.
   */
  readonly crcOf?: (end: number) => number;
}

/**
 * Rebuild the container saved in `image` inside a new Kernel, ready for runToCompletion. Every
 * record is decoded and checked (framing, checksum, semantic validation) before anything is built,
 * and the kernel is only returned whole: on any error (ImageError or RestoreError, one line naming
 * the record and offset) nothing of it has run and it is simply dropped.
 */
export function restoreKernel(image: Uint8Array, opts: KernelOptions = {}, how: RestoreOptions = {}): Kernel {
  // A given-away image is read as a plain Uint8Array, so the page views the reader makes are ones
  // the pool can keep as its pages' own (a Buffer's would not do: its slice() shares memory).
  const bytes = how.adoptImage === true ? new Uint8Array(image.buffer, image.byteOffset, image.byteLength) : image;
  const items = readImageItems(bytes, how.crcOf ? { prefixCrc: how.crcOf } : {});
  refuseFailedCheckpoint(items);
  const parentPages = resolveParentChain(items, how.parents ?? []);
  const k = new Kernel(opts);
  const r = new RestoreContext(k, items, RESTORERS);
  if (how.adoptImage === true) adoptImagePages(r);
  if (parentPages !== null) setParentPages(r, parentPages);
  restorePrologue(r);
  r.takeObjects();
  restoreRootfs(r);
  const tree = r.record('tree');
  const procs = new Map<number, Process>();
  for (const entry of tree.pids) restoreEntry(r, entry, procs);
  r.record('tail');
  linkProcesses(k, tree, procs);
  k.scheduler.reissueBlocked();
  return k;
}

function refuseFailedCheckpoint(items: readonly ImageItem[]): void {
  const err = items.find((i) => i.kind === 'record' && i.name === 'error');
  if (!err) return;
  const msg = items.find((i) => i.kind === 'string' && i.offset > err.offset);
  throw new RestoreError(`image: records a failed checkpoint (record 'error' at offset ${err.offset}): ${msg && msg.kind === 'string' ? msg.text : 'no message'}`);
}

function restorePrologue(r: RestoreContext): void {
  r.record('head');
  r.string();
  r.string();
  r.string();
  const archItem = r.peek();
  const arch = r.record('head_arch');
  const why = checkHeadArch(arch);
  if (why) r.fail(archItem, why);
  const container = r.record('container');
  if (r.at('parent')) r.record('parent');
  const sched = r.record('sched');
  const k = r.k;
  k.clock.idleNs = sched.idle_ns;
  k.clock.realtimeBaseNs = sched.realtime_base_ns;
  k.instructions = sched.instructions;
  k.setNextPid(sched.next_pid);
  k.random.state = sched.random_state;
  pendingSched.set(k, { sched, initPid: container.init_pid });
}

/** The scheduler state can only be applied once the tasks exist. */
const pendingSched = new WeakMap<Kernel, { sched: RecordValue<'sched'>; initPid: number }>();

type TreePid = RecordValue<'tree'>['pids'][number];

function restoreEntry(r: RestoreContext, entry: TreePid, procs: Map<number, Process>): void {
  const taskItem = r.peek();
  const rec = r.record('task');
  if (rec.pid !== entry.vpid) r.fail(taskItem, `pid ${rec.pid}, but the tree lists pid ${entry.vpid} here`);
  r.record('task_ns');
  r.takeObjects();
  const creds = r.record('task_creds');
  r.takeObjects();
  const objsItem = r.peek();
  const objs = r.record('task_objs');
  const rb = r.record('restart_block');
  r.record('thread');
  const cpuItem = r.peek();
  const cpu = r.record('cpu');
  const badCpu = checkCpuRecord(cpu);
  if (badCpu) r.fail(cpuItem, badCpu);
  if (rec.exit_state === 'zombie') {
    if (entry.vtgid !== entry.vpid) r.fail(taskItem, `zombie ${rec.pid} is a thread of ${entry.vtgid}`);
    const p = new Process(rec.pid, null, entry.vpgid, entry.vsid, rec.exit_signal);
    p.state = 'zombie';
    p.waitStatus = rec.exit_code;
    p.deadInstructions = cpu.instret;
    procs.set(p.pid, p);
    r.record('signal_task');
    r.record('sigpending');
    return;
  }
  let proc = procs.get(entry.vtgid);
  if (!proc) {
    if (entry.vtgid !== entry.vpid) r.fail(taskItem, `thread ${rec.pid} comes before its group leader ${entry.vtgid}`);
    proc = new Process(rec.pid, null, entry.vpgid, entry.vsid, rec.exit_signal);
    const sig = r.object<RestoredSignal>('signal', objs.signal_objref, "record 'task_objs'");
    proc.signal = sig.shared;
    proc.rlimits = sig.rlimits;
    proc.stopReport = sig.stopReport;
    proc.continueReport = sig.continueReport;
    proc.groupExitStatus = sig.groupExitStatus;
    procs.set(proc.pid, proc);
  } else if (r.object<RestoredSignal>('signal', objs.signal_objref, "record 'task_objs'").shared !== proc.signal) {
    r.fail(objsItem, `thread ${rec.pid} has another signal object than its group leader`);
  }
  const what = `record 'task_objs' of pid ${rec.pid}`;
  const mm = r.object<Mm>('mm', objs.mm_objref, what);
  const files = r.object<FdTable>('file_table', objs.files_objref, what);
  const fs = r.object<FsContext>('fs', objs.fs_objref, what);
  const sighand = r.object<SigHand>('sighand', objs.sighand_objref, what);
  const t = new Task(rec.pid, proc, mm, files, fs, sighand, rec.comm);
  if (r.k.tasks.size > 0 && [...r.k.tasks.values()].some((o) => o.mm === mm)) mm.users++;
  const cred = creds.cred_ref !== 0 ? r.object<RestoredCred>('cred', creds.cred_ref, `record 'task_creds' of pid ${rec.pid}`) : null;
  if (cred) { t.uid = cred.uid; t.gid = cred.gid; }
  restoreCpu(t.cpu, cpu);
  t.clearChildTid = rec.clear_child_tid;
  t.robustList = rec.robust_futex_list;
  t.robustListLen = rec.robust_futex_head_len;
  restoreRestartBlock(t, rec, rb);
  r.k.addTask(t);
  restoreTaskSignals(r, t);
}

/**
 * A task saved asleep in a syscall is restored runnable with its pc still at the ecall: it
 * re-executes the syscall and goes back to sleep on the right queue (with the saved deadline).
 */
function restoreRestartBlock(t: Task, rec: RecordValue<'task'>, rb: RecordValue<'restart_block'>): void {
  if (rb.function_type !== 'none' && rb.syscall_nr >= 0) {
    t.restart = { nr: rb.syscall_nr };
    if (rb.flags & RB_DEADLINE) t.restart.deadlineNs = rb.deadline_ns;
    if (rb.done !== 0) t.restart.done = rb.done;
  }
  t.interrupted = (rb.flags & RB_INTERRUPTED) !== 0;
  if (rec.state === 'interruptible') {
    t.state = 'runnable';
    t.reissue = true;
    t.sleepSeq = rb.sleep_order;
  } else if (rec.state === 'stopped') {
    t.state = 'stopped';
  }
}

function linkProcesses(k: Kernel, tree: RecordValue<'tree'>, procs: Map<number, Process>): void {
  for (const e of tree.pids) {
    const p = procs.get(e.vtgid);
    if (!p || e.vpid !== e.vtgid) continue;
    if (e.vppid !== 0) {
      const parent = procs.get(e.vppid);
      if (!parent) throw new RestoreError(`image: record 'tree': parent ${e.vppid} of pid ${e.vpid} is not in the container`);
      p.parent = parent;
      parent.children.add(p);
    }
    k.processes.set(p.pid, p);
  }
  const st = pendingSched.get(k);
  if (!st) throw new RestoreError('image: no sched record');
  const init = procs.get(st.initPid);
  if (!init) throw new RestoreError(`image: record 'container': init pid ${st.initPid} is not in the tree`);
  k.init = init;
  k.scheduler.importState({ currentPid: st.sched.current_pid, sliceLeft: st.sched.slice_left, cursor: st.sched.sched_cursor });
}
