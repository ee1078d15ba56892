// execve's core: read and validate the program, build its address space, then (only then) replace the task's image.
import { resetSignalsForExec } from '../signal/lifecycle';
import { Reg, setI64 } from '../../arch/riscv64/state';
import { E2BIG, KernelError } from '../errno';
import type { CwdRef } from '../fs/rootfs';
import type { Kernel } from '../kernel';
import { finishVfork } from '../proc/exit';
import { futexWakeAddress } from '../proc/futex';
import type { Task } from '../task';
import { parseElf } from './elf';
import { Creds, ProgramImage, buildProgramImage } from './image';
import { argumentsFit } from './stack';

/** An argument or environment string: text, or the raw bytes execve read from user memory. */
export type ArgString = string | Uint8Array;

export interface ExecOptions {
  /** AT_UID and friends; root when absent. */
  creds?: Creds;
  /** Where a relative `path` starts (execveat's dirfd); the task's cwd when absent. */
  startDir?: CwdRef;
  /** The name the program is told it was started as (AT_EXECFN, comm): `path` when absent, "/dev/fd/N..." for execveat. */
  execfn?: string;
}

/** TASK_COMM_LEN - 1: comm keeps this many bytes of the executable's basename. */
const COMM_MAX = 15;

function toBytes(s: ArgString): Uint8Array {
  return typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
}

/**
 * Replace `t`'s program with the executable at `path` (resolved against t's cwd in the memfs root).
 * Everything that can fail is checked first, so on failure the task is untouched:
 * throws KernelError (ENOENT, ENOTDIR, ELOOP, EACCES for a non-regular or non-executable file,
 * E2BIG for arguments over 2 MiB) or ExecError (ENOEXEC, status 126: not an ELF file, wrong
 * machine or class, dynamically linked, truncated). On success the task runs the new program from
 * its entry point the next time it is scheduled: other threads are gone, registers are reset
 * (pc = entry, sp = the new stack, everything else 0), close-on-exec fds are closed, handled
 * signals are reset, comm is the basename.
 */
export function execProgram(k: Kernel, t: Task, path: string, argv: readonly ArgString[], envp: readonly ArgString[], opts: ExecOptions = {}): void {
  const image = prepareExec(k, t, path, argv, envp, opts);
  commitExec(k, t, image, opts.execfn ?? path);
}

/** Everything of execve that may fail; touches nothing but the kernel's random generator. */
function prepareExec(k: Kernel, t: Task, path: string, argv: readonly ArgString[], envp: readonly ArgString[], opts: ExecOptions): ProgramImage {
  const exe = k.rootfs.readExecutable(path, opts.startDir ?? t.fs.cwd);
  const execfn = toBytes(opts.execfn ?? path);
  // Since Linux 5.18 an empty argv gets one empty string, so argv[0] is never NULL.
  const args = argv.length > 0 ? argv.map(toBytes) : [new Uint8Array(0)];
  const env = envp.map(toBytes);
  if (!argumentsFit(args, env, execfn)) throw new KernelError(E2BIG, 'execve', path);
  const elf = parseElf(exe.data, path);
  return buildProgramImage({
    bytes: exe.data, elf, execfn, exePath: exe.path, argv: args, envp: env, random: k.random.bytes(16), creds: opts.creds,
  });
}

/** The point of no return: the task drops its old image and starts the new one. */
function commitExec(k: Kernel, t: Task, image: ProgramImage, execfn: string): void {
  k.killOtherThreads(t);
  // Linux's exec_mm_release: a CLONE_CHILD_CLEARTID word in a still-shared mm is cleared and woken.
  if (t.clearChildTid !== 0 && t.mm.users > 1) {
    if (t.mm.writeU32(t.clearChildTid, 0)) futexWakeAddress(k, t, t.clearChildTid, 1);
  }
  t.clearChildTid = 0;
  t.robustList = 0;
  t.robustListLen = 0;
  finishVfork(k, t);
  const old = t.mm;
  t.switchMm(image.mm);
  old.release();

  const cpu = t.cpu;
  cpu.x.fill(0);
  cpu.fi.fill(0);
  cpu.fflags = 0;
  cpu.frm = 0;
  cpu.reservation = -1;
  cpu.pc = image.entry;
  setI64(cpu, Reg.sp, image.sp);

  t.comm = commFor(execfn);
  t.restart = null;
  t.files.closeOnExec();
  // A handler table still shared with another process (CLONE_SIGHAND without CLONE_THREAD) is copied first.
  const shared = [...k.tasks.values()].some((o) => o !== t && o.sighand === t.sighand);
  resetSignalsForExec(t, shared);
}

/** The basename of `path`, cut to 15 bytes (TASK_COMM_LEN), as __set_task_comm does. */
export function commFor(path: string): string {
  const base = Buffer.from(path.slice(path.lastIndexOf('/') + 1), 'utf8');
  return base.subarray(0, COMM_MAX).toString('utf8');
}
