// execve(2) and execveat(2): copy the path, argv and envp out of user memory and hand them to execProgram.
import { E2BIG, EBADF, EFAULT, EINVAL, ENAMETOOLONG, ENOENT, ExecError, KernelError } from '../errno';
import { AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW } from '../fs/constants';
import { startDir } from '../fs/syscall-args';
import type { Kernel } from '../kernel';
import type { Mm } from '../mm/mm';
import { argInt, argU64, JUMPED, SyscallOutcome, SyscallTable } from '../syscall';
import { NR } from '../syscall-numbers';
import type { Task } from '../task';
import { ExecOptions, execProgram } from './exec';
import { ARG_LIMIT, MAX_ARG_STRLEN } from './stack';

const PATH_MAX = 4096;

/**
 * The strings of a NULL-terminated user array of string pointers (a NULL array is empty), or
 * -EFAULT (a pointer or a string not readable) / -E2BIG (a string over MAX_ARG_STRLEN, or more
 * than ARG_LIMIT bytes in all, counted as Linux does: strings plus their pointers).
 */
export function readStringArray(mm: Mm, arr: number, budget: { left: number }): Uint8Array[] | number {
  const out: Uint8Array[] = [];
  if (arr === 0) return out;
  for (let i = 0; ; i++) {
    const p = mm.readU64Num(arr + 8 * i);
    if (p === null) return -EFAULT;
    if (p === 0) return out;
    const n = mm.strnlen(p, MAX_ARG_STRLEN);
    if (n < 0) return -EFAULT;
    if (n >= MAX_ARG_STRLEN) return -E2BIG;
    budget.left -= n + 1 + 8;
    if (budget.left < 0) return -E2BIG;
    out.push(mm.read(p, n) as Uint8Array);
  }
}

/**
 * execve / execveat: JUMPED into the new program, or -errno with the caller untouched (EFAULT,
 * ENAMETOOLONG, E2BIG, ENOENT, EACCES, ENOEXEC, EBADF/ENOTDIR for a bad dirfd, EINVAL for bad flags).
 */
function doExecve(k: Kernel, t: Task, dirfd: number, pathAddr: number, argvAddr: number, envpAddr: number, flags: number): SyscallOutcome {
  if ((flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) !== 0) return -EINVAL;
  const mm = t.mm;
  const n = mm.strnlen(pathAddr, PATH_MAX);
  if (n < 0) return -EFAULT;
  if (n >= PATH_MAX) return -ENAMETOOLONG;
  if (n === 0 && (flags & AT_EMPTY_PATH) === 0) return -ENOENT;
  let path = Buffer.from(mm.read(pathAddr, n) as Uint8Array).toString('utf8');
  const budget = { left: ARG_LIMIT };
  const argv = readStringArray(mm, argvAddr, budget);
  if (typeof argv === 'number') return argv;
  const envp = readStringArray(mm, envpAddr, budget);
  if (typeof envp === 'number') return envp;
  try {
    const opts: ExecOptions = {};
    if (!path.startsWith('/') && dirfd !== AT_FDCWD) {
      // Linux names such a program /dev/fd/N[/path] (bprm->filename).
      opts.execfn = path === '' ? `/dev/fd/${dirfd}` : `/dev/fd/${dirfd}/${path}`;
      if (path === '') {
        const f = t.files.get(dirfd);
        if (f === null) return -EBADF;
        path = f.ops.describe(f);
      } else {
        opts.startDir = startDir(k, t, dirfd, path);
      }
    }
    execProgram(k, t, path, argv, envp, opts);
  } catch (e) {
    if (e instanceof ExecError || e instanceof KernelError) {
      k.log.debug({ pid: t.tid, path, err: e.message }, 'execve failed');
      return -e.errno;
    }
    throw e;
  }
  return JUMPED;
}

export const execSyscalls: SyscallTable = {
  [NR.execve]: (k, t) => doExecve(k, t, AT_FDCWD, argU64(t, 0), argU64(t, 1), argU64(t, 2), 0),
  [NR.execveat]: (k, t) => doExecve(k, t, argInt(t, 0), argU64(t, 1), argU64(t, 2), argU64(t, 3), argInt(t, 4)),
};
