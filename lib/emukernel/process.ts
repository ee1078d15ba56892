// A process (thread group): what threads share and what wait4, kill and sessions see.
import type { Task } from './task';
import { WaitQueue } from './wait-queue';
import { SignalShared } from './signal/pending';

export type ProcessState = 'alive' | 'zombie' | 'reaped';

export class Process {
  state: ProcessState = 'alive';
  /** Threads still alive, in creation order; the leader is the one whose tid equals pid. */
  readonly threads = new Set<Task>();
  readonly children = new Set<Process>();
  /** wait4 callers sleep here; woken whenever a child changes state. */
  readonly childWait = new WaitQueue();
  /** The wait status (as wait4 returns it in *wstatus) once the process is a zombie. */
  waitStatus = 0;
  /** Set by exit_group or a fatal signal: every thread exits with this status at its next chance. */
  groupExitStatus: number | null = null;
  /** Signal state shared by the thread group: shared pending set, rlimits, itimers. */
  signal = new SignalShared();
  /** Pending stop/continue reports for WUNTRACED/WCONTINUED. */
  stopReport: number | null = null;
  continueReport = false;
  /** Resource limits (signal_struct's rlim in Linux): resource number -> [soft, hard], RLIM_INFINITY = 2^64-1. */
  rlimits: Map<number, [bigint, bigint]> = defaultRlimits();
  /** Instructions retired by threads of this process that have already exited (for rusage). */
  deadInstructions = 0;

  constructor(
    readonly pid: number,
    public parent: Process | null,
    public pgid: number,
    public sid: number,
    /** Signal sent to the parent when this process dies (SIGCHLD for fork; clone's low byte). */
    public exitSignal: number,
  ) {}

  get leader(): Task | undefined {
    for (const t of this.threads) if (t.tid === this.pid) return t;
    return undefined;
  }
}

export const RLIM_INFINITY = (1n << 64n) - 1n;
export const RLIMIT_STACK = 3, RLIMIT_NOFILE = 7;

function defaultRlimits(): Map<number, [bigint, bigint]> {
  const m = new Map<number, [bigint, bigint]>();
  for (let r = 0; r < 16; r++) m.set(r, [RLIM_INFINITY, RLIM_INFINITY]);
  m.set(RLIMIT_STACK, [8n << 20n, RLIM_INFINITY]);
  m.set(RLIMIT_NOFILE, [1024n, 4096n]);
  m.set(4, [0n, RLIM_INFINITY]); // RLIMIT_CORE
  m.set(8, [8n << 20n, 8n << 20n]); // RLIMIT_MEMLOCK
  m.set(14, [0n, 0n]); // RLIMIT_RTPRIO
  m.set(13, [0n, 0n]); // RLIMIT_NICE
  return m;
}
