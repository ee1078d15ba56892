// Builds small but complete images (two tasks sharing files and an mm, a pipe, a shared segment, pages) for the image tests.
import { CollectSink, ImageWriter } from '../../lib/crfs/image/codec';
import {
  ARCH_RISCV64, FORMAT_VERSION, KERNEL_CONSTANTS, KERNEL_VERSION, MAGIC_HEAD, PAGE_SIZE, zeroRecord,
} from '../../lib/crfs/image/schema';

export interface SampleOptions {
  /** Distinguishes images so splices between two of them differ in content. */
  readonly seed?: number;
  readonly pages?: number;
}

/** Writes the head, its strings, the arch header, container and scheduler records. */
export function writePrologue(w: ImageWriter, seed = 0): void {
  w.record('head', {
    ...zeroRecord('head'), magic: MAGIC_HEAD, arch_id: 'riscv64', ...KERNEL_VERSION, rev: FORMAT_VERSION,
    ...KERNEL_CONSTANTS, time: 1767225600000000000n + BigInt(seed), uflags: 0n, page_size: PAGE_SIZE,
  });
  w.string('6.1.0-emukernel');
  w.string('#1 SMP emukernel');
  w.string('riscv64');
  w.record('head_arch', { isa: 0x112dn, xlen: 64, flen: 64 });
  w.record('container', { checkpoint_id: 1 + seed, init_pid: 1 });
  w.record('sched', { ...zeroRecord('sched'), monotonic_ns: 123456 + seed, instructions: 120000, next_pid: 3, current_pid: 1, random_state: 42n });
}

function page(fill: number): Uint8Array {
  const p = new Uint8Array(PAGE_SIZE);
  for (let i = 0; i < PAGE_SIZE; i++) p[i] = (fill + i * 7) & 0xff;
  return p;
}

/** The root filesystem: / (ino 1), /tmp (2) and /tmp/out (3), empty with a block fallocate'd past EOF (no buffer, so buffer positions stay put). */
function writeRootfs(w: ImageWriter, seed: number): void {
  w.record('rootfs', { nr_inodes: 3, nr_dentries: 2, root_ino: 1, next_ino: 9 });
  w.record('rootfs_inode', { ...zeroRecord('rootfs_inode'), ino: 1, mode: 0o40755, nlink: 3, next_cookie: 3 });
  w.string('');
  w.record('rootfs_inode', { ...zeroRecord('rootfs_inode'), ino: 2, mode: 0o41777, nlink: 2, next_cookie: 3 });
  w.string('');
  w.record('rootfs_dentry', { parent_ino: 1, child_ino: 2, cookie: 2 });
  w.string('tmp');
  w.record('rootfs_inode', { ...zeroRecord('rootfs_inode'), ino: 3, mode: 0o100644, nlink: 1, mtime_ns: BigInt(seed), nr_extents: 1 });
  w.string('');
  w.record('rootfs_extent', { offset: 0, length: PAGE_SIZE, state: 'unwritten', nr_bytes: 0 });
  w.record('rootfs_dentry', { parent_ino: 2, child_ino: 3, cookie: 2 });
  w.string('out');
}

/** The per-task records after task_objs: restart block, thread, cpu, own signal state. */
function writeTaskState(w: ImageWriter, pid: number, blocked: boolean): void {
  w.record('restart_block', {
    ...zeroRecord('restart_block'), function_type: blocked ? 'futex' : 'none', syscall_nr: blocked ? 98 : -1,
    flags: blocked ? 4 : 0, wake_at_ns: blocked ? 999999 : 0,
  });
  w.record('thread', { syscall_nr: blocked ? 98 : -1, flags: 0, orig_a0: 0x3ff000n });
  const regs = new Uint8Array(31 * 8);
  regs.forEach((_, i) => { regs[i] = (i * 13 + pid) & 0xff; });
  w.record('cpu', { pc: 0x10abc, regs, fcsr: 0x21, fregs: new Uint8Array(32 * 8).fill(0xff), instret: 60000, reservation: -1 });
  w.record('signal_task', { ...zeroRecord('signal_task'), blocked: 1n << 9n, altstack_flags: 2 });
  w.record('sigpending', { nr_pending: 0, signal: 0n, siginfo: [] });
}

/** A complete image: init (pid 1) and its thread (pid 2) sharing files, mm, fs and signal handlers. */
export function buildSampleImage(opts: SampleOptions = {}): Buffer {
  const seed = opts.seed ?? 0;
  const sink = new CollectSink();
  const w = new ImageWriter(sink);
  writePrologue(w, seed);
  w.objref('uts_ns', 1);
  w.record('uts_ns', { sysname: 'Linux', nodename: 'crfs', release: '6.1.0-emukernel', version: '#1 SMP emukernel', machine: 'riscv64', domainname: '(none)' });
  w.objref('ns', 2);
  w.record('ns', { uts_objref: 1, ipc_objref: 0, net_objref: 0 });
  writeRootfs(w, seed);
  w.record('tree', {
    nr_tasks: 2, pids: [
      { vpid: 1, vppid: 0, vtgid: 1, vpgid: 1, vsid: 1, depth: 0 },
      { vpid: 2, vppid: 1, vtgid: 1, vpgid: 1, vsid: 1, depth: 0 },
    ],
  });

  w.record('task', { ...zeroRecord('task'), state: 'running', exit_signal: 17, pid: 1, comm: 'init' });
  w.record('task_ns', { ns_objref: 2 });
  w.objref('user', 3);
  w.record('user', { uid: 1000, userns_ref: 0 });
  w.objref('groupinfo', 4);
  w.record('groupinfo', { ngroups: 2, groups: [{ gid: 1000 }, { gid: 27 }] });
  w.objref('cred', 5);
  w.record('cred', { ...zeroRecord('cred'), uid: 1000, euid: 1000, suid: 1000, fsuid: 1000, user_ref: 3, groupinfo_ref: 4 });
  w.record('task_creds', { cred_ref: 5, ecred_ref: 5 });

  w.objref('file_table', 6);
  w.record('file_table', { fdt_nfds: 3 });
  w.objref('file', 7);
  w.record('file', { ...zeroRecord('file'), f_type: 'external', f_mode: 1, external_id: 'stdin' });
  w.string('/dev/pts/0', 'file_name');
  w.record('file_desc', { fd_objref: 7, fd_descriptor: 0, fd_close_on_exec: 0 });
  w.objref('inode', 8);
  w.record('pipe', { nr_bytes: 5 + seed, capacity: 65536, readers: 1, writers: 1 });
  w.buffer(new TextEncoder().encode('hello' + 'x'.repeat(seed)));
  w.record('pipe_inode', { ...zeroRecord('pipe_inode'), ino: 8, first_offset: 0, nr_slots: 1, slots: [{ len: 5 + seed }] });
  w.objref('file', 9);
  w.record('file', { ...zeroRecord('file'), f_type: 'pipe', f_mode: 1, pipe_objref: 8 });
  w.string('', 'file_name');
  w.record('file_desc', { fd_objref: 9, fd_descriptor: 3, fd_close_on_exec: 1 });
  w.objref('file', 10);
  w.record('file', { ...zeroRecord('file'), f_type: 'regular', f_mode: 3, f_flags: 0o102, f_pos: 4096 + seed });
  w.string('/tmp/out', 'file_name');
  w.record('inode_ref', { ino: 3 });
  w.string('out');
  w.record('file_desc', { fd_objref: 10, fd_descriptor: 4, fd_close_on_exec: 0 });

  w.objref('mm', 11);
  w.record('mm', {
    ...zeroRecord('mm'), map_count: 3, exe_objref: 10, start_code: 0x10000, end_code: 0x11000, brk: 0x30000,
    start_brk: 0x30000, start_stack: 0x3fff0000, nr_auxv: 2, auxv: [{ a_type: 6, a_val: PAGE_SIZE }, { a_type: 0, a_val: 0 }],
  });
  w.record('mm_exe', { path_len: 10 });
  w.string('/bin/init');
  const n = opts.pages ?? 2;
  const heapEnd = 0x10000 + (Math.max(n, 3) + seed) * PAGE_SIZE;
  w.record('vma', { ...zeroRecord('vma'), vma_type: 'anon', vm_start: 0x10000, vm_end: heapEnd, vm_page_prot: 3, name: '[heap]' });
  const addrs = Array.from({ length: n }, (_, i) => 0x10000 + i * PAGE_SIZE);
  if (n > 0) w.pages(addrs, addrs.map((_, i) => page(i + seed)));
  w.endVma();
  w.record('vma', { ...zeroRecord('vma'), vma_type: 'file', vma_objref: 10, vm_start: 0x3ffe0000, vm_end: 0x40000000, vm_page_prot: 1, name: '' });
  w.endVma();
  w.objref('inode', 12);
  w.record('shm', { size: PAGE_SIZE });
  w.record('vma', {
    ...zeroRecord('vma'), vma_type: 'shm_anon', ino_objref: 12, ino_size: PAGE_SIZE, vm_start: 0x50000000, vm_end: 0x50001000,
    vm_page_prot: 3, vm_flags: 0xfb,
  });
  w.endVma();
  w.record('mm_context', { vdso: 0 });

  w.objref('fs', 13);
  w.record('fs', { umask: 0o22 });
  w.string('/');
  w.string('/tmp');
  w.record('inode_ref', { ino: 2 });
  w.string('tmp');
  w.objref('sighand', 14);
  const sh = zeroRecord('sighand');
  sh.action[9] = { _sa_handler: 0x10500, sa_flags: 0x04000000, sa_restorer: 0x10600, sa_mask: 1n << 1n };
  w.record('sighand', sh);
  w.objref('signal', 15);
  const sg = zeroRecord('signal');
  sg.rlim = sg.rlim.map(() => ({ rlim_cur: (1n << 64n) - 1n, rlim_max: (1n << 64n) - 1n }));
  w.record('signal', sg);
  w.record('sigpending', {
    nr_pending: 1, signal: 1n << 13n,
    siginfo: [{ signo: 14, _errno: 0, code: 0, pid: 1, uid: 1000, sigval_int: 0, sigval_ptr: 0, utime: 0, stime: 0 }],
  });
  w.record('task_objs', { files_objref: 6, mm_objref: 11, fs_objref: 13, sighand_objref: 14, signal_objref: 15 });
  writeTaskState(w, 1, false);

  w.record('task', { ...zeroRecord('task'), state: 'interruptible', exit_signal: 0, pid: 2, comm: 'worker', clear_child_tid: 0x3fff1000 });
  w.record('task_ns', { ns_objref: 2 });
  w.record('task_creds', { cred_ref: 5, ecred_ref: 5 });
  w.record('task_objs', { files_objref: 6, mm_objref: 11, fs_objref: 13, sighand_objref: 14, signal_objref: 15 });
  writeTaskState(w, 2, true);
  w.finish();
  return sink.bytes();
}

/** An image recording a failed checkpoint. */
export function buildErrorImage(): Buffer {
  const sink = new CollectSink();
  const w = new ImageWriter(sink);
  writePrologue(w);
  w.error(95, 'fd 5 of pid 1: unsupported file type socket');
  return sink.bytes();
}
