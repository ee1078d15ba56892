// Records 101–118: the task tree, each task, its thread and riscv64 CPU state, namespaces, creds, scheduler and clock.
import { arrayOf, bytes, chars, enumOf, objref, pad, s32, s64, u32, u64, x64 } from './fields';
import { defineRecord } from './record-spec';

export const tree = defineRecord({
  type: 101, name: 'tree', tree: '.',
  meaning: 'the task tree: every task of the container, parents before children; task records follow in this order',
  fields: [
    s32('nr_tasks', 'number of tasks', null),
    pad('_pad0', 4),
    arrayOf('pids', 'nr_tasks', [
      s32('vpid', 'container-visible pid (thread id)', 'pid'),
      s32('vppid', 'parent pid; 0 for the container init', 'ppid'),
      s32('vtgid', 'thread group id (the process pid)', 'tgid'),
      s32('vpgid', 'process group id', 'pgid'),
      s32('vsid', 'session id', 'sid'),
      s32('depth', 'pid namespace depth below the container init (0)', null),
    ], 'one entry per task', null),
  ],
});

/** Linux task states (TASK_* values). */
export const TASK_STATES = { running: 0, interruptible: 1, uninterruptible: 2, stopped: 4, traced: 8 } as const;
/** Linux exit states (EXIT_* values); `none` for a live task. */
export const EXIT_STATES = { none: 0, dead: 16, zombie: 32 } as const;

export const task = defineRecord({
  type: 102, name: 'task', tree: 'task-<pid>',
  meaning: "one task's own state; its objects, restart block, creds, thread, cpu and signal state follow",
  fields: [
    enumOf('state', 'u32', TASK_STATES, 'scheduling state; interruptible = asleep in a syscall (see restart_block)'),
    enumOf('exit_state', 'u32', EXIT_STATES, 'zombie: exited, not yet reaped'),
    u32('exit_code', 'wait status of a zombie (as wait4 reports it)'),
    u32('exit_signal', 'signal sent to the parent at exit (SIGCHLD; 0 for threads)'),
    u32('pdeath_signal', 'prctl(PR_SET_PDEATHSIG) signal'),
    u32('compat_robust_futex_head_len', 'unused on riscv64 (0)', null),
    u32('compat_robust_futex_list', 'unused on riscv64 (0)', null),
    u32('robust_futex_head_len', 'set_robust_list length', 'robust_list_len'),
    u64('robust_futex_list', 'set_robust_list head address', 'robust_list', 'hex'),
    u64('set_child_tid', 'CLONE_CHILD_SETTID address', 'set_child_tid', 'hex'),
    u64('clear_child_tid', 'set_tid_address / CLONE_CHILD_CLEARTID address', 'clear_child_tid', 'hex'),
    s32('pid', 'container-visible pid; equals this task\'s tree entry', null),
    u32('personality', 'personality(2) value'),
    chars('comm', 16, 'command name (TASK_COMM_LEN)'),
  ],
});

export const taskNs = defineRecord({
  type: 103, name: 'task_ns', tree: null,
  meaning: "the task's namespace set",
  fields: [objref('ns_objref', 'ns', 'the nsproxy object', 'ns')],
});

export const taskObjs = defineRecord({
  type: 104, name: 'task_objs', tree: null,
  meaning: "the task's shared resources, each defined (objref record + object) before this record",
  fields: [
    objref('files_objref', 'file_table', 'file descriptor table', 'files'),
    objref('mm_objref', 'mm', 'address space', 'mm'),
    objref('fs_objref', 'fs', 'cwd, root and umask', 'fs'),
    objref('sighand_objref', 'sighand', 'signal handlers', 'sighand'),
    objref('signal_objref', 'signal', 'thread-group signal state', 'signal'),
  ],
});

/** linux-cr restart_block types; `syscall` (ours) re-executes the syscall in syscall_nr. */
export const RESTART_TYPES = {
  none: 1, hrtimer_nanosleep: 2, posix_cpu_nanosleep: 3, compat_nanosleep: 4, compat_clock_nanosleep: 5,
  poll: 6, futex: 7, syscall: 8,
} as const;

export const restartBlock = defineRecord({
  type: 105, name: 'restart_block', tree: 'restart',
  meaning: 'how a task frozen inside a syscall resumes (its pc is at the ecall)',
  fields: [
    enumOf('function_type', 'u32', RESTART_TYPES, 'kind of restart', 'type'),
    pad('_pad0', 4),
    u64('arg_0', 'restart argument 0 (type-specific)', null),
    u64('arg_1', 'restart argument 1', null),
    u64('arg_2', 'restart argument 2', null),
    u64('arg_3', 'restart argument 3', null),
    u64('arg_4', 'restart argument 4', null),
    s32('syscall_nr', 'the syscall being restarted, or -1'),
    u32('flags', 'bit 0: interrupted by a signal; bit 1: deadline_ns valid; bit 2: wake_at_ns valid; bit 3: timeout_result valid', 'flags', 'hex'),
    u64('deadline_ns', 'absolute CLOCK_MONOTONIC deadline, ns'),
    u64('done', 'bytes a partial read/write already transferred'),
    u64('wake_at_ns', 'CLOCK_MONOTONIC ns at which the sleeper wakes by itself'),
    s64('timeout_result', 'what the syscall returns if wake_at_ns passes first'),
    u64('sleep_order', 'rank of this sleeper among all sleepers by when it went to sleep: restart re-queues them in this order, so wait queues keep their order'),
  ],
});

export const thread = defineRecord({
  type: 106, name: 'thread', tree: 'thread',
  meaning: 'riscv64 thread state outside the register file',
  fields: [
    s32('syscall_nr', 'syscall the task is inside (a7 at the ecall), or -1'),
    u32('flags', 'thread_info flags', 'flags', 'hex'),
    x64('orig_a0', 'a0 at syscall entry (riscv pt_regs orig_a0)', 'orig_a0', 'hex'),
  ],
});

export const cpu = defineRecord({
  type: 107, name: 'cpu', tree: 'thread',
  meaning: 'riscv64 hart registers',
  fields: [
    u64('pc', 'program counter', 'pc', 'hex'),
    bytes('regs', 31 * 8, 'x1..x31, little-endian u64 each (x4 = tp, the TLS pointer)', 'regs'),
    u32('fcsr', 'floating-point control and status (frm << 5 | fflags)', 'fcsr', 'hex'),
    pad('_pad0', 4),
    bytes('fregs', 32 * 8, 'f0..f31, little-endian 64-bit each (singles NaN-boxed)', 'fregs'),
    u64('instret', 'instructions this hart has retired'),
    s64('reservation', 'LR/SC reservation address, -1 when none is held (kept so an SC right after the cut behaves as in the uninterrupted run)'),
  ],
});

export const ns = defineRecord({
  type: 108, name: 'ns', tree: null, objtype: 'ns',
  meaning: 'a namespace set (nsproxy)',
  fields: [
    objref('uts_objref', 'uts_ns', 'uts namespace', 'uts'),
    objref('ipc_objref', 'ipc_ns', 'ipc namespace (0: none saved)', null),
    objref('net_objref', 'net_ns', 'network namespace (0: none saved)', null),
  ],
});

const UTS = 65;
export const utsNs = defineRecord({
  type: 109, name: 'uts_ns', tree: 'utsname', objtype: 'uts_ns',
  meaning: 'utsname as uname(2) reports it inside the container',
  fields: [
    chars('sysname', UTS, 'uname -s'), chars('nodename', UTS, 'uname -n'), chars('release', UTS, 'uname -r'),
    chars('version', UTS, 'uname -v'), chars('machine', UTS, 'uname -m'), chars('domainname', UTS, 'NIS domain name'),
  ],
});

export const cred = defineRecord({
  type: 114, name: 'cred', tree: 'creds', objtype: 'cred',
  meaning: 'a credential set',
  fields: [
    u32('uid', 'real uid'), u32('suid', 'saved uid'), u32('euid', 'effective uid'), u32('fsuid', 'filesystem uid'),
    u32('gid', 'real gid'), u32('sgid', 'saved gid'), u32('egid', 'effective gid'), u32('fsgid', 'filesystem gid'),
    objref('user_ref', 'user', 'user struct (0: none)', null),
    objref('groupinfo_ref', 'groupinfo', 'supplementary groups (0: none)', 'groups'),
    objref('sec_ref', 'security', 'LSM blob (always 0)', null),
    pad('_pad0', 4),
    u32('cap_i_0', 'inheritable capabilities, low', null), u32('cap_i_1', 'inheritable capabilities, high', null),
    u32('cap_p_0', 'permitted capabilities, low', null), u32('cap_p_1', 'permitted capabilities, high', null),
    u32('cap_e_0', 'effective capabilities, low', null), u32('cap_e_1', 'effective capabilities, high', null),
    u32('cap_b_0', 'bounding set, low', null), u32('cap_b_1', 'bounding set, high', null),
    u32('securebits', 'securebits', null), pad('_pad1', 4),
  ],
});

export const user = defineRecord({
  type: 115, name: 'user', tree: null, objtype: 'user',
  meaning: 'a user struct',
  fields: [u32('uid', 'the uid'), objref('userns_ref', 'user_ns', 'owning user namespace (0: initial)', null)],
});

export const groupinfo = defineRecord({
  type: 116, name: 'groupinfo', tree: null, objtype: 'groupinfo',
  meaning: 'supplementary groups',
  fields: [
    u32('ngroups', 'number of groups', null),
    arrayOf('groups', 'ngroups', [u32('gid', 'a group id')], 'the groups', 'groups'),
  ],
});

export const taskCreds = defineRecord({
  type: 117, name: 'task_creds', tree: null,
  meaning: "the task's credentials, defined before this record",
  fields: [
    objref('cred_ref', 'cred', 'objective credentials', 'creds'),
    objref('ecred_ref', 'cred', 'subjective (effective) credentials', null),
  ],
});

export const sched = defineRecord({
  type: 118, name: 'sched', tree: 'sched',
  meaning: "emukernel's scheduler and virtual clock (crfs addition); written once, after the container record",
  fields: [
    u64('monotonic_ns', 'CLOCK_MONOTONIC at the freeze, ns; restart never goes below it'),
    u64('idle_ns', 'virtual ns skipped while every task slept'),
    x64('realtime_base_ns', 'CLOCK_REALTIME at boot, ns'),
    u64('instructions', 'instructions retired by the whole container'),
    s32('next_pid', 'next pid the allocator hands out'),
    s32('current_pid', 'task that was on the cpu at the freeze (0: none)'),
    x64('random_state', 'SplitMix64 state of the deterministic getrandom source', 'random_state', 'hex'),
    u64('slice_left', 'instructions left in current_pid\'s time slice, so a restart interleaves tasks exactly as the uninterrupted run'),
    s32('sched_cursor', 'index in the task list where the round-robin search for the next task starts'),
    pad('_pad0', 4),
  ],
});

/** Never written; kept so numbers are documented and never reused. */
export const reservedTask = [
  { type: 110, name: 'ipc_ns', why: 'linux-cr SysV IPC namespace: emukernel has no SysV IPC' },
  { type: 111, name: 'mnt_ns', why: 'linux-cr mount namespace: emukernel has one root' },
  { type: 112, name: 'capabilities', why: 'linux-cr capabilities: carried inside cred' },
  { type: 113, name: 'user_ns', why: 'linux-cr user namespace: emukernel has one' },
] as const;
