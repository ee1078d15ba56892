/* A deliberate store to an unmapped address: the task is killed by SIGSEGV (a shell reports status 139). */
#include <stdint.h>
#include <stdio.h>

int main(void) {
  printf("segv: storing to address 0x10\n");
  fflush(stdout);
  volatile uintptr_t addr = 0x10; /* computed at run time, so the compiler cannot see the fault coming */
  *(volatile uint32_t *)addr = 42;
  printf("segv: still alive (wrong)\n");
  return 0;
}
