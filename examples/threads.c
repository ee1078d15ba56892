/*
 * pthreads: producers and consumers share a bounded queue guarded by a mutex and two condition variables,
 * behind a start gate (two more condition variables: "all waiting" and "gate open"). Every item must be
 * consumed exactly once; the printed totals do not depend on how the threads interleave.
 * argv[1] = items per producer (default 2000).
 */
#include "common.h"
#include <pthread.h>

#define PRODUCERS 3
#define CONSUMERS 3
#define QUEUE_CAP 16

static long per_producer;
static long queue[QUEUE_CAP];
static int q_head, q_len;
static int producers_left = PRODUCERS;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t gate = PTHREAD_COND_INITIALIZER;
static pthread_cond_t all_waiting = PTHREAD_COND_INITIALIZER;
static int gate_open, waiting_at_gate;
static unsigned char *seen;
static long duplicates;
static __thread long tls_items; /* each thread's own count: checks that TLS is per thread */

static void wait_at_gate(void) {
  pthread_mutex_lock(&lock);
  if (++waiting_at_gate == PRODUCERS + CONSUMERS) pthread_cond_signal(&all_waiting);
  while (!gate_open) pthread_cond_wait(&gate, &lock);
  pthread_mutex_unlock(&lock);
}

static void *run_producer(void *arg) {
  long id = (long)arg;
  wait_at_gate();
  for (long j = 0; j < per_producer; j++) {
    long item = id * per_producer + j;
    pthread_mutex_lock(&lock);
    while (q_len == QUEUE_CAP) pthread_cond_wait(&not_full, &lock);
    queue[(q_head + q_len) % QUEUE_CAP] = item;
    q_len++;
    pthread_cond_signal(&not_empty);
    pthread_mutex_unlock(&lock);
    tls_items++;
  }
  pthread_mutex_lock(&lock);
  producers_left--;
  pthread_cond_broadcast(&not_empty);
  pthread_mutex_unlock(&lock);
  return (void *)tls_items;
}

static void *run_consumer(void *arg) {
  long *sum = arg;
  wait_at_gate();
  for (;;) {
    pthread_mutex_lock(&lock);
    while (q_len == 0 && producers_left > 0) pthread_cond_wait(&not_empty, &lock);
    if (q_len == 0) {
      pthread_mutex_unlock(&lock);
      break;
    }
    long item = queue[q_head];
    q_head = (q_head + 1) % QUEUE_CAP;
    q_len--;
    if (seen[item]) duplicates++;
    seen[item] = 1;
    pthread_cond_signal(&not_full);
    pthread_mutex_unlock(&lock);
    *sum += item;
    tls_items++;
  }
  return (void *)tls_items;
}

int main(int argc, char **argv) {
  per_producer = parse_count(argc, argv, 1, 2000);
  long total = per_producer * PRODUCERS;
  seen = calloc((size_t)total, 1);
  if (seen == NULL) die("calloc: %s", errno_name(errno));
  pthread_t prod[PRODUCERS], cons[CONSUMERS];
  long sums[CONSUMERS] = { 0 };
  for (long i = 0; i < CONSUMERS; i++)
    if (pthread_create(&cons[i], NULL, run_consumer, &sums[i]) != 0) die("pthread_create");
  for (long i = 0; i < PRODUCERS; i++)
    if (pthread_create(&prod[i], NULL, run_producer, (void *)i) != 0) die("pthread_create");

  pthread_mutex_lock(&lock);
  while (waiting_at_gate < PRODUCERS + CONSUMERS) pthread_cond_wait(&all_waiting, &lock);
  gate_open = 1;
  pthread_cond_broadcast(&gate);
  pthread_mutex_unlock(&lock);
  printf("threads: %d producers, %d consumers, gate opened with all %d waiting\n", PRODUCERS, CONSUMERS,
         PRODUCERS + CONSUMERS);

  long produced = 0, consumed = 0, sum = 0;
  for (int i = 0; i < PRODUCERS; i++) {
    void *ret;
    pthread_join(prod[i], &ret);
    produced += (long)ret;
    if ((long)ret != per_producer) printf("threads: producer %d produced %ld\n", i, (long)ret);
  }
  for (int i = 0; i < CONSUMERS; i++) {
    void *ret;
    pthread_join(cons[i], &ret);
    consumed += (long)ret;
    sum += sums[i];
  }
  long missing = 0;
  for (long i = 0; i < total; i++) missing += !seen[i];
  printf("threads: produced=%ld consumed=%ld\n", produced, consumed);
  printf("threads: sum=%ld expected=%ld\n", sum, total * (total - 1) / 2);
  printf("threads: duplicates=%ld missing=%ld main tls=%ld\n", duplicates, missing, tls_items);
  return produced == total && consumed == total && duplicates == 0 && missing == 0 ? 0 : 1;
}
