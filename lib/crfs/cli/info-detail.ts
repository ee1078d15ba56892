// What `crfs info` adds to describe.ts's summary: the head, the task tree, and each task's syscall and signals.
import { ImageReader } from '../image/codec';
import type { ImageItem } from '../image/schema';
import { SYSCALL_NAMES } from '../../emukernel/syscall-numbers';

export interface TaskDetail {
  pid: number;
  tgid: number;
  ppid: number;
  pgid: number;
  sid: number;
  comm: string;
  /** running, interruptible (asleep in a syscall), stopped, or zombie. */
  state: string;
  /** The syscall the task sleeps in or will re-execute (restart block), else null. */
  syscall: string | null;
  syscall_nr: number;
  /** Signals pending for this task alone, and for its whole thread group (signal numbers). */
  pending: number[];
  shared_pending: number[];
  /** The task's blocked mask (signal numbers). */
  blocked: number[];
  /** Wait status of a zombie, else null. */
  exit_status: number | null;
}

export interface ImageDetail {
  kernel: { release: string; version: string; machine: string };
  checkpoint_id: number;
  init_pid: number;
  /** Instructions the container had retired at the checkpoint. */
  instructions: number;
  monotonic_ns: number;
  tasks: TaskDetail[];
  /** An incremental image's parent (its parent record) and the pages it takes from it (pgref), else null. */
  parent: { id: number; checksum: number; bytes: number; pages: number } | null;
}

/** Signal numbers in a 64-bit set (bit n-1 = signal n). */
function signalsOf(set: bigint): number[] {
  const out: number[] = [];
  for (let n = 1; n <= 64; n++) if ((set >> BigInt(n - 1)) & 1n) out.push(n);
  return out;
}

/**
 * Walks a valid image (ImageReader without validation: the caller has validated it with describe.ts)
 * and collects the per-task view. Never throws for a well-formed image; fields it cannot find stay at
 * their zero values.
 */
export function collectImageDetail(image: Uint8Array): ImageDetail {
  const out: ImageDetail = {
    kernel: { release: '', version: '', machine: '' }, checkpoint_id: 0, init_pid: 0, instructions: 0, monotonic_ns: 0, tasks: [], parent: null,
  };
  const tree = new Map<number, { tgid: number; ppid: number; pgid: number; sid: number }>();
  /** Shared pending sets by the objref of their signal object. */
  const sharedPending = new Map<number, number[]>();
  /** release, version, machine: the strings right after the head record. */
  const headStrings: string[] = [];
  let inHead = false;
  let cur: TaskDetail | null = null;
  /** Which sigpending comes next: the signal object `ref`'s, or the current task's own. */
  let pendingFor: { kind: 'shared'; ref: number } | { kind: 'task' } | null = null;
  let lastObjref: { objtype: string; ref: number } | null = null;
  for (const item of ImageReader.fromBuffer(image, { validate: false }) as Iterable<ImageItem>) {
    if (item.kind === 'string') {
      if (inHead && headStrings.length < 3) headStrings.push(item.text);
      continue;
    }
    if (item.kind !== 'record') continue;
    inHead = item.name === 'head';
    switch (item.name) {
      case 'container':
        out.checkpoint_id = item.value.checkpoint_id;
        out.init_pid = item.value.init_pid;
        break;
      case 'parent':
        out.parent = { id: item.value.parent_id, checksum: item.value.parent_checksum, bytes: item.value.parent_bytes, pages: 0 };
        break;
      case 'pgref':
        if (out.parent) out.parent.pages += item.value.nr_pages;
        break;
      case 'sched':
        out.instructions = item.value.instructions;
        out.monotonic_ns = item.value.monotonic_ns;
        break;
      case 'tree':
        for (const e of item.value.pids) tree.set(e.vpid, { tgid: e.vtgid, ppid: e.vppid, pgid: e.vpgid, sid: e.vsid });
        break;
      case 'objref':
        lastObjref = { objtype: item.value.objtype, ref: item.value.objref };
        break;
      case 'signal':
        if (lastObjref?.objtype === 'signal') pendingFor = { kind: 'shared', ref: lastObjref.ref };
        break;
      case 'task': {
        const v = item.value;
        const t = tree.get(v.pid);
        const zombie = v.exit_state !== 'none';
        cur = {
          pid: v.pid, tgid: t?.tgid ?? v.pid, ppid: t?.ppid ?? 0, pgid: t?.pgid ?? 0, sid: t?.sid ?? 0, comm: v.comm,
          state: zombie ? v.exit_state : v.state, syscall: null, syscall_nr: -1, pending: [], shared_pending: [], blocked: [],
          exit_status: zombie ? v.exit_code : null,
        };
        out.tasks.push(cur);
        break;
      }
      case 'task_objs':
        if (cur) cur.shared_pending = sharedPending.get(item.value.signal_objref) ?? [];
        break;
      case 'restart_block':
        if (cur && item.value.function_type !== 'none' && item.value.syscall_nr >= 0) cur.syscall_nr = item.value.syscall_nr;
        break;
      case 'thread':
        if (cur && cur.syscall_nr < 0 && item.value.syscall_nr >= 0) cur.syscall_nr = item.value.syscall_nr;
        if (cur && cur.syscall_nr >= 0) cur.syscall = SYSCALL_NAMES.get(cur.syscall_nr) ?? `syscall ${cur.syscall_nr}`;
        break;
      case 'signal_task':
        if (cur) cur.blocked = signalsOf(item.value.blocked);
        pendingFor = { kind: 'task' };
        break;
      case 'sigpending':
        if (pendingFor?.kind === 'shared') sharedPending.set(pendingFor.ref, signalsOf(item.value.signal));
        else if (pendingFor?.kind === 'task' && cur) cur.pending = signalsOf(item.value.signal);
        pendingFor = null;
        break;
      default:
    }
  }
  [out.kernel.release = '', out.kernel.version = '', out.kernel.machine = ''] = headStrings;
  return out;
}
