/*
 * A misaligned AMO (amoadd.w on an address that is 2 mod 4). RISC-V never lets an AMO split across its
 * natural alignment; Linux delivers a signal for it. The output stops at the first line; the exit status
 * is whatever the reference (qemu-riscv64) gives.
 */
#include <stdint.h>
#include <stdio.h>

static uint32_t words[4] __attribute__((aligned(16)));

int main(void) {
  printf("amo-misaligned: amoadd.w on an address 2 bytes into a word\n");
  fflush(stdout);
  volatile uintptr_t addr = (uintptr_t)words + 2;
  uint32_t old;
  __asm__ volatile("amoadd.w %0, %2, (%1)" : "=r"(old) : "r"(addr), "r"(1) : "memory");
  printf("amo-misaligned: survived, old=%u (wrong)\n", old);
  return 0;
}
