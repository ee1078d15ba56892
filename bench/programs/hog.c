/* Benchmark load: makes argv[1] MiB resident (one distinct word per page), says "ready", then computes forever. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

int main(int argc, char **argv) {
  size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
  size_t size = mib << 20;
  uint64_t *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return 1;
  for (size_t i = 0; i < size / 8; i += 512) mem[i] = i * 0x9e3779b97f4a7c15ULL;
  printf("ready\n");
  fflush(stdout);
  volatile uint64_t h = 0;
  for (;;) h = h * 31 + 7;
}
