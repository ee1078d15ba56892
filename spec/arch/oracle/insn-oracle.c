// Executes single RV64 instructions under qemu-riscv64 and prints the registers after each one (crfs's CPU oracle).
//
// Input on stdin: a sequence of 528-byte little-endian records
//   u32 insn, u32 len (2 or 4), u32 fcsr, u32 reserved, u64 x[32], u64 f[32]
// Output on stdout, one line per record:
//   <trap> x0 .. x31 f0 .. f31 fcsr addr   (hex numbers; <trap> is "-" or the signal name, e.g. SIGILL;
//                                         addr is si_addr for SIGSEGV/SIGBUS, else 0)
// x2 (sp), x3 (gp) and x4 (tp) belong to the harness: the record's values for them are ignored, the
// instruction under test must not write them, and they are printed as 0. Control transfers are not
// supported (the instruction is followed by a jump back through gp).
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

struct regs {
  uint64_t x[32];
  uint64_t f[32];
  uint64_t fcsr;
};

struct record {
  uint32_t insn, len, fcsr, reserved;
  uint64_t x[32];
  uint64_t f[32];
};

void oracle_enter(struct regs *r, void *code);

// tp holds the register block and gp the return point while the case runs, so every other
// register can carry case values; the test page ends in `jalr x0, 0(gp)`.
__asm__(
  ".text\n"
  ".globl oracle_enter\n"
  ".type oracle_enter, @function\n"
  "oracle_enter:\n"
  "  addi sp, sp, -128\n"
  "  sd ra, 0(sp)\n"
  "  sd s0, 8(sp)\n"
  "  sd s1, 16(sp)\n"
  "  sd s2, 24(sp)\n"
  "  sd s3, 32(sp)\n"
  "  sd s4, 40(sp)\n"
  "  sd s5, 48(sp)\n"
  "  sd s6, 56(sp)\n"
  "  sd s7, 64(sp)\n"
  "  sd s8, 72(sp)\n"
  "  sd s9, 80(sp)\n"
  "  sd s10, 88(sp)\n"
  "  sd s11, 96(sp)\n"
  "  sd gp, 104(sp)\n"
  "  sd tp, 112(sp)\n"
  "  mv tp, a0\n"
  "  mv gp, a1\n"
  "  fld f0, 256(tp)\n"
  "  fld f1, 264(tp)\n"
  "  fld f2, 272(tp)\n"
  "  fld f3, 280(tp)\n"
  "  fld f4, 288(tp)\n"
  "  fld f5, 296(tp)\n"
  "  fld f6, 304(tp)\n"
  "  fld f7, 312(tp)\n"
  "  fld f8, 320(tp)\n"
  "  fld f9, 328(tp)\n"
  "  fld f10, 336(tp)\n"
  "  fld f11, 344(tp)\n"
  "  fld f12, 352(tp)\n"
  "  fld f13, 360(tp)\n"
  "  fld f14, 368(tp)\n"
  "  fld f15, 376(tp)\n"
  "  fld f16, 384(tp)\n"
  "  fld f17, 392(tp)\n"
  "  fld f18, 400(tp)\n"
  "  fld f19, 408(tp)\n"
  "  fld f20, 416(tp)\n"
  "  fld f21, 424(tp)\n"
  "  fld f22, 432(tp)\n"
  "  fld f23, 440(tp)\n"
  "  fld f24, 448(tp)\n"
  "  fld f25, 456(tp)\n"
  "  fld f26, 464(tp)\n"
  "  fld f27, 472(tp)\n"
  "  fld f28, 480(tp)\n"
  "  fld f29, 488(tp)\n"
  "  fld f30, 496(tp)\n"
  "  fld f31, 504(tp)\n"
  "  ld t0, 512(tp)\n"
  "  fscsr t0\n"
  "  ld x1, 8(tp)\n"
  "  ld x5, 40(tp)\n"
  "  ld x6, 48(tp)\n"
  "  ld x7, 56(tp)\n"
  "  ld x8, 64(tp)\n"
  "  ld x9, 72(tp)\n"
  "  ld x10, 80(tp)\n"
  "  ld x11, 88(tp)\n"
  "  ld x12, 96(tp)\n"
  "  ld x13, 104(tp)\n"
  "  ld x14, 112(tp)\n"
  "  ld x15, 120(tp)\n"
  "  ld x16, 128(tp)\n"
  "  ld x17, 136(tp)\n"
  "  ld x18, 144(tp)\n"
  "  ld x19, 152(tp)\n"
  "  ld x20, 160(tp)\n"
  "  ld x21, 168(tp)\n"
  "  ld x22, 176(tp)\n"
  "  ld x23, 184(tp)\n"
  "  ld x24, 192(tp)\n"
  "  ld x25, 200(tp)\n"
  "  ld x26, 208(tp)\n"
  "  ld x27, 216(tp)\n"
  "  ld x28, 224(tp)\n"
  "  ld x29, 232(tp)\n"
  "  ld x30, 240(tp)\n"
  "  ld x31, 248(tp)\n"
  "  jalr gp, 0(gp)\n"
  "  sd x1, 8(tp)\n"
  "  sd x5, 40(tp)\n"
  "  sd x6, 48(tp)\n"
  "  sd x7, 56(tp)\n"
  "  sd x8, 64(tp)\n"
  "  sd x9, 72(tp)\n"
  "  sd x10, 80(tp)\n"
  "  sd x11, 88(tp)\n"
  "  sd x12, 96(tp)\n"
  "  sd x13, 104(tp)\n"
  "  sd x14, 112(tp)\n"
  "  sd x15, 120(tp)\n"
  "  sd x16, 128(tp)\n"
  "  sd x17, 136(tp)\n"
  "  sd x18, 144(tp)\n"
  "  sd x19, 152(tp)\n"
  "  sd x20, 160(tp)\n"
  "  sd x21, 168(tp)\n"
  "  sd x22, 176(tp)\n"
  "  sd x23, 184(tp)\n"
  "  sd x24, 192(tp)\n"
  "  sd x25, 200(tp)\n"
  "  sd x26, 208(tp)\n"
  "  sd x27, 216(tp)\n"
  "  sd x28, 224(tp)\n"
  "  sd x29, 232(tp)\n"
  "  sd x30, 240(tp)\n"
  "  sd x31, 248(tp)\n"
  "  fsd f0, 256(tp)\n"
  "  fsd f1, 264(tp)\n"
  "  fsd f2, 272(tp)\n"
  "  fsd f3, 280(tp)\n"
  "  fsd f4, 288(tp)\n"
  "  fsd f5, 296(tp)\n"
  "  fsd f6, 304(tp)\n"
  "  fsd f7, 312(tp)\n"
  "  fsd f8, 320(tp)\n"
  "  fsd f9, 328(tp)\n"
  "  fsd f10, 336(tp)\n"
  "  fsd f11, 344(tp)\n"
  "  fsd f12, 352(tp)\n"
  "  fsd f13, 360(tp)\n"
  "  fsd f14, 368(tp)\n"
  "  fsd f15, 376(tp)\n"
  "  fsd f16, 384(tp)\n"
  "  fsd f17, 392(tp)\n"
  "  fsd f18, 400(tp)\n"
  "  fsd f19, 408(tp)\n"
  "  fsd f20, 416(tp)\n"
  "  fsd f21, 424(tp)\n"
  "  fsd f22, 432(tp)\n"
  "  fsd f23, 440(tp)\n"
  "  fsd f24, 448(tp)\n"
  "  fsd f25, 456(tp)\n"
  "  fsd f26, 464(tp)\n"
  "  fsd f27, 472(tp)\n"
  "  fsd f28, 480(tp)\n"
  "  fsd f29, 488(tp)\n"
  "  fsd f30, 496(tp)\n"
  "  fsd f31, 504(tp)\n"
  "  frcsr t0\n"
  "  sd t0, 512(tp)\n"
  "  ld ra, 0(sp)\n"
  "  ld s0, 8(sp)\n"
  "  ld s1, 16(sp)\n"
  "  ld s2, 24(sp)\n"
  "  ld s3, 32(sp)\n"
  "  ld s4, 40(sp)\n"
  "  ld s5, 48(sp)\n"
  "  ld s6, 56(sp)\n"
  "  ld s7, 64(sp)\n"
  "  ld s8, 72(sp)\n"
  "  ld s9, 80(sp)\n"
  "  ld s10, 88(sp)\n"
  "  ld s11, 96(sp)\n"
  "  ld gp, 104(sp)\n"
  "  ld tp, 112(sp)\n"
  "  addi sp, sp, 128\n"
  "  ret\n"
  ".size oracle_enter, .-oracle_enter\n");

static volatile sig_atomic_t trapped;
static void *volatile fault_addr;

// Resumes at the return point (gp), so a faulting instruction's registers are reported unchanged.
static void on_trap(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  trapped = sig;
  fault_addr = (sig == SIGSEGV || sig == SIGBUS) ? si->si_addr : 0;
  uc->uc_mcontext.__gregs[REG_PC] = uc->uc_mcontext.__gregs[3];
}

static const char *name_signal(int sig) {
  switch (sig) {
    case 0: return "-";
    case SIGILL: return "SIGILL";
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGTRAP: return "SIGTRAP";
    case SIGFPE: return "SIGFPE";
    default: return "SIG?";
  }
}

int main(void) {
  static const int sigs[] = {SIGILL, SIGSEGV, SIGBUS, SIGTRAP, SIGFPE};
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_trap;
  sa.sa_flags = SA_SIGINFO;
  for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaction(sigs[i], &sa, NULL);
  uint8_t *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (code == MAP_FAILED) return 2;
  static const uint32_t jump_back = 0x00018067; // jalr x0, 0(x3)
  struct record in;
  struct regs r;
  while (fread(&in, sizeof in, 1, stdin) == 1) {
    uint32_t len = in.len == 2 ? 2 : 4;
    memcpy(code, &in.insn, len);
    memcpy(code + len, &jump_back, 4);
    __asm__ volatile("fence.i" ::: "memory");
    memcpy(r.x, in.x, sizeof r.x);
    memcpy(r.f, in.f, sizeof r.f);
    r.fcsr = in.fcsr;
    trapped = 0;
    fault_addr = 0;
    oracle_enter(&r, code);
    r.x[0] = r.x[2] = r.x[3] = r.x[4] = 0;
    fputs(name_signal(trapped), stdout);
    for (int i = 0; i < 32; i++) printf(" %lx", (unsigned long)r.x[i]);
    for (int i = 0; i < 32; i++) printf(" %lx", (unsigned long)r.f[i]);
    printf(" %lx %lx\n", (unsigned long)r.fcsr, (unsigned long)fault_addr);
  }
  return 0;
}
