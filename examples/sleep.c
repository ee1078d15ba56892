/*
 * Sleeping and clocks: nanosleep, clock_nanosleep (relative and TIMER_ABSTIME), clock_gettime, gettimeofday.
 * Prints only relations between readings (never absolute times), so the output holds on any clock that is
 * monotonic and honours the requested sleep.
 */
#include "common.h"
#include <sys/time.h>
#include <time.h>

static int64_t now_ns(clockid_t clk) {
  struct timespec ts;
  if (clock_gettime(clk, &ts) != 0) die("clock_gettime: %s", errno_name(errno));
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static const char *yes_no(int b) { return b ? "yes" : "no"; }

/* Prints whether an interval [start, end] covers `want` and stays below want + 5 s (a generous bound). */
static void report(const char *what, int64_t start, int64_t end, int64_t want) {
  int64_t got = end - start;
  printf("%s: elapsed >= requested (%lld ms): %s; elapsed < requested + 5 s: %s\n", what,
         (long long)(want / 1000000), yes_no(got >= want), yes_no(got < want + 5000000000LL));
}

int main(void) {
  struct timespec res;
  if (clock_getres(CLOCK_MONOTONIC, &res) != 0) die("clock_getres: %s", errno_name(errno));
  printf("clock_getres(CLOCK_MONOTONIC): %lld s %ld ns\n", (long long)res.tv_sec, res.tv_nsec);

  int64_t t0 = now_ns(CLOCK_MONOTONIC);
  struct timespec req = { 0, 20 * 1000000L }, rem = { 99, 99 };
  int rc = nanosleep(&req, &rem);
  int64_t t1 = now_ns(CLOCK_MONOTONIC);
  printf("nanosleep 20 ms: returned %d\n", rc);
  report("nanosleep", t0, t1, 20000000);

  req.tv_nsec = 10 * 1000000L;
  rc = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL);
  int64_t t2 = now_ns(CLOCK_MONOTONIC);
  printf("clock_nanosleep relative 10 ms: returned %d\n", rc);
  report("clock_nanosleep relative", t1, t2, 10000000);

  int64_t target = t2 + 15000000;
  struct timespec abs_ts = { (time_t)(target / 1000000000), (long)(target % 1000000000) };
  rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs_ts, NULL);
  int64_t t3 = now_ns(CLOCK_MONOTONIC);
  printf("clock_nanosleep TIMER_ABSTIME +15 ms: returned %d, woke at or after the target: %s\n", rc,
         yes_no(t3 >= target));
  abs_ts.tv_sec = 0;
  abs_ts.tv_nsec = 0;
  rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs_ts, NULL);
  printf("clock_nanosleep TIMER_ABSTIME in the past: returned %d\n", rc);

  int64_t r0 = now_ns(CLOCK_REALTIME);
  req.tv_nsec = 5 * 1000000L;
  nanosleep(&req, NULL);
  int64_t r1 = now_ns(CLOCK_REALTIME);
  report("CLOCK_REALTIME across nanosleep", r0, r1, 5000000);
  struct timeval tv;
  gettimeofday(&tv, NULL);
  int64_t tv_ns = (int64_t)tv.tv_sec * 1000000000 + (int64_t)tv.tv_usec * 1000;
  int64_t r2 = now_ns(CLOCK_REALTIME);
  printf("gettimeofday lies between two CLOCK_REALTIME readings (to the microsecond): %s\n",
         yes_no(tv_ns >= r1 - r1 % 1000 && tv_ns <= r2));
  time_t secs = time(NULL);
  /* time() may read a coarse clock that lags by a tick, hence the one-second slack on both sides. */
  printf("time() agrees with CLOCK_REALTIME (within 1 s): %s\n",
         yes_no((int64_t)secs >= r1 / 1000000000 - 1 && (int64_t)secs <= r2 / 1000000000 + 1));

  int backwards = 0;
  int64_t prev = now_ns(CLOCK_MONOTONIC);
  for (int i = 0; i < 10000; i++) {
    int64_t t = now_ns(CLOCK_MONOTONIC);
    backwards += t < prev;
    prev = t;
  }
  printf("CLOCK_MONOTONIC went backwards in 10000 reads: %d times\n", backwards);

  req.tv_sec = 0;
  req.tv_nsec = 1000000000L;
  errno = 0;
  rc = nanosleep(&req, NULL);
  printf("nanosleep with tv_nsec = 1e9: %d %s\n", rc, errno_name(errno));
  req.tv_nsec = 0;
  rc = nanosleep(&req, NULL);
  printf("nanosleep 0: %d\n", rc);
  errno = 0;
  struct timespec ts;
  rc = clock_gettime((clockid_t)12345, &ts);
  printf("clock_gettime on a bad clock id: %d %s\n", rc, errno_name(errno));
  return 0;
}
