// Linux ABI constants of the file layer (asm-generic fcntl.h, stat.h, fs.h values, as riscv64 uses them).

/* open(2) flags (asm-generic/fcntl.h, octal). */
export const O_ACCMODE = 0o3, O_RDONLY = 0o0, O_WRONLY = 0o1, O_RDWR = 0o2;
export const O_CREAT = 0o100, O_EXCL = 0o200, O_NOCTTY = 0o400, O_TRUNC = 0o1000, O_APPEND = 0o2000;
export const O_NONBLOCK = 0o4000, O_DSYNC = 0o10000, FASYNC = 0o20000, O_DIRECT = 0o40000;
export const O_LARGEFILE = 0o100000, O_DIRECTORY = 0o200000, O_NOFOLLOW = 0o400000, O_NOATIME = 0o1000000;
export const O_CLOEXEC = 0o2000000, O_SYNC = 0o4010000, O_PATH = 0o10000000, O_TMPFILE = 0o20200000;

/** Flags do_dentry_open clears after open: they describe the open call, not the open file. */
export const OPEN_ONLY_FLAGS = O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC;
/** Flags F_SETFL may change (fs/fcntl.c SETFL_MASK). */
export const SETFL_MASK = O_APPEND | O_NONBLOCK | FASYNC | O_DIRECT | O_NOATIME;

/** struct file's f_mode bits (include/linux/fs.h). */
export const FMODE_READ = 0x1, FMODE_WRITE = 0x2;

/* Mode bits (stat.h). */
export const S_IFMT = 0o170000, S_IFSOCK = 0o140000, S_IFLNK = 0o120000, S_IFREG = 0o100000;
export const S_IFBLK = 0o60000, S_IFDIR = 0o40000, S_IFCHR = 0o20000, S_IFIFO = 0o10000;
export const S_ISUID = 0o4000, S_ISGID = 0o2000, S_ISVTX = 0o1000;
/** Permission and special bits: what chmod and the create mode may set. */
export const S_IALLUGO = 0o7777;

/* linux_dirent64 d_type values. */
export const DT_UNKNOWN = 0, DT_FIFO = 1, DT_CHR = 2, DT_DIR = 4, DT_BLK = 6, DT_REG = 8, DT_LNK = 10, DT_SOCK = 12;

/* *at() conventions. */
export const AT_FDCWD = -100;
export const AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_EACCESS = 0x200, AT_SYMLINK_FOLLOW = 0x400;
export const AT_NO_AUTOMOUNT = 0x800, AT_EMPTY_PATH = 0x1000, AT_STATX_SYNC_TYPE = 0x6000;

/* renameat2 flags. */
export const RENAME_NOREPLACE = 1, RENAME_EXCHANGE = 2, RENAME_WHITEOUT = 4;

/* access(2) modes. */
export const F_OK = 0, X_OK = 1, W_OK = 2, R_OK = 4;

/* lseek whence. */
export const SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2, SEEK_DATA = 3, SEEK_HOLE = 4;

/* fcntl commands. */
export const F_DUPFD = 0, F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4;
export const F_GETLK = 5, F_SETLK = 6, F_SETLKW = 7, F_SETOWN = 8, F_GETOWN = 9;
export const F_DUPFD_CLOEXEC = 1030, F_SETPIPE_SZ = 1031, F_GETPIPE_SZ = 1032;
export const FD_CLOEXEC = 1;

/* ioctl requests (asm-generic/ioctls.h). */
export const TCGETS = 0x5401, TCSETS = 0x5402, TCSETSW = 0x5403, TCSETSF = 0x5404;
export const TIOCGPGRP = 0x540f, TIOCSPGRP = 0x5410, TIOCGWINSZ = 0x5413, TIOCSWINSZ = 0x5414;
export const FIONREAD = 0x541b, FIONBIO = 0x5421, FIONCLEX = 0x5450, FIOCLEX = 0x5451, FIOASYNC = 0x5452;

/* poll events. */
export const POLLIN = 0x1, POLLPRI = 0x2, POLLOUT = 0x4, POLLERR = 0x8, POLLHUP = 0x10, POLLNVAL = 0x20;
export const POLLRDNORM = 0x40, POLLWRNORM = 0x100;

/* Limits. */
export const PATH_MAX = 4096, NAME_MAX = 255, PIPE_BUF = 4096, MAX_SYMLINKS = 40;
/** read/write never move more than this in one call (include/linux/fs.h MAX_RW_COUNT). */
export const MAX_RW_COUNT = 0x7ffff000;
/** UIO_MAXIOV: the most iovecs readv/writev accept. */
export const UIO_MAXIOV = 1024;
/**
 * Largest file size: lseek beyond it is EINVAL, writes and truncates beyond it EFBIG. Linux allows
 * 2^63-1; a memfs node keeps its bytes in one Buffer whose capacity doubles, so 2 GiB is our bound.
 */
export const MAX_FILE_SIZE = 2 ** 31;
/** RLIMIT_NOFILE's resource number and default soft limit. */
export const RLIMIT_NOFILE = 7, NR_OPEN_DEFAULT = 1024;
/** Block size the memfs root reports and tracks holes in (tmpfs/ext4 on 4 KiB pages). */
export const BLOCK_SIZE = 4096;

/**
 * Syscall numbers asm-generic defines through __NR3264_* aliases (absent from syscall-numbers.ts,
 * whose generator only kept literal numbers).
 */
export const NR_FCNTL = 25, NR_STATFS = 43, NR_FSTATFS = 44, NR_TRUNCATE = 45, NR_FTRUNCATE = 46;
export const NR_LSEEK = 62, NR_SENDFILE = 71, NR_NEWFSTATAT = 79, NR_FSTAT = 80, NR_FADVISE64 = 223;

/** Device numbers reported by stat (new_encode_dev of (major, minor)). */
export function makeDev(major: number, minor: number): number {
  return ((major & 0xfff) << 8) | (minor & 0xff) | ((minor & ~0xff) << 12);
}
/** st_dev of the memfs root (an anonymous block device, as tmpfs gets). */
export const ROOT_DEV = makeDev(0, 0x20);
/** st_dev of pipes (pipefs's anonymous device). */
export const PIPEFS_DEV = makeDev(0, 0x0d);
/** The character devices the root provides under /dev. */
export const DEV_NULL = makeDev(1, 3), DEV_ZERO = makeDev(1, 5), DEV_FULL = makeDev(1, 7);
