/*
 * Signals: sigaction with and without SA_SIGINFO, the mask during a handler (SA_NODEFER, and a mask
 * change inside a handler undone by sigreturn), SA_RESETHAND, SIG_IGN, a blocked signal that is pending
 * and then delivered on unblock, EINTR versus SA_RESTART on a blocking pipe read interrupted by a child's
 * kill(), SIGCHLD with its siginfo, SIGPIPE, and a child killed by a signal. Output never depends on
 * timing: the children signal in a loop until the parent tells them its read was interrupted.
 * (sa_mask itself is not exercised: qemu-riscv64 7.2, the reference, does not add it to the mask while a
 * handler runs, which Linux does.)
 */
#define _GNU_SOURCE
#include "common.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t usr1_count, usr2_count, in_read, hits_in_read, notify_fd = -1;
static volatile sig_atomic_t blocked_inside;
static volatile sig_atomic_t info_signo, info_code, info_pid_ok, info_uid_ok, info_ctx_ok;
static volatile sig_atomic_t chld_code, chld_status, chld_pid;
static char events[64];
static volatile sig_atomic_t n_events;

static void log_event(char c) {
  if (n_events < (sig_atomic_t)sizeof events - 1) events[n_events++] = c;
}

static int is_blocked(int sig) {
  sigset_t cur;
  sigprocmask(SIG_BLOCK, NULL, &cur);
  return sigismember(&cur, sig);
}

static void on_usr1(int sig) {
  usr1_count++;
  blocked_inside = is_blocked(sig);
}

static void on_usr1_logging(int sig) {
  (void)sig;
  log_event('[');
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR2);
  sigprocmask(SIG_BLOCK, &set, NULL); /* sigreturn restores the mask from before the handler */
  raise(SIGUSR2); /* stays pending until this handler returns */
  log_event(usr2_count == 0 ? '.' : '!');
  log_event(']');
}

static void on_usr2_logging(int sig) {
  (void)sig;
  usr2_count++;
  log_event('2');
}

static void on_usr2_info(int sig, siginfo_t *si, void *ctx) {
  usr2_count++;
  info_signo = si->si_signo;
  info_code = si->si_code;
  info_pid_ok = si->si_pid == getpid();
  info_uid_ok = si->si_uid == getuid();
  info_ctx_ok = ctx != NULL && sig == SIGUSR2;
}

static void on_usr1_read(int sig) {
  (void)sig;
  usr1_count++;
  if (in_read) {
    hits_in_read++;
    if (notify_fd >= 0) (void)!write(notify_fd, "h", 1);
  }
}

static void on_chld(int sig, siginfo_t *si, void *ctx) {
  (void)sig;
  (void)ctx;
  chld_code = si->si_code;
  chld_status = si->si_status;
  chld_pid = si->si_pid;
}

static void set_handler(int sig, void (*fn)(int), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = fn;
  sa.sa_flags = flags;
  sigemptyset(&sa.sa_mask);
  if (sigaction(sig, &sa, NULL) != 0) die("sigaction %d: %s", sig, errno_name(errno));
}

static void set_info_handler(int sig, void (*fn)(int, siginfo_t *, void *), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = fn;
  sa.sa_flags = SA_SIGINFO | flags;
  sigemptyset(&sa.sa_mask);
  if (sigaction(sig, &sa, NULL) != 0) die("sigaction %d: %s", sig, errno_name(errno));
}

static void block(int how, int sig) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  if (sigprocmask(how, &set, NULL) != 0) die("sigprocmask: %s", errno_name(errno));
}

static int is_pending(int sig) {
  sigset_t set;
  if (sigpending(&set) != 0) die("sigpending: %s", errno_name(errno));
  return sigismember(&set, sig);
}

static void sleep_ms(long ms) {
  struct timespec ts = { 0, ms * 1000000L };
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static const char *describe_status(int status, char *buf, size_t cap) {
  if (WIFEXITED(status)) snprintf(buf, cap, "exited %d", WEXITSTATUS(status));
  else if (WIFSIGNALED(status)) snprintf(buf, cap, "killed by signal %d", WTERMSIG(status));
  else snprintf(buf, cap, "status %#x", status);
  return buf;
}

static void check_handlers(void) {
  set_handler(SIGUSR1, on_usr1, 0);
  raise(SIGUSR1);
  printf("plain handler: SIGUSR1 delivered %d time(s)\n", (int)usr1_count);
  printf("plain handler: SIGUSR1 blocked inside its handler: %d\n", (int)blocked_inside);
  printf("plain handler: SIGUSR1 blocked after return: %d\n", is_blocked(SIGUSR1));
  set_handler(SIGUSR1, on_usr1, SA_NODEFER);
  raise(SIGUSR1);
  printf("SA_NODEFER: SIGUSR1 blocked inside its handler: %d\n", (int)blocked_inside);

  set_info_handler(SIGUSR2, on_usr2_info, 0);
  raise(SIGUSR2);
  printf("SA_SIGINFO raise: signo=%d code=%s pid_ok=%d uid_ok=%d ctx_ok=%d\n", (int)info_signo,
         info_code == SI_TKILL ? "SI_TKILL" : info_code == SI_USER ? "SI_USER" : "other", (int)info_pid_ok,
         (int)info_uid_ok, (int)info_ctx_ok);
  kill(getpid(), SIGUSR2);
  printf("SA_SIGINFO kill: signo=%d code=%s pid_ok=%d\n", (int)info_signo,
         info_code == SI_TKILL ? "SI_TKILL" : info_code == SI_USER ? "SI_USER" : "other", (int)info_pid_ok);

  usr2_count = 0;
  set_handler(SIGUSR1, on_usr1_logging, 0);
  set_handler(SIGUSR2, on_usr2_logging, 0);
  raise(SIGUSR1);
  events[n_events] = '\0';
  printf("mask set in a handler, undone by sigreturn ([..] = SIGUSR1 handler, 2 = SIGUSR2): %s\n", events);
  printf("SIGUSR2 blocked after both handlers: %d\n", is_blocked(SIGUSR2));

  usr1_count = 0;
  set_handler(SIGUSR1, on_usr1, SA_RESETHAND);
  raise(SIGUSR1);
  struct sigaction old;
  sigaction(SIGUSR1, NULL, &old);
  printf("SA_RESETHAND: delivered %d, disposition afterwards is SIG_DFL: %d\n", (int)usr1_count,
         old.sa_handler == SIG_DFL);
  signal(SIGUSR1, SIG_IGN);
  raise(SIGUSR1);
  printf("SIG_IGN: SIGUSR1 raised and ignored, pending: %d\n", is_pending(SIGUSR1));
}

static void check_blocked_pending(void) {
  usr1_count = 0;
  set_handler(SIGUSR1, on_usr1, 0);
  block(SIG_BLOCK, SIGUSR1);
  raise(SIGUSR1);
  raise(SIGUSR1);
  printf("blocked: raised twice, delivered %d, pending %d\n", (int)usr1_count, is_pending(SIGUSR1));
  block(SIG_UNBLOCK, SIGUSR1);
  printf("unblocked: delivered %d (standard signals do not queue), pending %d\n", (int)usr1_count,
         is_pending(SIGUSR1));
}

/*
 * The child sends SIGUSR1 every millisecond until a byte arrives on `stop`; the parent's handler writes one
 * on `notify` only when the parent was inside read(), so the child never depends on guessing the timing.
 */
static pid_t spawn_signaller(int stop_rd, int data_wr, const char *reply) {
  fflush(stdout);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) die("fork: %s", errno_name(errno));
  if (pid > 0) return pid;
  fcntl(stop_rd, F_SETFL, O_NONBLOCK);
  char c;
  for (int i = 0; i < 100000; i++) {
    kill(parent, SIGUSR1);
    sleep_ms(1);
    if (read(stop_rd, &c, 1) == 1) {
      if (reply != NULL) (void)!write(data_wr, reply, strlen(reply));
      _exit(0);
    }
  }
  _exit(3);
}

static void check_interrupted_read(int restart) {
  int data[2], note[2];
  if (pipe(data) != 0 || pipe(note) != 0) die("pipe: %s", errno_name(errno));
  set_handler(SIGUSR1, on_usr1_read, restart ? SA_RESTART : 0);
  hits_in_read = 0;
  notify_fd = restart ? note[1] : -1;
  pid_t child = spawn_signaller(note[0], data[1], restart ? "data" : NULL);
  char buf[16] = { 0 };
  in_read = 1;
  ssize_t n = read(data[0], buf, sizeof buf - 1);
  int err = errno;
  in_read = 0;
  notify_fd = -1;
  const char *label = restart ? "SA_RESTART" : "no SA_RESTART";
  if (n < 0) printf("%s: blocking pipe read returned -1 %s\n", label, errno_name(err));
  else printf("%s: blocking pipe read returned %zd '%s'\n", label, n, buf);
  printf("%s: handler ran while blocked in read: %s\n", label, hits_in_read > 0 ? "yes" : "no");
  if (!restart) (void)!write(note[1], "s", 1);
  int status;
  char desc[64];
  if (waitpid(child, &status, 0) != child) die("waitpid: %s", errno_name(errno));
  printf("%s: signalling child %s\n", label, describe_status(status, desc, sizeof desc));
  signal(SIGUSR1, SIG_IGN);
  close(data[0]);
  close(data[1]);
  close(note[0]);
  close(note[1]);
}

static void check_sigchld(void) {
  set_info_handler(SIGCHLD, on_chld, SA_NOCLDSTOP);
  block(SIG_BLOCK, SIGCHLD);
  sigset_t none;
  sigemptyset(&none);
  char desc[64];
  int status;

  fflush(stdout);
  pid_t child = fork();
  if (child == 0) _exit(7);
  sigsuspend(&none);
  printf("SIGCHLD: code=%s status=%d pid matches: %d\n", chld_code == CLD_EXITED ? "CLD_EXITED" : "other",
         (int)chld_status, chld_pid == child);
  waitpid(child, &status, 0);
  printf("waitpid: child %s\n", describe_status(status, desc, sizeof desc));

  child = fork();
  if (child == 0) {
    for (;;) pause();
  }
  kill(child, SIGTERM);
  sigsuspend(&none);
  printf("SIGCHLD: code=%s status=%d pid matches: %d\n", chld_code == CLD_KILLED ? "CLD_KILLED" : "other",
         (int)chld_status, chld_pid == child);
  waitpid(child, &status, 0);
  printf("waitpid: child %s\n", describe_status(status, desc, sizeof desc));
  printf("waitpid with no children left: %s\n", waitpid(-1, &status, WNOHANG) < 0 ? errno_name(errno) : "?");
  block(SIG_UNBLOCK, SIGCHLD);
  signal(SIGCHLD, SIG_DFL);
}

static void check_sigpipe(void) {
  int p[2];
  char desc[64];
  signal(SIGPIPE, SIG_IGN);
  if (pipe(p) != 0) die("pipe: %s", errno_name(errno));
  close(p[0]);
  ssize_t n = write(p[1], "x", 1);
  printf("SIGPIPE ignored: write to a pipe without readers: %zd %s\n", n, errno_name(n < 0 ? errno : 0));
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    signal(SIGPIPE, SIG_DFL);
    (void)!write(p[1], "x", 1);
    _exit(0);
  }
  close(p[1]);
  int status;
  waitpid(child, &status, 0);
  printf("SIGPIPE default: child %s\n", describe_status(status, desc, sizeof desc));
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  check_handlers();
  check_blocked_pending();
  check_interrupted_read(0);
  check_interrupted_read(1);
  check_sigchld();
  check_sigpipe();
  printf("signals: done\n");
  return 0;
}
