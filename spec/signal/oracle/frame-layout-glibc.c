/* Signal ABI reference for spec/signal: glibc 2.36 riscv64 struct offsets, flag values and what a
 * real kernel (qemu-riscv64 here) passes to an SA_SIGINFO handler. Prints "name value" lines. */
#define _GNU_SOURCE
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

void print_kernel_layout(void);

#define P(name, v) printf("%s %ld\n", name, (long)(v))

static long delta_info_uc, pc_in_handler_frame, a0_saved;

static void handler(int sig, siginfo_t *info, void *ucv) {
  ucontext_t *uc = ucv;
  delta_info_uc = (char *)uc - (char *)info;
  pc_in_handler_frame = uc->uc_mcontext.__gregs[0] != 0;
  a0_saved = sig;
}

int main(void) {
  P("siginfo.size", sizeof(siginfo_t));
  P("siginfo.si_signo", offsetof(siginfo_t, si_signo));
  P("siginfo.si_errno", offsetof(siginfo_t, si_errno));
  P("siginfo.si_code", offsetof(siginfo_t, si_code));
  P("siginfo.si_pid", offsetof(siginfo_t, si_pid));
  P("siginfo.si_uid", offsetof(siginfo_t, si_uid));
  P("siginfo.si_status", offsetof(siginfo_t, si_status));
  P("siginfo.si_utime", offsetof(siginfo_t, si_utime));
  P("siginfo.si_stime", offsetof(siginfo_t, si_stime));
  P("siginfo.si_value", offsetof(siginfo_t, si_value));
  P("siginfo.si_addr", offsetof(siginfo_t, si_addr));
  P("siginfo.si_band", offsetof(siginfo_t, si_band));
  P("siginfo.si_fd", offsetof(siginfo_t, si_fd));
  P("ucontext.size", sizeof(ucontext_t));
  P("ucontext.uc_flags", offsetof(ucontext_t, __uc_flags));
  P("ucontext.uc_link", offsetof(ucontext_t, uc_link));
  P("ucontext.uc_stack", offsetof(ucontext_t, uc_stack));
  P("ucontext.uc_sigmask", offsetof(ucontext_t, uc_sigmask));
  P("ucontext.uc_mcontext", offsetof(ucontext_t, uc_mcontext));
  P("mcontext.gregs", offsetof(mcontext_t, __gregs));
  P("mcontext.fpregs", offsetof(mcontext_t, __fpregs));
  P("mcontext.fcsr", offsetof(mcontext_t, __fpregs.__d.__fcsr));
  P("mcontext.q_reserved", offsetof(mcontext_t, __fpregs.__q.__glibc_reserved));
  P("stack_t.ss_sp", offsetof(stack_t, ss_sp));
  P("stack_t.ss_flags", offsetof(stack_t, ss_flags));
  P("stack_t.ss_size", offsetof(stack_t, ss_size));
  P("SA_NOCLDSTOP", SA_NOCLDSTOP);
  P("SA_NOCLDWAIT", SA_NOCLDWAIT);
  P("SA_SIGINFO", SA_SIGINFO);
  P("SA_ONSTACK", SA_ONSTACK);
  P("SA_RESTART", SA_RESTART);
  P("SA_NODEFER", SA_NODEFER);
  P("SA_RESETHAND", (unsigned)SA_RESETHAND);
  P("SS_ONSTACK", SS_ONSTACK);
  P("SS_DISABLE", SS_DISABLE);
  P("SI_USER", SI_USER);
  P("SI_KERNEL", SI_KERNEL);
  P("SI_QUEUE", SI_QUEUE);
  P("SI_TIMER", SI_TIMER);
  P("SI_TKILL", SI_TKILL);
  P("CLD_EXITED", CLD_EXITED);
  P("CLD_KILLED", CLD_KILLED);
  P("CLD_DUMPED", CLD_DUMPED);
  P("CLD_STOPPED", CLD_STOPPED);
  P("CLD_CONTINUED", CLD_CONTINUED);
  for (int s = 1; s < 32; s++) printf("sig.%s %d\n", sigabbrev_np(s), s);
  struct sigaction sa = {0};
  sa.sa_sigaction = handler;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, 0);
  raise(SIGUSR1);
  P("handler.uc_minus_info", delta_info_uc);
  P("handler.saved_pc_nonzero", pc_in_handler_frame);
  P("handler.sig", a0_saved);
  print_kernel_layout();
  return 0;
}
