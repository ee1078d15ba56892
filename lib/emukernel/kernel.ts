// The emulated kernel: owns every task, process and global object of one container, and runs them.
import pino, { Logger } from 'pino';
import { getI32, Reg } from '../arch/riscv64/state';
import { ExecError, KernelError } from './errno';
import { VirtualClock } from './clock';
import { Process } from './process';
import { Task } from './task';
import { SyscallHandler, SyscallTable } from './syscall';
import { SYSCALL_NAMES } from './syscall-numbers';
import { Mm } from './mm/mm';
import { FdTable } from './fs/fdtable';
import { FsContext } from './fs/fs-context';
import { RootFs } from './fs/rootfs';
import { bindHostStdio, hostStdioOf } from './fs/host-stdio';
import type { HostIo } from './fs/host-io';
import { SigHand } from './signal/sighand';
import { execProgram } from './exec/exec';
import { Scheduler } from './scheduler';
import { Utsname, defaultUtsname } from './utsname';
import { SplitMix64 } from './random';
import { ALL_SYSCALL_TABLES } from './syscall-tables';
import { exitGroup, exitTask, killOtherThreads, notifyParentOfStateChange } from './proc/exit';

export interface KernelOptions {
  logger?: Logger;
  /** Seeds getrandom and AT_RANDOM; the same seed gives the same run. */
  seed?: number;
  utsname?: Partial<Utsname>;
  /** Where the container's stdio goes; the host process's fds 0–2 when absent. */
  hostIo?: HostIo;
}

export interface SpawnOptions {
  /** Path of the executable inside the container's root. */
  path: string;
  argv: string[];
  envp: string[];
  /** Working directory inside the container; created if missing. */
  cwd?: string;
}

export interface RunResult {
  /** What a shell reports: the exit code, or 128 + the signal that killed init. */
  status: number;
  /** Instructions retired by the whole container. */
  instructions: number;
}

/** Highest syscall number we dispatch; the table is a dense array for speed. */
const MAX_SYSCALL = 512;

export class Kernel {
  readonly log: Logger;
  readonly clock = new VirtualClock();
  readonly rootfs: RootFs;
  readonly utsname: Utsname;
  readonly random: SplitMix64;
  /** Instructions retired by the container; exact whenever a syscall handler runs. */
  instructions = 0;
  readonly tasks = new Map<number, Task>();
  readonly processes = new Map<number, Process>();
  /** Every live task in creation order: the scheduler's round-robin order. */
  readonly runOrder: Task[] = [];
  init: Process | null = null;
  readonly scheduler: Scheduler;
  private nextPid = 1;
  private readonly syscalls: (SyscallHandler | undefined)[] = new Array(MAX_SYSCALL);
  private readonly unknownLogged = new Set<number>();

  constructor(opts: KernelOptions = {}) {
    this.log = opts.logger ?? pino({ level: 'silent' });
    this.random = new SplitMix64(BigInt(opts.seed ?? 0x63726673));
    this.utsname = { ...defaultUtsname(), ...opts.utsname };
    this.rootfs = new RootFs(() => this.clock.realtimeNs(this.instructions));
    for (const table of ALL_SYSCALL_TABLES) this.registerSyscalls(table);
    this.scheduler = new Scheduler(this);
    if (opts.hostIo) hostStdioOf(this, opts.hostIo);
  }

  private registerSyscalls(table: SyscallTable): void {
    for (const [nr, fn] of Object.entries(table)) this.syscalls[Number(nr)] = fn;
  }

  /** The handler for syscall `nr`, or undefined (the dispatcher answers -ENOSYS). */
  syscallHandler(nr: number): SyscallHandler | undefined {
    return nr >= 0 && nr < MAX_SYSCALL ? this.syscalls[nr] : undefined;
  }

  /** Log an unimplemented syscall once per number. */
  noteUnknownSyscall(t: Task, nr: number): void {
    if (this.unknownLogged.has(nr)) return;
    this.unknownLogged.add(nr);
    this.log.warn({ pid: t.tid, nr, name: SYSCALL_NAMES.get(nr) ?? 'unknown' }, `unimplemented syscall ${SYSCALL_NAMES.get(nr) ?? nr}: ENOSYS`);
  }

  /** CLOCK_MONOTONIC now, in ns. */
  nowNs(): number {
    return this.clock.monotonicNs(this.instructions);
  }

  /** The pid the allocator hands out next (saved by a checkpoint). */
  peekNextPid(): number {
    return this.nextPid;
  }

  /** Restore the allocator (restart). */
  setNextPid(pid: number): void {
    this.nextPid = pid;
  }

  allocPid(): number {
    while (this.tasks.has(this.nextPid) || this.processes.has(this.nextPid)) this.nextPid++;
    return this.nextPid++;
  }

  /** Copy a host file into the container's root at `guestPath` (directories created as needed). */
  importHostFile(hostPath: string, guestPath: string): void {
    this.rootfs.importHostFile(hostPath, guestPath);
  }

  /** Register a new task with the kernel and the scheduler. */
  addTask(t: Task): void {
    this.tasks.set(t.tid, t);
    this.runOrder.push(t);
    t.proc.threads.add(t);
  }

  /** Forget a dead task (its process may live on as a zombie). */
  removeTask(t: Task): void {
    this.tasks.delete(t.tid);
    const i = this.runOrder.indexOf(t);
    if (i >= 0) this.runOrder.splice(i, 1);
    t.proc.threads.delete(t);
  }

  /**
   * Create the container's init (pid 1) running `path`. Throws ExecError, with nothing left
   * behind, when the program cannot be started.
   */
  spawnInit(opts: SpawnOptions): Task {
    if (this.init) throw new Error('init already exists');
    const cwd = opts.cwd ?? '/';
    this.rootfs.mkdirp(cwd);
    const pid = this.allocPid();
    const proc = new Process(pid, null, pid, pid, 17);
    const files = new FdTable();
    const t = new Task(pid, proc, new Mm(), files, new FsContext(cwd), new SigHand(), opts.path.split('/').pop() ?? 'init');
    try {
      execProgram(this, t, opts.path, opts.argv, opts.envp);
    } catch (e) {
      this.nextPid = pid;
      if (e instanceof KernelError) {
        throw new ExecError(`${opts.path}: ${e.message}`, e.errno === 2 ? 127 : 126, e.errno);
      }
      throw e;
    }
    bindHostStdio(this, files);
    this.processes.set(pid, proc);
    this.init = proc;
    this.addTask(t);
    return t;
  }

  /** Run until init exits; resolves with its status. Other tasks are killed when init dies. */
  async runToCompletion(): Promise<RunResult> {
    const init = this.init;
    if (!init) throw new Error('no init');
    await this.scheduler.runWhile(() => init.state === 'alive');
    return { status: shellStatus(init.waitStatus), instructions: this.instructions };
  }

  exitTask(t: Task, code: number): void {
    exitTask(this, t, code);
  }

  /** End every thread of `proc` with `waitStatus` (wait4's encoding). */
  exitGroup(proc: Process, waitStatus: number): void {
    exitGroup(this, proc, waitStatus);
  }

  killOtherThreads(t: Task): void {
    killOtherThreads(this, t);
  }

  notifyParentOfStateChange(proc: Process): void {
    notifyParentOfStateChange(this, proc);
  }

  /** The syscall a task is stopped at, for logs. */
  describeSyscall(t: Task): string {
    const nr = getI32(t.cpu, Reg.a7);
    return SYSCALL_NAMES.get(nr) ?? `syscall ${nr}`;
  }
}

/** wait4 status -> shell exit status. */
export function shellStatus(ws: number): number {
  const sig = ws & 0x7f;
  return sig === 0 ? (ws >> 8) & 0xff : 128 + sig;
}
