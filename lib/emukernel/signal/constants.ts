// Signal numbers, sigaction flags, si_code values and default actions (Linux asm-generic, riscv64 glibc 2.36).

export const SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGILL = 4, SIGTRAP = 5, SIGABRT = 6, SIGBUS = 7,
  SIGFPE = 8, SIGKILL = 9, SIGUSR1 = 10, SIGSEGV = 11, SIGUSR2 = 12, SIGPIPE = 13, SIGALRM = 14,
  SIGTERM = 15, SIGSTKFLT = 16, SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19, SIGTSTP = 20, SIGTTIN = 21,
  SIGTTOU = 22, SIGURG = 23, SIGXCPU = 24, SIGXFSZ = 25, SIGVTALRM = 26, SIGPROF = 27, SIGWINCH = 28,
  SIGIO = 29, SIGPWR = 30, SIGSYS = 31;
/** The kernel's SIGRTMIN (glibc reserves 32 and 33 and reports SIGRTMIN as 34). */
export const SIGRTMIN = 32;
/** Highest signal number (_NSIG - 1). */
export const NSIG = 64;

/** sigaction handler values. */
export const SIG_DFL = 0, SIG_IGN = 1;

/** sa_flags. */
export const SA_NOCLDSTOP = 0x1, SA_NOCLDWAIT = 0x2, SA_SIGINFO = 0x4, SA_ONSTACK = 0x08000000,
  SA_RESTART = 0x10000000, SA_NODEFER = 0x40000000, SA_RESETHAND = 0x80000000;
/** The flags the kernel keeps; others are cleared so that user space can detect missing support. */
export const SA_KNOWN_FLAGS = (SA_NOCLDSTOP | SA_NOCLDWAIT | SA_SIGINFO | SA_ONSTACK | SA_RESTART | SA_NODEFER | SA_RESETHAND) >>> 0;

/** rt_sigprocmask `how`. */
export const SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2;

/** sigaltstack ss_flags. */
export const SS_ONSTACK = 1, SS_DISABLE = 2, SS_AUTODISARM = 0x80000000;
/** The kernel's minimum alternate stack size (asm-generic MINSIGSTKSZ; glibc's 8192 is a user-space figure). */
export const KERNEL_MINSIGSTKSZ = 2048;

/** si_code values. */
export const SI_USER = 0, SI_KERNEL = 0x80, SI_QUEUE = -1, SI_TIMER = -2, SI_MESGQ = -3, SI_ASYNCIO = -4,
  SI_SIGIO = -5, SI_TKILL = -6;
export const CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3, CLD_TRAPPED = 4, CLD_STOPPED = 5, CLD_CONTINUED = 6;
export const SEGV_MAPERR = 1, SEGV_ACCERR = 2, BUS_ADRALN = 1, ILL_ILLOPC = 1, FPE_INTDIV = 1, TRAP_BRKPT = 1;

/** The size of the kernel's sigset_t on riscv64 (_NSIG / 8); rt_sig* calls insist on it. */
export const SIGSET_SIZE = 8;

/** The mask bit of signal `sig` (1..64). */
export function sigBit(sig: number): bigint {
  return 1n << BigInt(sig - 1);
}

export const KILL_STOP_MASK = sigBit(SIGKILL) | sigBit(SIGSTOP);
/** All 64 signals. */
export const FULL_MASK = (1n << 64n) - 1n;
/** Faults the CPU raises; Linux dequeues these before any other pending signal. */
export const SYNCHRONOUS_MASK = sigBit(SIGSEGV) | sigBit(SIGBUS) | sigBit(SIGILL) | sigBit(SIGTRAP) | sigBit(SIGFPE) | sigBit(SIGSYS);
export const STOP_MASK = sigBit(SIGSTOP) | sigBit(SIGTSTP) | sigBit(SIGTTIN) | sigBit(SIGTTOU);

/** True for 1..64. */
export function isValidSignal(sig: number): boolean {
  return Number.isInteger(sig) && sig >= 1 && sig <= NSIG;
}

/** Real-time signals queue every instance; standard ones coalesce. */
export function isRealtimeSignal(sig: number): boolean {
  return sig >= SIGRTMIN;
}

export type DefaultAction = 'term' | 'core' | 'ignore' | 'stop' | 'cont';

/** signal(7)'s table, index = signal number; real-time signals terminate. */
const DEFAULT_ACTIONS: readonly DefaultAction[] = [
  'ignore', // 0: unused
  'term', 'term', 'core', 'core', 'core', 'core', 'core', 'core', // HUP INT QUIT ILL TRAP ABRT BUS FPE
  'term', 'term', 'core', 'term', 'term', 'term', 'term', 'term', // KILL USR1 SEGV USR2 PIPE ALRM TERM STKFLT
  'ignore', 'cont', 'stop', 'stop', 'stop', 'stop', 'ignore', 'core', // CHLD CONT STOP TSTP TTIN TTOU URG XCPU
  'core', 'term', 'term', 'ignore', 'term', 'term', 'core', // XFSZ VTALRM PROF WINCH IO PWR SYS
];

/** What SIG_DFL does for `sig` (1..64). */
export function defaultAction(sig: number): DefaultAction {
  return sig < DEFAULT_ACTIONS.length ? DEFAULT_ACTIONS[sig] : 'term';
}

/** SIG_DFL for this signal discards it (SIGCHLD, SIGURG, SIGWINCH, and SIGCONT once it has resumed the process). */
export function isDefaultIgnored(sig: number): boolean {
  const a = defaultAction(sig);
  return a === 'ignore' || a === 'cont';
}

/** Clear SIGKILL and SIGSTOP, which no mask may hold. */
export function blockableMask(mask: bigint): bigint {
  return mask & ~KILL_STOP_MASK & FULL_MASK;
}

/** The lowest signal set in `mask`, faults first (Linux's next_signal); 0 if none. */
export function lowestSignal(mask: bigint): number {
  if (mask === 0n) return 0;
  const sync = mask & SYNCHRONOUS_MASK;
  let m = sync !== 0n ? sync : mask;
  // Scan 32 bits at a time: masks are BigInts but the common case is a bit in the low word.
  let base = 0;
  while ((m & 0xffffffffn) === 0n) { m >>= 32n; base += 32; }
  const low = Number(m & 0xffffffffn);
  return base + 32 - Math.clz32(low & -low);
}
