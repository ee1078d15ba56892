/*
 * Benchmark load: argv[1] tasks in all (default 1000). It forks argv[1]-1 children that block reading
 * a pipe nobody writes, says "ready", then computes forever. Before forking it unmaps the untouched
 * bottom of its stack: emukernel maps the whole 8 MiB stack rlimit at exec (Linux maps ~132 KiB and
 * grows it), so without this every task's tree would carry an 8 MiB `data` file of zeros.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define STACK_SPAN (8UL << 20) /* emukernel's stack VMA: 8 MiB, ending 8 MiB-aligned */
#define STACK_KEEP (64UL << 10)

static void trim_stack(void) {
  uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
  uintptr_t bottom = sp & ~(STACK_SPAN - 1);
  uintptr_t keep = (sp - STACK_KEEP) & ~(uintptr_t)4095;
  if (keep > bottom) munmap((void *)bottom, keep - bottom);
}

int main(int argc, char **argv) {
  long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
  int p[2];
  trim_stack();
  if (pipe(p) != 0) return 1;
  for (long i = 1; i < n; i++) {
    pid_t c = fork();
    if (c < 0) return 2;
    if (c == 0) {
      char b;
      for (;;) read(p[0], &b, 1);
    }
  }
  printf("ready\n");
  fflush(stdout);
  volatile uint64_t h = 0;
  for (;;) h = h * 31 + 7;
}
