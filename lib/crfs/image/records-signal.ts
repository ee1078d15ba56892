// Records 601–604: signal handlers, thread-group signal state, per-task masks and pending signals.
import { arrayOf, objref, pad, s32, u32, u64, x64 } from './fields';
import { defineRecord } from './record-spec';

/** Signals on riscv64 (CKPT_ARCH_NSIG). */
export const NSIG = 64;
/** RLIM_NLIMITS. */
export const NLIMITS = 16;
/** One entry of a `siginfo_raw` buffer: u32 index into the queue of the sigpending record, u32 zero, the 128 bytes. */
export const RAW_SIGINFO_ENTRY = 136;

const rawFollower = {
  record: 'buffer', role: 'siginfo_raw', length: { field: 'nr_raw_siginfo', unit: RAW_SIGINFO_ENTRY },
  meaning: 'siginfo_t bytes given to rt_sigqueueinfo, for the queued signals of the sigpending record after this one that have them',
} as const;

export const sighand = defineRecord({
  type: 601, name: 'sighand', tree: 'sighand', objtype: 'sighand',
  meaning: 'signal dispositions (shared by CLONE_SIGHAND): one action per signal 1..64',
  fields: [
    arrayOf('action', NSIG, [
      u64('_sa_handler', 'handler address; 0 SIG_DFL, 1 SIG_IGN', 'handler', 'hex'),
      u64('sa_flags', 'SA_* flags', 'flags', 'hex'),
      u64('sa_restorer', 'sa_restorer address', 'restorer', 'hex'),
      x64('sa_mask', 'signals blocked while the handler runs (bit n-1 = signal n)', 'mask', 'hex'),
    ], 'entry n-1 is signal n', '<signal>'),
  ],
});

export const signal = defineRecord({
  type: 602, name: 'signal', tree: 'signal', objtype: 'signal',
  meaning: 'thread-group signal state; then a siginfo_raw buffer (when nr_raw_siginfo > 0) and a sigpending record with the shared pending signals',
  fields: [
    arrayOf('rlim', NLIMITS, [
      x64('rlim_cur', 'soft limit (RLIM_INFINITY = 2^64-1)', 'cur'),
      x64('rlim_max', 'hard limit', 'max'),
    ], 'getrlimit values, indexed by RLIMIT_*', 'rlimits'),
    u64('it_real_value', 'ITIMER_REAL: ns to expiry (0: off)'), u64('it_real_incr', 'ITIMER_REAL interval, ns'),
    u64('it_virt_value', 'ITIMER_VIRTUAL: ns to expiry'), u64('it_virt_incr', 'ITIMER_VIRTUAL interval, ns'),
    u64('it_prof_value', 'ITIMER_PROF: ns to expiry'), u64('it_prof_incr', 'ITIMER_PROF interval, ns'),
    objref('tty_objref', 'tty', 'controlling tty (0: none or external)', null),
    s32('tty_pgrp', 'foreground process group of the tty', null),
    s32('tty_old_pgrp', 'previous foreground process group', null),
    u32('group_exit_code', 'exit status of a group exit in progress (0: none)'),
    u32('flags', 'bit 0: group stopped; bit 1: stop report pending; bit 2: continue report pending; bit 3: group_exit_code valid', 'flags', 'hex'),
    u32('group_exit_signal', 'fatal signal taking the group down at its next delivery (0: none)'),
    u32('stop_report', 'signal of the pending WUNTRACED stop report'),
    u32('nr_raw_siginfo', 'entries in the siginfo_raw buffer that follows', null),
  ],
  followedBy: [rawFollower],
});

export const signalTask = defineRecord({
  type: 603, name: 'signal_task', tree: 'signal_task',
  meaning: "a task's own signal state; then a siginfo_raw buffer (when nr_raw_siginfo > 0) and a sigpending record with its private pending signals",
  fields: [
    x64('blocked', 'blocked mask (bit n-1 = signal n)', 'blocked', 'hex'),
    x64('saved_blocked', 'mask to restore after rt_sigsuspend/ppoll', 'saved_blocked', 'hex'),
    u32('flags', 'bit 0: saved_blocked valid', 'flags', 'hex'),
    pad('_pad0', 4),
    u64('altstack_sp', 'sigaltstack base', 'altstack_sp', 'hex'),
    u64('altstack_size', 'sigaltstack size'),
    u32('altstack_flags', 'sigaltstack flags (SS_DISABLE = 2)'),
    pad('_pad1', 4),
    u32('nr_raw_siginfo', 'entries in the siginfo_raw buffer that follows', null),
    pad('_pad2', 4),
  ],
  followedBy: [rawFollower],
});

export const sigpending = defineRecord({
  type: 604, name: 'sigpending', tree: 'pending',
  meaning: 'pending signals: the set, and one siginfo per queued signal',
  fields: [
    u32('nr_pending', 'queued siginfo entries', null),
    pad('_pad0', 4),
    x64('signal', 'pending set (bit n-1 = signal n)', 'set', 'hex'),
    arrayOf('siginfo', 'nr_pending', [
      u32('signo', 'signal number'), u32('_errno', 'si_errno', 'errno'), u32('code', 'si_code'),
      u32('pid', 'sender pid'), s32('uid', 'sender uid'), u32('sigval_int', 'si_value as int'),
      u64('sigval_ptr', 'si_value as pointer', 'sigval_ptr', 'hex'), u64('utime', 'si_utime'), u64('stime', 'si_stime'),
    ], 'queued signals in delivery order', 'queue'),
  ],
});
