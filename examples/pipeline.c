/*
 * fork + pipe: producer | filter | consumer. The consumer writes the surviving lines to a file; the parent
 * waits for all three, then prints the file's line count, checksum, first and last lines, and removes it.
 * argv[1] = items (default 2000), argv[2] = output file (default pipeline.out; parent dirs are created).
 * Only the consumer (during the run) and the parent (after every child is reaped) write to stdout.
 */
#include "common.h"
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

/* write() until everything is out; a short write on a pipe is normal. */
static void write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("write: %s", errno_name(errno));
    }
    buf += n;
    len -= (size_t)n;
  }
}

/* A line reader over a raw fd, so no stdio buffer is shared across fork. */
struct reader {
  int fd;
  char buf[4096];
  size_t start, end;
};

/* Reads one line (without '\n') into out; returns its length, or -1 at EOF. */
static long read_line(struct reader *r, char *out, size_t cap) {
  size_t n = 0;
  out[0] = '\0';
  for (;;) {
    if (r->start == r->end) {
      ssize_t got = read(r->fd, r->buf, sizeof r->buf);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) die("read: %s", errno_name(errno));
      if (got == 0) return n > 0 ? (long)n : -1;
      r->start = 0;
      r->end = (size_t)got;
    }
    char c = r->buf[r->start++];
    if (c == '\n') return (long)n;
    if (n + 1 < cap) out[n++] = c;
    out[n] = '\0';
  }
}

static void run_producer(int out, long items) {
  char line[64];
  for (long i = 1; i <= items; i++) {
    int len = snprintf(line, sizeof line, "item %ld\n", i);
    write_all(out, line, (size_t)len);
  }
}

/* Keeps items not divisible by 3 and appends the square of the number. */
static void run_filter(int in, int out) {
  struct reader r = { .fd = in };
  char line[128], next[160];
  long len;
  while ((len = read_line(&r, line, sizeof line)) >= 0) {
    long v = strtol(line + 5, NULL, 10);
    if (v % 3 == 0) continue;
    int n = snprintf(next, sizeof next, "%s sq=%ld\n", line, v * v);
    write_all(out, next, (size_t)n);
  }
}

static void run_consumer(int in, const char *path, long items) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) die("open %s: %s", path, errno_name(errno));
  struct reader r = { .fd = in };
  char line[160];
  long len, lines = 0, bytes = 0;
  long step = items / 4 > 0 ? items / 4 : 1;
  while ((len = read_line(&r, line, sizeof line)) >= 0) {
    line[len] = '\n';
    write_all(fd, line, (size_t)len + 1);
    lines++;
    bytes += len + 1;
    if (lines % step == 0) printf("consumer: %ld lines so far\n", lines);
  }
  if (close(fd) != 0) die("close: %s", errno_name(errno));
  printf("consumer: wrote %ld lines, %ld bytes\n", lines, bytes);
  fflush(stdout);
}

/* Forks a child that runs one stage with its pipe ends and exits 0; returns the child's pid. */
static pid_t spawn_stage(int stage, int fds[2][2], long items, const char *path) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) die("fork: %s", errno_name(errno));
  if (pid > 0) return pid;
  int in = stage == 0 ? -1 : fds[stage - 1][0];
  int out = stage == 2 ? -1 : fds[stage][1];
  for (int p = 0; p < 2; p++)
    for (int e = 0; e < 2; e++)
      if (fds[p][e] != in && fds[p][e] != out) close(fds[p][e]);
  if (stage == 0) run_producer(out, items);
  else if (stage == 1) run_filter(in, out);
  else run_consumer(in, path, items);
  _exit(0);
}

static void print_file_summary(const char *path) {
  FILE *f = fopen(path, "r");
  if (f == NULL) die("fopen %s: %s", path, errno_name(errno));
  char line[256], first[256] = "", last[256] = "";
  long lines = 0;
  uint64_t h = FNV_OFFSET;
  while (fgets(line, sizeof line, f) != NULL) {
    h = fnv1a(h, line, strlen(line));
    line[strcspn(line, "\n")] = '\0';
    if (lines == 0) snprintf(first, sizeof first, "%s", line);
    snprintf(last, sizeof last, "%s", line);
    lines++;
  }
  fclose(f);
  printf("parent: file has %ld lines, fnv1a=%016llx\n", lines, (unsigned long long)h);
  printf("parent: first line: %s\n", first);
  printf("parent: last line: %s\n", last);
}

int main(int argc, char **argv) {
  long items = parse_count(argc, argv, 1, 2000);
  const char *path = argc > 2 ? argv[2] : "pipeline.out";
  char dir[4096];
  dirname_of(path, dir, sizeof dir);
  if (mkdir_p(dir) != 0) die("mkdir -p %s: %s", dir, errno_name(errno));

  int fds[2][2];
  if (pipe(fds[0]) != 0 || pipe(fds[1]) != 0) die("pipe: %s", errno_name(errno));
  printf("parent: starting producer | filter | consumer with %ld items\n", items);
  pid_t pids[3];
  for (int s = 0; s < 3; s++) pids[s] = spawn_stage(s, fds, items, path);
  for (int p = 0; p < 2; p++) {
    close(fds[p][0]);
    close(fds[p][1]);
  }
  static const char *names[3] = { "producer", "filter", "consumer" };
  int failed = 0;
  for (int s = 0; s < 3; s++) {
    int status;
    if (waitpid(pids[s], &status, 0) != pids[s]) die("waitpid: %s", errno_name(errno));
    if (WIFEXITED(status)) printf("parent: %s exited with %d\n", names[s], WEXITSTATUS(status));
    else printf("parent: %s killed by signal %d\n", names[s], WTERMSIG(status));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) failed = 1;
  }
  print_file_summary(path);
  long expect = items - items / 3;
  printf("parent: expected %ld lines\n", expect);
  if (unlink(path) != 0) die("unlink %s: %s", path, errno_name(errno));
  return failed;
}
