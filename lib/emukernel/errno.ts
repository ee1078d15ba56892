// Linux errno values (asm-generic/errno-base.h, errno.h) and the one error class the kernel throws.

export const EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, ENXIO = 6, E2BIG = 7, ENOEXEC = 8,
  EBADF = 9, ECHILD = 10, EAGAIN = 11, ENOMEM = 12, EACCES = 13, EFAULT = 14, ENOTBLK = 15, EBUSY = 16,
  EEXIST = 17, EXDEV = 18, ENODEV = 19, ENOTDIR = 20, EISDIR = 21, EINVAL = 22, ENFILE = 23, EMFILE = 24,
  ENOTTY = 25, ETXTBSY = 26, EFBIG = 27, ENOSPC = 28, ESPIPE = 29, EROFS = 30, EMLINK = 31, EPIPE = 32,
  EDOM = 33, ERANGE = 34, EDEADLK = 35, ENAMETOOLONG = 36, ENOLCK = 37, ENOSYS = 38, ENOTEMPTY = 39,
  ELOOP = 40, ENOMSG = 42, ENODATA = 61, ETIME = 62, EOVERFLOW = 75, EBADFD = 77, ENOTSOCK = 88, ESTALE = 116,
  EOPNOTSUPP = 95, ETIMEDOUT = 110;

/** Kernel-internal only: the syscall is to be restarted (Linux's -ERESTARTSYS family collapsed into one). */
export const ERESTARTSYS = 512;

const NAMES: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 3: 'ESRCH', 4: 'EINTR', 5: 'EIO', 6: 'ENXIO', 7: 'E2BIG', 8: 'ENOEXEC', 9: 'EBADF',
  10: 'ECHILD', 11: 'EAGAIN', 12: 'ENOMEM', 13: 'EACCES', 14: 'EFAULT', 16: 'EBUSY', 17: 'EEXIST', 18: 'EXDEV',
  19: 'ENODEV', 20: 'ENOTDIR', 21: 'EISDIR', 22: 'EINVAL', 23: 'ENFILE', 24: 'EMFILE', 25: 'ENOTTY',
  26: 'ETXTBSY', 27: 'EFBIG', 28: 'ENOSPC', 29: 'ESPIPE', 30: 'EROFS', 31: 'EMLINK', 32: 'EPIPE', 33: 'EDOM',
  34: 'ERANGE', 35: 'EDEADLK', 36: 'ENAMETOOLONG', 38: 'ENOSYS', 39: 'ENOTEMPTY', 40: 'ELOOP', 61: 'ENODATA',
  75: 'EOVERFLOW', 95: 'EOPNOTSUPP', 110: 'ETIMEDOUT', 116: 'ESTALE',
};

export function errnoName(e: number): string {
  return NAMES[e] ?? `errno ${e}`;
}

/**
 * An error that crosses a kernel boundary as an errno: carries the errno, the operation and the path
 * (memfs's createError shape). Syscall handlers may throw it; the dispatcher turns it into -errno.
 */
export class KernelError extends Error {
  constructor(readonly errno: number, readonly syscall: string, readonly path?: string) {
    super(`${errnoName(errno)}: ${syscall}${path !== undefined ? ` '${path}'` : ''}`);
  }
}

/** Result type for expected failures: a value or a positive errno. */
export type Result<T> = { ok: true; value: T } | { ok: false; errno: number };
export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T>(errno: number): Result<T> => ({ ok: false, errno });

/**
 * A program that cannot be started at all (missing, not an ELF, wrong machine, dynamically linked,
 * truncated). `status` is what a shell would exit with: 127 for a missing file, 126 otherwise.
 */
export class ExecError extends Error {
  constructor(message: string, readonly status: 126 | 127, readonly errno: number = ENOEXEC) {
    super(message);
  }
}
