/* The kernel's own uapi view (asm/ headers, no glibc signal.h): struct sigaction as rt_sigaction
 * reads it, struct ucontext and struct sigcontext as the rt_sigframe holds them. */
#include <asm/signal.h>
#include <asm/sigcontext.h>
#include <asm/ucontext.h>
#include <linux/signal.h>
#include <stddef.h>
#include <stdio.h>

#define P(name, v) printf("%s %ld\n", name, (long)(v))

void print_kernel_layout(void) {
  P("ksigaction.size", sizeof(struct sigaction));
  P("ksigaction.sa_handler", offsetof(struct sigaction, sa_handler));
  P("ksigaction.sa_flags", offsetof(struct sigaction, sa_flags));
  P("ksigaction.sa_mask", offsetof(struct sigaction, sa_mask));
  P("ksigset.size", sizeof(sigset_t));
  P("kucontext.size", sizeof(struct ucontext));
  P("kucontext.uc_sigmask", offsetof(struct ucontext, uc_sigmask));
  P("kucontext.uc_mcontext", offsetof(struct ucontext, uc_mcontext));
  P("ksigcontext.size", sizeof(struct sigcontext));
  P("ksigcontext.sc_fpregs", offsetof(struct sigcontext, sc_fpregs));
  P("ksigcontext.d_fcsr", offsetof(struct sigcontext, sc_fpregs.d.fcsr));
  P("ksigcontext.q_reserved", offsetof(struct sigcontext, sc_fpregs.q.reserved));
  P("kMINSIGSTKSZ", MINSIGSTKSZ);
  P("SS_AUTODISARM", (unsigned)SS_AUTODISARM);
}
