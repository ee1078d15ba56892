// Checkpoint and restore of signal state: the handler table, the thread group's signal record, per-task masks and pending sets.
import { NLIMITS, RAW_SIGINFO_ENTRY } from '../../crfs/image/records-signal';
import type { ImageItem, RecordValue } from '../../crfs/image/schema';
import type { ObjType } from '../../crfs/image/record-spec';
import { EINVAL } from '../errno';
import type { CheckpointContext, ObjectRestorer, RestoreContext } from '../checkpoint/context';
import type { Process } from '../process';
import type { Task } from '../task';
import {
  FULL_MASK, KILL_STOP_MASK, NSIG, SA_KNOWN_FLAGS, SIGBUS, SIGFPE, SIGILL, SIGKILL, SIGSEGV, SIGSTOP, SIGSYS, SIGTRAP,
  SIG_DFL, SS_AUTODISARM, SS_DISABLE, isRealtimeSignal, isValidSignal, sigBit,
} from './constants';
import { MAX_QUEUED_SIGNALS, SigInfo, SigPending, SignalShared } from './pending';
import { SigHand } from './sighand';
import { SIGINFO_SIZE, decodeUserSigInfo } from './siginfo';

/** `signal` record flags. */
const SIGNAL_GROUP_STOPPED = 1, SIGNAL_STOP_REPORT = 2, SIGNAL_CONTINUE_REPORT = 4, SIGNAL_EXIT_CODE_VALID = 8;
const SIGNAL_KNOWN_FLAGS = 15;
/** `signal_task` flags. */
const TASK_SAVED_BLOCKED = 1;
const RLIM_INFINITY = (1n << 64n) - 1n;

/** Signals whose siginfo carries a fault address: their `sigval_ptr` is `addr`, every other signal's is `value`. */
const ADDR_SIGNALS = sigBit(SIGILL) | sigBit(SIGTRAP) | sigBit(SIGBUS) | sigBit(SIGFPE) | sigBit(SIGSEGV) | sigBit(SIGSYS);

type SigInfoRecord = RecordValue<'sigpending'>['siginfo'][number];

/** What a `signal` object restores to; the driver moves each part into the new Process. */
export interface RestoredSignal {
  shared: SignalShared;
  rlimits: Map<number, [bigint, bigint]>;
  stopReport: number | null;
  continueReport: boolean;
  /** Process.groupExitStatus: the status of a group exit already decided, or null. */
  groupExitStatus: number | null;
}

// ---- writing ----

/** The `sighand` objref of `sh`, writing its 64 actions on first sight. Never fails. */
export function checkpointSighand(ctx: CheckpointContext, sh: SigHand): number {
  return ctx.shared('sighand', sh, () => {
    const acts = sh.snapshot();
    const action: RecordValue<'sighand'>['action'] = [];
    for (let sig = 1; sig <= NSIG; sig++) {
      const a = acts[sig];
      action.push({ _sa_handler: a.handler, sa_flags: a.flags >>> 0, sa_restorer: a.restorer, sa_mask: a.mask });
    }
    ctx.w.record('sighand', { action });
  });
}

/**
 * The `signal` objref of `proc.signal`, writing on first sight the `signal` record (rlimits, group stop
 * and exit state, job-control reports), the raw siginfo buffer if any, and the shared `sigpending`.
 * Fails the checkpoint (ctx.fail, EINVAL) for an rlimit beyond RLIM_NLIMITS or a siginfo the format cannot hold.
 */
export function checkpointSignal(ctx: CheckpointContext, proc: Process): number {
  return ctx.shared('signal', proc.signal, () => {
    const what = `pid ${proc.pid}`;
    for (const r of proc.rlimits.keys()) {
      if (!Number.isInteger(r) || r < 0 || r >= NLIMITS) ctx.fail(EINVAL, `${what}: rlimit ${r} beyond RLIM_NLIMITS`);
    }
    const rlim: RecordValue<'signal'>['rlim'] = [];
    for (let r = 0; r < NLIMITS; r++) {
      const [cur, max] = proc.rlimits.get(r) ?? [RLIM_INFINITY, RLIM_INFINITY];
      rlim.push({ rlim_cur: cur, rlim_max: max });
    }
    const sig = proc.signal;
    const flags = (sig.groupStopped ? SIGNAL_GROUP_STOPPED : 0) | (proc.stopReport !== null ? SIGNAL_STOP_REPORT : 0)
      | (proc.continueReport ? SIGNAL_CONTINUE_REPORT : 0) | (proc.groupExitStatus !== null ? SIGNAL_EXIT_CODE_VALID : 0);
    const pending = packPending(ctx, sig.shared, `${what} shared pending`);
    ctx.w.record('signal', {
      rlim, it_real_value: 0, it_real_incr: 0, it_virt_value: 0, it_virt_incr: 0, it_prof_value: 0, it_prof_incr: 0,
      tty_objref: 0, tty_pgrp: 0, tty_old_pgrp: 0, group_exit_code: proc.groupExitStatus ?? 0,
      flags, group_exit_signal: sig.groupExitSignal, stop_report: proc.stopReport ?? 0, nr_raw_siginfo: pending.nrRaw,
    });
    writePending(ctx, pending);
  });
}

/** Writes `signal_task` (masks, altstack), its raw siginfo buffer if any, then the task's own `sigpending`. */
export function writeTaskSignals(ctx: CheckpointContext, t: Task): void {
  const pending = packPending(ctx, t.pending, `tid ${t.tid} pending`);
  ctx.w.record('signal_task', {
    blocked: t.blocked, saved_blocked: t.savedBlocked ?? 0n, flags: t.savedBlocked !== null ? TASK_SAVED_BLOCKED : 0,
    altstack_sp: t.altStackSp, altstack_size: t.altStackSize, altstack_flags: t.altStackFlags >>> 0, nr_raw_siginfo: pending.nrRaw,
  });
  writePending(ctx, pending);
}

interface PackedPending {
  record: RecordValue<'sigpending'>;
  nrRaw: number;
  raw: Uint8Array | null;
}

/** A pending set as its records: the siginfo entries and, for those sigqueue'd with user bytes, the raw buffer. */
function packPending(ctx: CheckpointContext, p: SigPending, what: string): PackedPending {
  const siginfo: SigInfoRecord[] = [];
  const raws: number[] = [];
  p.queue.forEach((info, i) => {
    siginfo.push(packSigInfo(ctx, info, `${what} entry ${i} (signal ${info.signo})`));
    if (info.raw) raws.push(i);
  });
  let raw: Uint8Array | null = null;
  if (raws.length > 0) {
    raw = new Uint8Array(raws.length * RAW_SIGINFO_ENTRY);
    const dv = new DataView(raw.buffer);
    raws.forEach((idx, j) => {
      const bytes = p.queue[idx].raw as Uint8Array;
      if (bytes.length !== SIGINFO_SIZE) ctx.fail(EINVAL, `${what} entry ${idx}: raw siginfo of ${bytes.length} bytes`);
      dv.setUint32(j * RAW_SIGINFO_ENTRY, idx, true);
      raw?.set(bytes, j * RAW_SIGINFO_ENTRY + 8);
    });
  }
  return { record: { nr_pending: siginfo.length, signal: p.mask, siginfo }, nrRaw: raws.length, raw };
}

function writePending(ctx: CheckpointContext, p: PackedPending): void {
  if (p.raw) ctx.w.buffer(p.raw);
  ctx.w.record('sigpending', p.record);
}

const safeU64 = (v: number | undefined): boolean => v === undefined || (Number.isSafeInteger(v) && v >= 0);

/**
 * One siginfo in linux-cr's 48 bytes: status rides in sigval_int and the fault address or the sigval in
 * sigval_ptr (linux-cr's fill_siginfo packs them the same way). A user-supplied siginfo is restored from
 * its raw bytes, so only its fields' readable copy goes here.
 */
function packSigInfo(ctx: CheckpointContext, info: SigInfo, what: string): SigInfoRecord {
  const addrSignal = (sigBit(info.signo) & ADDR_SIGNALS) !== 0n;
  let ptr: number;
  if (info.raw) {
    ptr = safeU64(info.value) ? (info.value ?? 0) : 0;
  } else {
    const other = addrSignal ? info.value : info.addr;
    if (other !== undefined && other !== 0) ctx.fail(EINVAL, `${what}: siginfo carries both an address and a value`);
    const v = addrSignal ? info.addr : info.value;
    if (!safeU64(v)) ctx.fail(EINVAL, `${what}: siginfo ${addrSignal ? 'address' : 'value'} ${String(v)} is not a 53-bit unsigned integer`);
    ptr = v ?? 0;
  }
  if (!safeU64(info.utime) || !safeU64(info.stime)) ctx.fail(EINVAL, `${what}: siginfo utime/stime out of range`);
  return {
    signo: info.signo, _errno: (info.errno ?? 0) >>> 0, code: info.code >>> 0, pid: info.pid >>> 0, uid: info.uid | 0,
    sigval_int: (info.status ?? 0) >>> 0, sigval_ptr: ptr, utime: info.utime ?? 0, stime: info.stime ?? 0,
  };
}

// ---- restoring ----

/** A `sighand` definition: 64 actions, with SIGKILL/SIGSTOP left at SIG_DFL and only known flags. Throws RestoreError. */
function restoreSighand(r: RestoreContext): SigHand {
  const item = r.peek();
  const v = r.record('sighand');
  const sh = new SigHand();
  v.action.forEach((a, i) => {
    const sig = i + 1;
    if (a.sa_flags > 0xffffffff || (a.sa_flags & ~SA_KNOWN_FLAGS) !== 0) r.fail(item, `signal ${sig}: unknown sa_flags 0x${a.sa_flags.toString(16)}`);
    if ((a.sa_mask & KILL_STOP_MASK) !== 0n) r.fail(item, `signal ${sig}: sa_mask holds SIGKILL or SIGSTOP`);
    if ((sig === SIGKILL || sig === SIGSTOP) && a._sa_handler !== SIG_DFL) r.fail(item, `signal ${sig} is caught or ignored`);
    if (a._sa_handler === SIG_DFL && a.sa_flags === 0 && a.sa_mask === 0n && a.sa_restorer === 0) return;
    sh.set(sig, { handler: a._sa_handler, flags: a.sa_flags >>> 0, mask: a.sa_mask, restorer: a.sa_restorer });
  });
  return sh;
}

/** A `signal` definition and the shared pending set after it. Throws RestoreError on an inconsistent record. */
function restoreSignal(r: RestoreContext): RestoredSignal {
  const item = r.peek();
  const v = r.record('signal');
  const rlimits = new Map<number, [bigint, bigint]>();
  v.rlim.forEach((l, i) => {
    if (l.rlim_cur > l.rlim_max) r.fail(item, `rlimit ${i}: soft limit ${l.rlim_cur} above hard limit ${l.rlim_max}`);
    rlimits.set(i, [l.rlim_cur, l.rlim_max]);
  });
  if ((v.flags & ~SIGNAL_KNOWN_FLAGS) !== 0) r.fail(item, `unknown flags 0x${v.flags.toString(16)}`);
  if (v.group_exit_signal !== 0 && !isValidSignal(v.group_exit_signal)) r.fail(item, `group_exit_signal ${v.group_exit_signal} out of range 1..${NSIG}`);
  const stopReport = (v.flags & SIGNAL_STOP_REPORT) !== 0 ? v.stop_report : null;
  if (stopReport !== null && !isValidSignal(stopReport)) r.fail(item, `stop_report ${stopReport} out of range 1..${NSIG}`);
  if (stopReport === null && v.stop_report !== 0) r.fail(item, `stop_report ${v.stop_report} without its flag`);
  if ((v.flags & SIGNAL_EXIT_CODE_VALID) === 0 && v.group_exit_code !== 0) r.fail(item, `group_exit_code ${v.group_exit_code} without its flag`);
  if (v.group_exit_code > 0xffff) r.fail(item, `group_exit_code 0x${v.group_exit_code.toString(16)} is not a wait status`);
  const shared = new SignalShared();
  shared.groupStopped = (v.flags & SIGNAL_GROUP_STOPPED) !== 0;
  shared.groupExitSignal = v.group_exit_signal;
  restorePending(r, v.nr_raw_siginfo, shared.shared);
  return {
    shared, rlimits, stopReport, continueReport: (v.flags & SIGNAL_CONTINUE_REPORT) !== 0,
    groupExitStatus: (v.flags & SIGNAL_EXIT_CODE_VALID) !== 0 ? v.group_exit_code : null,
  };
}

/** Reads `signal_task` and the task's `sigpending` into `t`. Throws RestoreError on masks or an altstack Linux would not hold. */
export function restoreTaskSignals(r: RestoreContext, t: Task): void {
  const item = r.peek();
  const v = r.record('signal_task');
  if ((v.flags & ~TASK_SAVED_BLOCKED) !== 0) r.fail(item, `unknown flags 0x${v.flags.toString(16)}`);
  const saved = (v.flags & TASK_SAVED_BLOCKED) !== 0 ? v.saved_blocked : null;
  if ((v.blocked & KILL_STOP_MASK) !== 0n) r.fail(item, 'blocked mask holds SIGKILL or SIGSTOP');
  if (saved !== null && (saved & KILL_STOP_MASK) !== 0n) r.fail(item, 'saved_blocked mask holds SIGKILL or SIGSTOP');
  if (saved === null && v.saved_blocked !== 0n) r.fail(item, 'saved_blocked set without its flag');
  const af = v.altstack_flags;
  if (af !== 0 && af !== SS_DISABLE && af !== SS_AUTODISARM) r.fail(item, `altstack_flags 0x${af.toString(16)} is not 0, SS_DISABLE or SS_AUTODISARM`);
  if (af === SS_DISABLE && (v.altstack_size !== 0 || v.altstack_sp !== 0)) r.fail(item, 'a disabled altstack with a base or size');
  t.blocked = v.blocked & FULL_MASK;
  t.savedBlocked = saved;
  t.altStackSp = v.altstack_sp;
  t.altStackSize = v.altstack_size;
  t.altStackFlags = af;
  t.pending.clear();
  restorePending(r, v.nr_raw_siginfo, t.pending);
}

/** Reads the optional raw siginfo buffer (`nrRaw` entries) and the `sigpending` record after it into `into`. */
function restorePending(r: RestoreContext, nrRaw: number, into: SigPending): void {
  const raws = new Map<number, Uint8Array>();
  let rawItem: ImageItem | undefined;
  if (nrRaw > 0) {
    rawItem = r.peek();
    const buf = r.buffer();
    if (buf.length !== nrRaw * RAW_SIGINFO_ENTRY) r.fail(rawItem, `siginfo_raw of ${buf.length} bytes for ${nrRaw} entries`);
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let last = -1;
    for (let j = 0; j < nrRaw; j++) {
      const idx = dv.getUint32(j * RAW_SIGINFO_ENTRY, true);
      if (idx <= last) r.fail(rawItem, `siginfo_raw entry ${j}: index ${idx} out of order`);
      if (dv.getUint32(j * RAW_SIGINFO_ENTRY + 4, true) !== 0) r.fail(rawItem, `siginfo_raw entry ${j}: reserved word not zero`);
      last = idx;
      raws.set(idx, buf.slice(j * RAW_SIGINFO_ENTRY + 8, (j + 1) * RAW_SIGINFO_ENTRY));
    }
  }
  const item = r.peek();
  const v = r.record('sigpending');
  if (v.siginfo.length > MAX_QUEUED_SIGNALS + NSIG) r.fail(item, `${v.siginfo.length} queued signals, above ${MAX_QUEUED_SIGNALS + NSIG}`);
  for (const idx of raws.keys()) if (idx >= v.siginfo.length) r.fail(rawItem, `siginfo_raw index ${idx} beyond nr_pending ${v.siginfo.length}`);
  const seen = new Set<number>();
  const queue: SigInfo[] = [];
  v.siginfo.forEach((si, i) => {
    if (!isValidSignal(si.signo)) r.fail(item, `siginfo ${i}: signo ${si.signo} out of range 1..${NSIG}`);
    if ((v.signal & sigBit(si.signo)) === 0n) r.fail(item, `siginfo ${i}: signal ${si.signo} queued but not in the pending set`);
    if (!isRealtimeSignal(si.signo)) {
      if (seen.has(si.signo)) r.fail(item, `siginfo ${i}: standard signal ${si.signo} queued twice`);
      seen.add(si.signo);
    }
    const raw = raws.get(i);
    queue.push(raw ? decodeUserSigInfo(raw, si.signo) : unpackSigInfo(si));
  });
  into.mask = v.signal;
  into.queue.push(...queue);
}

/** The inverse of packSigInfo; optional fields come back only when non-zero (every reader treats absent as 0). */
function unpackSigInfo(si: SigInfoRecord): SigInfo {
  const info: SigInfo = { signo: si.signo, code: si.code | 0, pid: si.pid | 0, uid: si.uid >>> 0 };
  if (si._errno !== 0) info.errno = si._errno | 0;
  if (si.sigval_int !== 0) info.status = si.sigval_int | 0;
  if (si.sigval_ptr !== 0) {
    if ((sigBit(si.signo) & ADDR_SIGNALS) !== 0n) info.addr = si.sigval_ptr;
    else info.value = si.sigval_ptr;
  }
  if (si.utime !== 0) info.utime = si.utime;
  if (si.stime !== 0) info.stime = si.stime;
  return info;
}

export const signalRestorers: Partial<Record<ObjType, ObjectRestorer>> = {
  sighand: restoreSighand,
  signal: restoreSignal,
};
