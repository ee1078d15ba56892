// The deterministic scheduler: round-robin slices measured in retired instructions, syscalls, traps, timers.
import { Cause, Reg, setI64, Stop } from '../arch/riscv64/state';
import { ENOSYS, KernelError } from './errno';
import type { Kernel } from './kernel';
import { BLOCKED, JUMPED, SyscallOutcome, syscallNumber } from './syscall';
import type { Task } from './task';
import { deliverPendingSignals } from './signal/deliver';
import { forceSignal } from './signal/send';

/** Instructions a task may run before the next task gets its turn (50 µs of virtual time). */
export const QUANTUM = 50_000;
/** Wall-clock time the scheduler may hold the event loop before letting FUSE and host I/O in. */
const YIELD_MS = 10;
/**
 * The same while someone asked for responsiveness (a copy-mode checkpoint mounted while the
 * container runs: each FUSE request waits for the next yield, so 10 ms turns cap `tar` of the
 * mount near 128 KiB per 10 ms). An event-loop turn costs tens of microseconds.
 */
const RESPONSIVE_YIELD_MS = 1;
/**
 * While responsive and a host request came in during the last BURST_MS (a `tar` of the mount sends
 * one after another, each waiting for the last), the scheduler yields after BURST_CHUNK
 * instructions (well under a millisecond), cutting a slice where needed. The cut is invisible to
 * the container: the slice resumes exactly where it stopped, with nothing delivered in between.
 */
const BURST_MS = 10;
const BURST_CHUNK = 10_000;

const SIGILL = 4, SIGTRAP = 5, SIGBUS = 7, SIGSEGV = 11;
const SEGV_MAPERR = 1, SEGV_ACCERR = 2, ILL_ILLOPC = 1, BUS_ADRALN = 1, TRAP_BRKPT = 1;

export interface SchedulerState {
  /** Task whose slice a checkpoint cut short (0: none). */
  currentPid: number;
  /** Instructions left in that slice. */
  sliceLeft: number;
  /** Where the round-robin search resumes. */
  cursor: number;
}

/** Something outside the container that may wake a task later (host stdin); null when nothing is awaited. */
export type ExternalWaker = () => Promise<void> | null;

export class Scheduler {
  private cursor = 0;
  private yieldRequested = false;
  /**
   * A slice cut short by `instructionTarget` (a checkpoint point) continues where it stopped, so a
   * checkpointed-and-restored run interleaves tasks exactly as an uninterrupted one.
   */
  private resumeTask: Task | null = null;
  private resumeLeft = 0;
  private readonly externalWakers: ExternalWaker[] = [];
  private responsiveHolds = 0;
  private burstUntil = 0;
  /** The task whose slice a burst chunk cut: its resumption must look like no cut at all. */
  private quietResume: Task | null = null;
  /** While frozen no task runs; the freezer's promise resolves on thaw. */
  private frozenUntil: Promise<void> | null = null;
  private thawResolve: (() => void) | null = null;
  /** Stop (and call `onInstructionTarget`) at the first instruction boundary at or past this count. */
  instructionTarget: number | null = null;
  onInstructionTarget: (() => Promise<void> | void) | null = null;

  constructor(private readonly k: Kernel) {}

  /**
   * Yield to the event loop every RESPONSIVE_YIELD_MS instead of every YIELD_MS until the returned
   * function is called (once; later calls do nothing). Holds nest.
   */
  holdResponsive(): () => void {
    this.responsiveHolds++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.responsiveHolds--;
    };
  }

  /** A host request arrived (a FUSE read of a live mount): while responsive, serve the next ones sooner. */
  noteHostRequest(): void {
    if (this.responsiveHolds > 0) this.burstUntil = Date.now() + BURST_MS;
  }

  /** End the current slice after this syscall (sched_yield). */
  requestYield(): void {
    this.yieldRequested = true;
  }

  addExternalWaker(w: ExternalWaker): void {
    this.externalWakers.push(w);
  }

  get frozen(): boolean {
    return this.frozenUntil !== null;
  }

  /** Freeze the container at the current instruction boundary (between slices, so no task is mid-instruction). */
  freeze(): void {
    if (this.frozenUntil) return;
    this.frozenUntil = new Promise((resolve) => { this.thawResolve = resolve; });
  }

  thaw(): void {
    const r = this.thawResolve;
    this.frozenUntil = null;
    this.thawResolve = null;
    r?.();
  }

  /** Run tasks while `cond()` holds, yielding to the event loop every few milliseconds. */
  async runWhile(cond: () => boolean): Promise<void> {
    while (cond()) {
      if (this.frozenUntil) { await this.frozenUntil; continue; }
      if (this.instructionTarget !== null && this.k.instructions >= this.instructionTarget) {
        const cb = this.onInstructionTarget;
        this.instructionTarget = null;
        this.onInstructionTarget = null;
        if (cb) await cb();
        continue;
      }
      const ran = this.responsiveHolds > 0 && Date.now() < this.burstUntil
        ? this.runChunk()
        : this.runFor(this.responsiveHolds > 0 ? RESPONSIVE_YIELD_MS : YIELD_MS, cond);
      if (!cond()) break;
      if (!ran && !this.frozenUntil && !this.advanceIdleClock()) {
        const pending = this.externalWakers.map((w) => w()).filter((p): p is Promise<void> => p !== null);
        if (pending.length === 0) throw new DeadlockError(this.describeBlocked());
        await Promise.race(pending);
        continue;
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Run at most BURST_CHUNK instructions (part of a slice, see BURST_MS). Returns false if no task was runnable. */
  private runChunk(): boolean {
    const t = this.pickNext();
    if (!t) return false;
    const left = this.resumeLeft > 0 ? this.resumeLeft : QUANTUM;
    this.resumeLeft = 0;
    this.runSlice(t, left, BURST_CHUNK);
    // A slice the chunk cut is not over: timers are looked at when it is, as without the cut.
    if (this.quietResume === null) this.wakeExpiredTimers();
    return true;
  }

  /** Run slices for about `ms` of wall time. Returns false if no task was runnable. */
  private runFor(ms: number, cond: () => boolean): boolean {
    const end = Date.now() + ms;
    let ranAny = false;
    for (;;) {
      const t = this.pickNext();
      if (!t) return ranAny;
      ranAny = true;
      const left = this.resumeLeft > 0 ? this.resumeLeft : QUANTUM;
      this.resumeLeft = 0;
      this.runSlice(t, left);
      this.wakeExpiredTimers();
      if (!cond() || this.frozenUntil) return true;
      if (this.instructionTarget !== null && this.k.instructions >= this.instructionTarget) return true;
      if (Date.now() >= end) return true;
    }
  }

  /**
   * After a restart: every task that was asleep in a syscall re-enters it now, in the order it went to sleep and
   * before anything runs, so it is back on its wait queue exactly as at the checkpoint (a wake that
   * comes later finds it there, as it would have in the uninterrupted run).
   */
  reissueBlocked(): void {
    const sleepers = this.k.runOrder.filter((t) => t.reissue && t.state === 'runnable');
    sleepers.sort((a, b) => a.sleepSeq - b.sleepSeq);
    for (const t of sleepers) this.dispatchSyscall(t);
  }

  /** What a checkpoint saves of the scheduler: the cut slice and where round-robin resumes. */
  exportState(): SchedulerState {
    const t = this.resumeTask && this.resumeTask.state === 'runnable' ? this.resumeTask : null;
    return { currentPid: t ? t.tid : 0, sliceLeft: t ? this.resumeLeft : 0, cursor: this.cursor };
  }

  importState(st: SchedulerState): void {
    this.cursor = st.cursor;
    this.resumeTask = st.currentPid !== 0 ? this.k.tasks.get(st.currentPid) ?? null : null;
    this.resumeLeft = st.sliceLeft;
  }

  private pickNext(): Task | null {
    const r = this.resumeTask;
    if (r) {
      this.resumeTask = null;
      if (r.state === 'runnable' && this.k.tasks.get(r.tid) === r) return r;
    }
    const order = this.k.runOrder;
    const n = order.length;
    for (let i = 0; i < n; i++) {
      const idx = (this.cursor + i) % n;
      const t = order[idx];
      if (t.state === 'runnable') {
        this.cursor = idx + 1;
        return t;
      }
    }
    return null;
  }

  /**
   * Run one task for up to a quantum (clamped to the instruction target, and to `cap` instructions
   * now: a burst chunk, after which the slice resumes as if it had never stopped).
   */
  runSlice(t: Task, slice = QUANTUM, cap = Infinity): void {
    const k = this.k;
    // The rest of a slice a chunk cut: signals are delivered where an uncut slice would.
    if (this.quietResume !== t) deliverPendingSignals(k, t);
    this.quietResume = null;
    let left = slice;
    let cut = false, capped = false;
    if (this.instructionTarget !== null && this.instructionTarget - k.instructions < left) {
      left = this.instructionTarget - k.instructions;
      cut = true;
    }
    if (cap < left) {
      left = cap;
      cut = true;
      capped = true;
    }
    const full = left;
    const cpu = t.cpu;
    while (left > 0 && t.state === 'runnable') {
      const before = cpu.instret;
      const stop = t.hart.run(left);
      const n = cpu.instret - before;
      left -= n;
      k.instructions += n;
      if (stop === Stop.Budget) break;
      if (stop === Stop.Ecall) {
        this.dispatchSyscall(t);
        left -= 1;
      } else {
        this.handleTrap(t);
      }
      if (t.state === 'runnable') deliverPendingSignals(k, t);
      if (this.yieldRequested) { this.yieldRequested = false; cut = false; break; }
    }
    if (cut && t.state === 'runnable' && left <= 0) {
      this.resumeTask = t;
      this.resumeLeft = slice - full;
      if (capped) this.quietResume = t;
    }
  }

  /** Execute the syscall a task is stopped at. The ecall counts as retired every time it executes. */
  private dispatchSyscall(t: Task): void {
    const k = this.k;
    const cpu = t.cpu;
    const nr = syscallNumber(cpu);
    const reissue = t.reissue;
    cpu.instret += 1;
    k.instructions += 1;
    const h = k.syscallHandler(nr);
    let r: SyscallOutcome;
    if (!h) {
      k.noteUnknownSyscall(t, nr);
      t.reissue = false;
      r = -ENOSYS;
    } else {
      try {
        r = h(k, t);
      } catch (e) {
        if (!(e instanceof KernelError)) throw e;
        r = -e.errno;
      } finally {
        t.reissue = false;
      }
    }
    if (r === BLOCKED) {
      // A restored sleeper going back to sleep: the uninterrupted run never executed this ecall.
      if (reissue) { cpu.instret -= 1; k.instructions -= 1; }
      return;
    }
    t.restart = null;
    if (r === JUMPED || t.state === 'dead') return;
    setI64(cpu, Reg.a0, r);
    cpu.pc += 4;
  }

  private handleTrap(t: Task): void {
    const cpu = t.cpu;
    const pc = cpu.pc;
    switch (cpu.cause) {
      case Cause.IllegalInsn:
        this.k.log.warn({ pid: t.tid, pc: `0x${pc.toString(16)}`, insn: `0x${(cpu.tval >>> 0).toString(16)}` }, 'illegal instruction: SIGILL');
        forceSignal(this.k, t, SIGILL, { signo: SIGILL, code: ILL_ILLOPC, pid: 0, uid: 0, addr: pc });
        break;
      case Cause.Breakpoint:
        forceSignal(this.k, t, SIGTRAP, { signo: SIGTRAP, code: TRAP_BRKPT, pid: 0, uid: 0, addr: pc });
        break;
      case Cause.LoadMisaligned:
      case Cause.StoreMisaligned:
      case Cause.InsnMisaligned:
        forceSignal(this.k, t, SIGBUS, { signo: SIGBUS, code: BUS_ADRALN, pid: 0, uid: 0, addr: cpu.tval });
        break;
      default: {
        // A mapped address that faulted was refused by its protection, not missing.
        const code = t.mm.vmas.find(cpu.tval) !== null ? SEGV_ACCERR : SEGV_MAPERR;
        forceSignal(this.k, t, SIGSEGV, { signo: SIGSEGV, code, pid: 0, uid: 0, addr: cpu.tval });
      }
    }
  }

  /** Wake every sleeper whose deadline has passed. */
  private wakeExpiredTimers(): void {
    const now = this.k.nowNs();
    for (const t of this.k.runOrder) {
      if (t.state === 'blocked' && t.wakeAtNs !== null && t.wakeAtNs <= now) wakeOnTimeout(t);
    }
  }

  /** With nothing runnable, jump the clock to the earliest deadline. Returns false if there is none. */
  private advanceIdleClock(): boolean {
    let min = Infinity;
    for (const t of this.k.runOrder) {
      if (t.state === 'blocked' && t.wakeAtNs !== null && t.wakeAtNs < min) min = t.wakeAtNs;
    }
    if (min === Infinity) return false;
    this.k.clock.skipTo(min, this.k.instructions);
    this.wakeExpiredTimers();
    return true;
  }

  private describeBlocked(): string {
    return this.k.runOrder
      .map((t) => `${t.tid} ${t.state}${t.state === 'blocked' ? ` in ${this.k.describeSyscall(t)}` : ''}`)
      .join(', ');
  }
}

function wakeOnTimeout(t: Task): void {
  if (t.timeoutResult !== null) t.completeSyscall(t.timeoutResult);
  else t.wakeRetry();
}

/** Every task is blocked and nothing inside or outside the container can wake one. */
export class DeadlockError extends Error {
  constructor(readonly tasks: string) {
    super(`deadlock: every task is blocked and nothing can wake them (${tasks})`);
  }
}
