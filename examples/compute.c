/* A pure compute loop (prime sieve + integer hashing), no syscalls inside: argv[1] = rounds (default 25). */
#include "common.h"

#define LIMIT 100000

static unsigned char composite[LIMIT + 1];

/* One sieve of Eratosthenes up to LIMIT; returns the number of primes found. */
static int sieve_primes(void) {
  memset(composite, 0, sizeof composite);
  int count = 0;
  for (int i = 2; i <= LIMIT; i++) {
    if (composite[i]) continue;
    count++;
    for (long j = (long)i * i; j <= LIMIT; j += i) composite[j] = 1;
  }
  return count;
}

/* Mixes every prime below LIMIT into h with multiply/xor-shift steps. */
static uint64_t hash_primes(uint64_t h, int round) {
  for (int i = 2; i <= LIMIT; i++) {
    if (composite[i]) continue;
    h ^= (uint64_t)i * 0x9e3779b97f4a7c15ULL + (uint64_t)round;
    h = (h << 13) | (h >> 51);
    h *= 0xff51afd7ed558ccdULL;
  }
  return h;
}

int main(int argc, char **argv) {
  long rounds = parse_count(argc, argv, 1, 25);
  uint64_t h = FNV_OFFSET;
  int primes = 0;
  for (long r = 0; r < rounds; r++) {
    primes = sieve_primes();
    h = hash_primes(h, (int)r);
  }
  printf("compute: rounds=%ld primes<=%d: %d\n", rounds, LIMIT, primes);
  printf("compute: hash=%016llx\n", (unsigned long long)h);
  return primes == 9592 ? 0 : 1;
}
