/*
 * execve of another program: argv[1] is the target's path (e.g. build/examples/hello). Prints before exec
 * (flushed, so the line is not lost with the old image), passes two arguments and the current environment,
 * and marks a descriptor close-on-exec to show the new image does not inherit it.
 */
#include "common.h"
#include <fcntl.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: exec PROGRAM\n");
    return 2;
  }
  /* Fixed numbers (dup2, not dup), so descriptors inherited from whoever started us cannot shift them. */
  int keep = dup2(1, 3), drop = dup2(1, 4);
  if (keep != 3 || drop != 4 || fcntl(drop, F_SETFD, FD_CLOEXEC) != 0) die("dup2/fcntl: %s", errno_name(errno));
  printf("exec: fds %d (kept) and %d (close-on-exec) open; about to execve %s\n", keep, drop, argv[1]);
  fflush(stdout);
  char *args[] = { argv[1], "from-exec", "second arg", "--fds", NULL };
  execve(argv[1], args, environ);
  int err = errno;
  printf("exec: execve %s failed: %s\n", argv[1], errno_name(err));
  return 1;
}
