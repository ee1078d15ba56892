/*
 * Benchmark load for periodic checkpoints: makes argv[1] MiB resident, says "ready", then runs argv[3]
 * rounds and exits. Each round writes one word in each of the next 10% of its pages (cycling through
 * them) and spins argv[2] iterations before each write, so the bench can size a round to about a
 * second of wall time: "10% of its pages dirtied per second" counted in rounds, not virtual time.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

int main(int argc, char **argv) {
  size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 256;
  size_t spins = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000;
  size_t rounds = argc > 3 ? strtoul(argv[3], NULL, 10) : 10;
  size_t pages = (mib << 20) / 4096, per_round = pages / 10, next = 0;
  uint64_t *mem = mmap(NULL, mib << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return 1;
  for (size_t i = 0; i < pages; i++) mem[i * 512] = i * 0x9e3779b97f4a7c15ULL;
  printf("ready\n");
  fflush(stdout);
  volatile uint64_t h = 0;
  for (size_t r = 0; r < rounds; r++) {
    for (size_t j = 0; j < per_round; j++) {
      for (size_t s = 0; s < spins; s++) h = h * 31 + 7;
      mem[next * 512] += h;
      next = (next + 1) % pages;
    }
  }
  printf("done %lu\n", (unsigned long)h);
  return 0;
}
