/*
 * Allocates 64 MiB with malloc (an mmap underneath), writes one word in every 64-byte line of it, then
 * checksums every fourth word (written and untouched alike), checks both ends, and frees it.
 */
#include "common.h"

#define MIB (1024UL * 1024UL)
#define SIZE (64 * MIB)
#define STRIDE 8 /* words between writes: one per 64-byte line */

/* A position-derived value, so any word can be checked without replaying a sequence. */
static inline uint64_t value_at(size_t i) {
  uint64_t z = (uint64_t)i * 0x9e3779b97f4a7c15ULL;
  return z ^ (z >> 29);
}

int main(void) {
  uint64_t *mem = malloc(SIZE);
  if (mem == NULL) die("malloc(%lu): %s", SIZE, errno_name(errno));
  size_t words = SIZE / sizeof *mem;
  /* Fresh anonymous memory reads as zero: sample one word per page before writing anything. */
  size_t nonzero = 0;
  for (size_t i = 0; i < words; i += 4096 / sizeof *mem) nonzero += mem[i] != 0;
  printf("bigmem: %lu MiB allocated, nonzero words before touching: %zu\n", SIZE / MIB, nonzero);
  for (size_t i = 0; i < words; i += STRIDE) mem[i] = value_at(i);
  uint64_t sum = 0, h = 0;
  for (size_t i = 0; i < words; i += 4) {
    sum += mem[i];
    h = (h ^ mem[i]) * FNV_PRIME;
  }
  size_t bad = 0;
  for (size_t i = 0; i < 4096; i++) {
    size_t lo = i, hi = words - 1 - i;
    if (mem[lo] != (lo % STRIDE == 0 ? value_at(lo) : 0)) bad++;
    if (mem[hi] != (hi % STRIDE == 0 ? value_at(hi) : 0)) bad++;
  }
  printf("bigmem: words=%zu sum=%016llx hash=%016llx\n", words, (unsigned long long)sum, (unsigned long long)h);
  printf("bigmem: mismatches in the first and last 32 KiB: %zu\n", bad);
  free(mem);
  return bad == 0 && nonzero == 0 ? 0 : 1;
}
