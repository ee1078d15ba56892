// The part of fuse-native 2.2.6's untyped API that crfs's FUSE adapter uses (read from its index.js).
declare module 'fuse-native' {
  /** First argument: 0 or a negative errno; read/write pass the byte count in its place. */
  type FuseCallback = (code: number, ...rest: unknown[]) => void;

  interface FuseOptions {
    mkdir?: boolean;
    force?: boolean;
    debug?: boolean;
    allowOther?: boolean;
    defaultPermissions?: boolean;
    autoUnmount?: boolean;
    kernelCache?: boolean;
    maxRead?: number;
    fsname?: string;
    subtype?: string;
    /** ms per operation before fuse-native answers ETIMEDOUT; false for none. */
    timeout?: number | false;
  }

  type FuseOps = Record<string, (...args: never[]) => void>;

  class Fuse {
    constructor(mnt: string, ops: FuseOps, opts?: FuseOptions);
    mount(cb: (err: Error | null) => void): void;
    unmount(cb: (err: Error | null) => void): void;
    static unmount(mnt: string, cb: (err: Error | null) => void): void;
  }

  export = Fuse;
}
