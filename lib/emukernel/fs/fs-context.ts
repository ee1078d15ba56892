// cwd and umask of a task (Linux's fs_struct), shared by CLONE_FS.
import type { Link } from '@jsonjoy.com/fs-core';
import type { CwdRef, RootFs } from './rootfs';

export class FsContext {
  /**
   * The working directory: a dentry (so it follows renames and can outlive rmdir, as in Linux), or
   * an absolute path not yet resolved (the kernel creates init's context from a string).
   */
  cwd: CwdRef;

  constructor(cwd: CwdRef = '/', public umask: number = 0o022) {
    this.cwd = cwd;
  }

  /** The cwd's dentry, resolving (and remembering) a path given at construction. Throws KernelError. */
  cwdDir(fs: RootFs): Link {
    if (typeof this.cwd === 'string') this.cwd = fs.resolveCwd(this.cwd);
    return this.cwd;
  }

  /** A copy for fork without CLONE_FS. */
  clone(): FsContext {
    return new FsContext(this.cwd, this.umask);
  }
}
