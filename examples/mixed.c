/*
 * A mixed C workload for the benchmark: each round formats records with snprintf, sorts them with qsort
 * (strings and integers), and hashes the result with FNV-1a. argv[1] = rounds (default 20).
 */
#include "common.h"

#define RECORDS 1000

struct record {
  uint64_t key;
  char text[48];
};

static struct record records[RECORDS];
static const struct record *order[RECORDS];

static int compare_text(const void *a, const void *b) {
  const struct record *x = *(const struct record *const *)a, *y = *(const struct record *const *)b;
  return strcmp(x->text, y->text);
}

static int compare_key(const void *a, const void *b) {
  const struct record *x = a, *y = b;
  return x->key < y->key ? -1 : x->key > y->key;
}

int main(int argc, char **argv) {
  long rounds = parse_count(argc, argv, 1, 20);
  uint64_t state = 2024, h = FNV_OFFSET;
  long total_len = 0;
  for (long r = 0; r < rounds; r++) {
    for (int i = 0; i < RECORDS; i++) {
      uint64_t v = splitmix64(&state);
      records[i].key = v;
      int n = snprintf(records[i].text, sizeof records[i].text, "%c%05u-%x-%d", 'a' + (int)(v % 26),
                       (unsigned)(v >> 40) % 100000, (unsigned)(v >> 8) & 0xfffff, (int)(v % 1000) - 500);
      total_len += n;
      order[i] = &records[i];
    }
    qsort(order, RECORDS, sizeof *order, compare_text);
    for (int i = 0; i < RECORDS; i += 7) h = fnv1a(h, order[i]->text, strlen(order[i]->text));
    qsort(records, RECORDS, sizeof *records, compare_key);
    for (int i = 1; i < RECORDS; i++)
      if (records[i - 1].key > records[i].key) die("qsort by key out of order at %d", i);
    h = fnv1a(h, &records[RECORDS / 2].key, sizeof records[0].key);
  }
  printf("mixed: rounds=%ld records/round=%d formatted bytes=%ld\n", rounds, RECORDS, total_len);
  printf("mixed: hash=%016llx\n", (unsigned long long)h);
  return 0;
}
