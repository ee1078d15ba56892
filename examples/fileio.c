/*
 * File I/O on a scratch directory (argv[1], default fileio.d; it must not exist and is removed at the end):
 * open/read/write, lseek incl. SEEK_DATA/SEEK_HOLE over page-aligned holes, pread/pwrite, O_APPEND, dup and
 * fcntl, ftruncate both ways, fstat sizes, rename, unlink of an open file, mkdir/rmdir, a sorted readdir,
 * chdir/getcwd, umask, and the errno of each classic misuse. Every line names the call and its result.
 */
#define _GNU_SOURCE
#include "common.h"
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#define HOLE_AT (2L * 1024 * 1024)

/* Prints "label: value" for a call returning >= 0, or "label: -1 ERRNO". */
static long show(const char *label, long ret) {
  if (ret < 0) printf("%s: -1 %s\n", label, errno_name(errno));
  else printf("%s: %ld\n", label, ret);
  return ret;
}

static long size_of(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) die("fstat: %s", errno_name(errno));
  return (long)st.st_size;
}

static void write_fill(int fd, char c, size_t n) {
  char buf[4096];
  memset(buf, c, sizeof buf);
  while (n > 0) {
    size_t k = n < sizeof buf ? n : sizeof buf;
    if (write(fd, buf, k) != (ssize_t)k) die("write: %s", errno_name(errno));
    n -= k;
  }
}

/* Counts bytes in [off, off+len) that are not `c` (pread, so the file offset is untouched). */
static long count_not(int fd, off_t off, size_t len, char c) {
  char buf[4096];
  long bad = 0;
  while (len > 0) {
    size_t k = len < sizeof buf ? len : sizeof buf;
    ssize_t got = pread(fd, buf, k, off);
    if (got != (ssize_t)k) die("pread: %zd %s", got, errno_name(errno));
    for (size_t i = 0; i < k; i++) bad += buf[i] != c;
    off += (off_t)k;
    len -= k;
  }
  return bad;
}

static void check_basic_io(void) {
  int fd = (int)show("open a.txt O_CREAT|O_EXCL|O_RDWR (lowest free fd)", open("a.txt", O_CREAT | O_EXCL | O_RDWR, 0644));
  if (fd < 0) die("cannot create a.txt");
  show("open a.txt O_CREAT|O_EXCL again", open("a.txt", O_CREAT | O_EXCL | O_RDWR, 0644));
  show("write 'hello file\\n'", write(fd, "hello file\n", 11));
  show("fstat size", size_of(fd));
  show("lseek SEEK_CUR 0", lseek(fd, 0, SEEK_CUR));
  show("lseek SEEK_SET 0", lseek(fd, 0, SEEK_SET));
  char buf[64] = { 0 };
  show("read 5", read(fd, buf, 5));
  printf("read data: '%s'\n", buf);
  show("pwrite 'FILE' at 6", pwrite(fd, "FILE", 4, 6));
  show("lseek SEEK_CUR after pwrite", lseek(fd, 0, SEEK_CUR));
  memset(buf, 0, sizeof buf);
  show("pread 64 at 0", pread(fd, buf, sizeof buf, 0));
  printf("pread data: '%.*s'\n", 10, buf);
  show("lseek SEEK_END -1", lseek(fd, -1, SEEK_END));
  show("lseek SEEK_SET -1", lseek(fd, -1, SEEK_SET));
  show("read at EOF", (lseek(fd, 0, SEEK_END), read(fd, buf, sizeof buf)));

  int dupfd = dup(fd);
  lseek(fd, 3, SEEK_SET);
  show("dup shares offset: lseek SEEK_CUR on dup", lseek(dupfd, 0, SEEK_CUR));
  show("fcntl F_GETFD on dup", fcntl(dupfd, F_GETFD));
  fcntl(dupfd, F_SETFD, FD_CLOEXEC);
  show("fcntl F_GETFD after FD_CLOEXEC", fcntl(dupfd, F_GETFD));
  show("fcntl F_GETFD on original", fcntl(fd, F_GETFD));
  show("fcntl F_DUPFD_CLOEXEC >= 20", fcntl(fd, F_DUPFD_CLOEXEC, 20) >= 20);
  close(20);
  close(dupfd);
  close(fd);

  fd = open("a.txt", O_WRONLY | O_APPEND);
  show("fcntl F_GETFL has O_APPEND", (fcntl(fd, F_GETFL) & O_APPEND) != 0);
  show("fcntl F_GETFL access mode is O_WRONLY", (fcntl(fd, F_GETFL) & O_ACCMODE) == O_WRONLY);
  lseek(fd, 0, SEEK_SET);
  show("O_APPEND write 'tail\\n' after lseek 0", write(fd, "tail\n", 5));
  show("offset after append", lseek(fd, 0, SEEK_CUR));
  show("size after append", size_of(fd));
  show("read on O_WRONLY fd", read(fd, buf, 1));
  close(fd);
  fd = open("a.txt", O_RDONLY);
  memset(buf, 0, sizeof buf);
  show("read whole a.txt", read(fd, buf, sizeof buf - 1));
  printf("a.txt: '%.*s' + '%.*s'\n", 10, buf, 4, buf + 11);
  show("write on O_RDONLY fd", write(fd, "x", 1));
  close(fd);
  show("read on closed fd", read(fd, buf, 1));
}

static void check_holes(void) {
  int fd = open("sparse", O_CREAT | O_RDWR | O_TRUNC, 0600);
  if (fd < 0) die("open sparse: %s", errno_name(errno));
  write_fill(fd, 'A', 4096);
  show("lseek to 2 MiB", lseek(fd, HOLE_AT, SEEK_SET));
  write_fill(fd, 'B', 4096);
  show("sparse size", size_of(fd));
  show("SEEK_DATA from 0", lseek(fd, 0, SEEK_DATA));
  show("SEEK_HOLE from 0", lseek(fd, 0, SEEK_HOLE));
  show("SEEK_DATA from 4096", lseek(fd, 4096, SEEK_DATA));
  show("SEEK_DATA from 100000", lseek(fd, 100000, SEEK_DATA));
  show("SEEK_HOLE from 2 MiB", lseek(fd, HOLE_AT, SEEK_HOLE));
  show("SEEK_HOLE from 2 MiB + 100", lseek(fd, HOLE_AT + 100, SEEK_HOLE));
  show("SEEK_DATA at EOF", lseek(fd, HOLE_AT + 4096, SEEK_DATA));
  show("SEEK_HOLE at EOF", lseek(fd, HOLE_AT + 4096, SEEK_HOLE));
  show("SEEK_DATA past EOF", lseek(fd, HOLE_AT + 9999, SEEK_DATA));
  show("non-zero bytes in the hole", count_not(fd, 4096, HOLE_AT - 4096, 0));
  show("non-'A' bytes in the first page", count_not(fd, 0, 4096, 'A'));
  show("non-'B' bytes in the last page", count_not(fd, HOLE_AT, 4096, 'B'));
  show("offset unchanged by pread", lseek(fd, 0, SEEK_CUR));

  show("ftruncate to 3 MiB", ftruncate(fd, 3L * 1024 * 1024));
  show("size after growing", size_of(fd));
  show("SEEK_HOLE from 2 MiB after growing", lseek(fd, HOLE_AT, SEEK_HOLE));
  show("SEEK_DATA from 2 MiB + 4096 after growing", lseek(fd, HOLE_AT + 4096, SEEK_DATA));
  show("non-zero bytes in the grown tail", count_not(fd, HOLE_AT + 4096, 1024 * 1024 - 4096, 0));
  show("ftruncate to 100", ftruncate(fd, 100));
  show("size after shrinking", size_of(fd));
  show("SEEK_HOLE from 0 after shrinking", lseek(fd, 0, SEEK_HOLE));
  show("offset still past EOF", lseek(fd, 0, SEEK_CUR));
  char buf[256];
  show("read past EOF", read(fd, buf, sizeof buf));
  show("pread 256 at 0 after shrinking", pread(fd, buf, sizeof buf, 0));
  show("ftruncate to 200 then bytes 100..199 are zero", (ftruncate(fd, 200), count_not(fd, 100, 100, 0)));
  show("write 'Z' at 10000", (lseek(fd, 10000, SEEK_SET), write(fd, "Z", 1)));
  show("size after writing past EOF", size_of(fd));
  show("non-zero bytes in 200..9999", count_not(fd, 200, 9800, 0));
  show("ftruncate -1", ftruncate(fd, -1));
  close(fd);
}

static void check_names(void) {
  show("rename a.txt b.txt", rename("a.txt", "b.txt"));
  show("open a.txt after rename", open("a.txt", O_RDONLY));
  struct stat st;
  show("stat b.txt size", stat("b.txt", &st) == 0 ? (long)st.st_size : -1);
  show("stat b.txt is regular", S_ISREG(st.st_mode));
  int fd = open("b.txt", O_RDONLY);
  show("unlink b.txt while open", unlink("b.txt"));
  show("fstat nlink after unlink", fstat(fd, &st) == 0 ? (long)st.st_nlink : -1);
  char buf[8] = { 0 };
  show("read 5 from unlinked file", read(fd, buf, 5));
  printf("unlinked data: '%s'\n", buf);
  close(fd);
  show("stat b.txt after unlink", stat("b.txt", &st));

  show("umask 022", (umask(022), 0));
  fd = open("modes", O_CREAT | O_WRONLY, 0777);
  if (fstat(fd, &st) != 0) die("fstat modes: %s", errno_name(errno));
  printf("mode of a file created 0777 under umask 022: %03o\n", (unsigned)(st.st_mode & 07777));
  close(fd);
  unlink("modes");

  show("mkdir sub", mkdir("sub", 0755));
  show("mkdir sub again", mkdir("sub", 0755));
  show("stat sub is dir", stat("sub", &st) == 0 && S_ISDIR(st.st_mode));
  static const char *names[] = { "zeta", "alpha", "mid", "Beta", "0num" };
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    char path[64];
    snprintf(path, sizeof path, "sub/%s", names[i]);
    int f = open(path, O_CREAT | O_WRONLY, 0644);
    if (f < 0 || write(f, names[i], strlen(names[i])) < 0) die("create %s: %s", path, errno_name(errno));
    close(f);
  }
  show("mkdir sub/inner", mkdir("sub/inner", 0700));
  show("open sub/alpha/x", open("sub/alpha/x", O_RDONLY));
  show("open sub O_RDONLY|O_DIRECTORY", (fd = open("sub", O_RDONLY | O_DIRECTORY)) >= 0);
  show("read on a directory", read(fd, buf, 1));
  show("write on a directory fd", write(fd, "x", 1));
  close(fd);
  show("open sub/alpha O_DIRECTORY", open("sub/alpha", O_RDONLY | O_DIRECTORY));
  show("open sub O_WRONLY", open("sub", O_WRONLY));

  struct dirent *e;
  DIR *d = opendir("sub");
  if (d == NULL) die("opendir: %s", errno_name(errno));
  char entries[16][sizeof e->d_name + 3];
  int n = 0;
  while ((e = readdir(d)) != NULL && n < 16) {
    char kind = e->d_type == DT_DIR ? 'd' : e->d_type == DT_REG ? 'f' : '?';
    snprintf(entries[n++], sizeof entries[0], "%s %c", e->d_name, kind);
  }
  closedir(d);
  qsort(entries, (size_t)n, sizeof entries[0], (int (*)(const void *, const void *))strcmp);
  printf("readdir sub: %d entries\n", n);
  for (int i = 0; i < n; i++) printf("  %s\n", entries[i]);

  show("rmdir sub (not empty)", rmdir("sub"));
  show("unlink sub (a directory)", unlink("sub"));
  show("rmdir sub/alpha (a file)", rmdir("sub/alpha"));
  show("rename sub/mid sub/inner/mid", rename("sub/mid", "sub/inner/mid"));
  show("stat sub/inner/mid size", stat("sub/inner/mid", &st) == 0 ? (long)st.st_size : -1);
  show("rename a file over a directory", rename("sub/zeta", "sub/inner"));

  char cwd[4096], there[4096];
  if (getcwd(cwd, sizeof cwd) == NULL) die("getcwd: %s", errno_name(errno));
  show("chdir sub/inner", chdir("sub/inner"));
  if (getcwd(there, sizeof there) == NULL) die("getcwd: %s", errno_name(errno));
  size_t cl = strlen(cwd);
  printf("getcwd is the old cwd + /sub/inner: %s\n",
         strncmp(there, cwd, cl) == 0 && strcmp(there + cl, "/sub/inner") == 0 ? "yes" : "no");
  show("open mid relative to the new cwd", (fd = open("mid", O_RDONLY)) >= 0);
  close(fd);
  show("chdir ../..", chdir("../.."));
  show("chdir into a file", chdir("sub/alpha"));
}

/* Removes sub/ and its contents, so the scratch directory can go. */
static void remove_tree(void) {
  static const char *files[] = { "sub/zeta", "sub/alpha", "sub/Beta", "sub/0num", "sub/inner/mid", "sparse" };
  int failures = 0;
  for (size_t i = 0; i < sizeof files / sizeof *files; i++) failures += unlink(files[i]) != 0;
  failures += rmdir("sub/inner") != 0;
  failures += rmdir("sub") != 0;
  show("cleanup failures", failures);
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "fileio.d";
  char parent[4096];
  dirname_of(dir, parent, sizeof parent);
  if (mkdir_p(parent) != 0) die("mkdir -p %s: %s", parent, errno_name(errno));
  if (mkdir(dir, 0755) != 0) die("mkdir %s: %s (it must not exist)", dir, errno_name(errno));
  if (chdir(dir) != 0) die("chdir %s: %s", dir, errno_name(errno));
  setvbuf(stdout, NULL, _IOLBF, 0);
  check_basic_io();
  check_holes();
  check_names();
  remove_tree();
  if (chdir("..") != 0) die("chdir ..: %s", errno_name(errno));
  const char *base = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
  show("rmdir the scratch directory", rmdir(base));
  struct stat st;
  show("stat it afterwards", stat(base, &st));
  return 0;
}
