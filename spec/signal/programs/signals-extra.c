/* Signal behaviour beyond examples/signals.c, compared byte for byte with qemu-riscv64 by
 * spec/signal/e2e.test.ts: editing the ucontext in a SIGSEGV handler, FP state across a handler,
 * sigaltstack, RT signals queued with sigqueue values, sigtimedwait, nested handler order, stop and
 * continue seen by waitpid, process-group kill, SIGCHLD through sigsuspend, an interrupted nanosleep,
 * signals between threads (sigwait, pthread_kill), abort(). Output never depends on timing. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile int hits;
static volatile long seen_a0;
static char order[32];
static volatile int norder;

static void on_segv(int sig, siginfo_t *si, void *ucv) {
  ucontext_t *uc = ucv;
  hits++;
  printf("SIGSEGV code=%d addr=%#lx\n", si->si_code, (unsigned long)si->si_addr);
  /* skip the faulting 4-byte store */
  uc->uc_mcontext.__gregs[0] += 4;
  (void)sig;
}

static void on_usr1_fp(int sig) {
  (void)sig;
  volatile double x = 1e308;
  x = x * 10.0; /* sets OF|NX */
  __asm__ volatile("fsflags zero\n fsrmi 2" ::: "memory");
  __asm__ volatile("fmv.d.x f8, zero\n fmv.d.x f9, zero" ::: "memory");
  hits++;
}

static void on_alt(int sig) {
  int local;
  (void)sig;
  stack_t ss;
  sigaltstack(NULL, &ss);
  printf("handler on altstack: %d flags=%d\n", (char *)&local >= (char *)ss.ss_sp && (char *)&local < (char *)ss.ss_sp + ss.ss_size, ss.ss_flags);
}

static void on_rt(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  if (norder < 30) order[norder++] = 'a' + (sig - SIGRTMIN);
  printf("rt sig=SIGRTMIN+%d value=%d code=%d\n", sig - SIGRTMIN, si->si_value.sival_int, si->si_code);
}

static void on_nested(int sig) {
  if (norder < 30) order[norder++] = sig == SIGUSR1 ? '1' : sig == SIGUSR2 ? '2' : sig == SIGHUP ? 'h' : '?';
}

static void on_chld(int sig) { (void)sig; hits++; }


static volatile long usr2_tid;
static void on_usr2_tid(int sig) { (void)sig; usr2_tid = syscall(SYS_gettid); }

static void *waiter(void *arg) {
  sigset_t *set = arg;
  int sig = 0;
  sigwait(set, &sig);
  return (void *)(long)sig;
}

static volatile long spinner_tid;
static volatile int spinner_stop;
static void *spinner(void *arg) {
  (void)arg;
  spinner_tid = syscall(SYS_gettid);
  while (!spinner_stop) sched_yield();
  return NULL;
}

static void check_threads(void) {
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &usr1, NULL);
  pthread_t w;
  pthread_create(&w, NULL, waiter, &usr1);
  kill(getpid(), SIGUSR1); /* process-directed; only the waiter's sigwait can take it */
  void *res;
  pthread_join(w, &res);
  printf("sigwait in a thread got: %ld\n", (long)res);
  pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);

  signal(SIGUSR2, on_usr2_tid);
  pthread_t s;
  pthread_create(&s, NULL, spinner, NULL);
  while (!spinner_tid) sched_yield();
  pthread_kill(s, SIGUSR2);
  while (!usr2_tid) sched_yield();
  spinner_stop = 1;
  pthread_join(s, NULL);
  printf("pthread_kill ran the handler in the target thread: %d\n", usr2_tid == spinner_tid);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, NULL);
  volatile uintptr_t bad = 0x18;
  __asm__ volatile("sw zero, 0(%0)" :: "r"(bad) : "memory");
  printf("survived segv, hits=%d\n", hits);

  /* FP state: the handler trashes fcsr and f8/f9; sigreturn must restore them. */
  signal(SIGUSR1, on_usr1_fp);
  unsigned long fcsr_before, fcsr_after;
  double keep = 3.25, after;
  __asm__ volatile("fsrmi 1\n fsflags %0" :: "r"(0x5));
  __asm__ volatile("fmv.d f8, %0" :: "f"(keep));
  __asm__ volatile("frcsr %0" : "=r"(fcsr_before));
  raise(SIGUSR1);
  __asm__ volatile("frcsr %0" : "=r"(fcsr_after));
  __asm__ volatile("fmv.d %0, f8" : "=f"(after));
  printf("fcsr before=%#lx after=%#lx f8 kept=%d\n", fcsr_before, fcsr_after, after == keep);
  __asm__ volatile("fsrmi 0\n fsflags zero");

  /* Alternate stack. */
  stack_t ss = { .ss_sp = malloc(65536), .ss_size = 65536, .ss_flags = 0 };
  printf("sigaltstack small: %d %s\n", sigaltstack(&(stack_t){ .ss_sp = ss.ss_sp, .ss_size = 1000 }, NULL), strerror(errno));
  sigaltstack(&ss, NULL);
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alt;
  sa.sa_flags = SA_ONSTACK;
  sigaction(SIGUSR2, &sa, NULL);
  raise(SIGUSR2);
  sa.sa_flags = 0;
  sigaction(SIGUSR2, &sa, NULL);
  raise(SIGUSR2);

  /* RT signals queue with values; delivered lowest first, then FIFO per signal. */
  sigset_t rtset;
  sigemptyset(&rtset);
  sigaddset(&rtset, SIGRTMIN);
  sigaddset(&rtset, SIGRTMIN + 1);
  sigprocmask(SIG_BLOCK, &rtset, NULL);
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_rt;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGRTMIN, &sa, NULL);
  sigaction(SIGRTMIN + 1, &sa, NULL);
  sigqueue(getpid(), SIGRTMIN + 1, (union sigval){ .sival_int = 11 });
  sigqueue(getpid(), SIGRTMIN, (union sigval){ .sival_int = 21 });
  sigqueue(getpid(), SIGRTMIN, (union sigval){ .sival_int = 22 });
  sigqueue(getpid(), SIGRTMIN + 1, (union sigval){ .sival_int = 12 });
  sigprocmask(SIG_UNBLOCK, &rtset, NULL);
  order[norder] = 0;
  printf("rt order %s\n", order);

  /* sigtimedwait */
  sigprocmask(SIG_BLOCK, &rtset, NULL);
  sigqueue(getpid(), SIGRTMIN, (union sigval){ .sival_int = 5 });
  siginfo_t si;
  struct timespec zero = { 0, 0 }, tenms = { 0, 10000000 };
  int s = sigtimedwait(&rtset, &si, &zero);
  printf("sigtimedwait: %d value=%d\n", s - SIGRTMIN, si.si_value.sival_int);
  s = sigtimedwait(&rtset, &si, &tenms);
  printf("sigtimedwait timeout: %d %s\n", s, strerror(errno));
  sigprocmask(SIG_UNBLOCK, &rtset, NULL);

  /* Nested: all three pending at unblock. */
  norder = 0;
  signal(SIGUSR1, on_nested);
  signal(SIGUSR2, on_nested);
  signal(SIGHUP, on_nested);
  sigset_t three;
  sigemptyset(&three);
  sigaddset(&three, SIGUSR1);
  sigaddset(&three, SIGUSR2);
  sigaddset(&three, SIGHUP);
  sigprocmask(SIG_BLOCK, &three, NULL);
  raise(SIGUSR2); raise(SIGHUP); raise(SIGUSR1);
  sigprocmask(SIG_UNBLOCK, &three, NULL);
  order[norder] = 0;
  printf("nested order %s\n", order);

  /* Stop / continue a child, seen by waitpid. */
  pid_t c = fork();
  if (c == 0) { for (;;) pause(); }
  kill(c, SIGSTOP);
  int st;
  pid_t w = waitpid(c, &st, WUNTRACED);
  printf("waitpid stopped: %d sig=%d\n", w == c && WIFSTOPPED(st), WSTOPSIG(st));
  kill(c, SIGCONT);
  w = waitpid(c, &st, WCONTINUED);
  printf("waitpid continued: %d\n", w == c && WIFCONTINUED(st));
  kill(c, SIGKILL);
  waitpid(c, &st, 0);
  printf("killed: %d sig=%d\n", WIFSIGNALED(st), WTERMSIG(st));

  /* Process group kill. */
  pid_t g1 = fork();
  if (g1 == 0) { setpgid(0, 0); for (;;) pause(); }
  setpgid(g1, g1);
  pid_t g2 = fork();
  if (g2 == 0) { setpgid(0, g1); for (;;) pause(); }
  setpgid(g2, g1);
  printf("killpg: %d\n", killpg(g1, SIGTERM));
  int n = 0;
  while (waitpid(-1, &st, 0) > 0) n += WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM;
  printf("group members killed by SIGTERM: %d\n", n);
  printf("kill ESRCH: %d %s\n", kill(99999, 0), strerror(errno));

  /* SIGCHLD with sigsuspend */
  sigset_t chld, old;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  signal(SIGCHLD, on_chld);
  sigprocmask(SIG_BLOCK, &chld, &old);
  hits = 0;
  if (fork() == 0) _exit(3);
  while (!hits) sigsuspend(&old);
  sigprocmask(SIG_SETMASK, &old, NULL);
  wait(&st);
  printf("sigchld via sigsuspend: hits=%d status=%d\n", hits, WEXITSTATUS(st));

  /* waitpid with a SIGCHLD handler (no SA_RESTART): the child's exit wakes it with a result, not EINTR. */
  hits = 0;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_chld;
  sigaction(SIGCHLD, &sa, NULL);
  if ((c = fork()) == 0) _exit(4);
  w = waitpid(c, &st, 0);
  printf("waitpid under a SIGCHLD handler: ok=%d status=%d handler ran=%d\n", w == c, WEXITSTATUS(st), hits);
  signal(SIGCHLD, SIG_DFL);

  /* nanosleep interrupted: EINTR with remaining time. */
  signal(SIGALRM, on_chld);
  pid_t pk = fork();
  if (pk == 0) { struct timespec d = { 0, 50000000 }; nanosleep(&d, NULL); kill(getppid(), SIGALRM); _exit(0); }
  struct timespec req = { 5, 0 }, rem = { 0, 0 };
  int r = nanosleep(&req, &rem);
  printf("nanosleep: %d %s rem>4s: %d\n", r, strerror(errno), rem.tv_sec >= 4);
  waitpid(pk, &st, 0);

  check_threads();

  /* abort(): SIGABRT default. */
  if ((c = fork()) == 0) abort();
  waitpid(c, &st, 0);
  printf("abort: signaled=%d sig=%d core=%d\n", WIFSIGNALED(st), WTERMSIG(st), WCOREDUMP(st) ? 1 : 0);
  return 0;
}
