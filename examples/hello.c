/*
 * The smallest example: prints a greeting and its arguments, exits 0. With a last argument of --fds it also
 * says whether fds 3 and 4 are open (the exec example leaves 3 open and marks 4 close-on-exec).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  printf("hello, world\n");
  printf("argc=%d\n", argc);
  for (int i = 1; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
  if (argc > 1 && strcmp(argv[argc - 1], "--fds") == 0) {
    for (int fd = 3; fd <= 4; fd++) printf("fd %d: %s\n", fd, fcntl(fd, F_GETFD) >= 0 ? "open" : "closed");
  }
  return 0;
}
