// The stdio of a program booted in the background host: stdin is empty (EOF, like /dev/null), stdout and stderr append to files.
import * as fs from 'node:fs';
import { constants as osConstants } from 'node:os';
import { DEV_NULL, O_APPEND, O_RDONLY, O_WRONLY, S_IFCHR } from '../../emukernel/fs/constants';
import type { HostFdInfo, HostInputSink, HostIo } from '../../emukernel/fs/host-io';

const EIO = 5;
const HOST_ERRNO: Record<string, number> = osConstants.errno as Record<string, number>;

/** What fd 0 looks like to the program: /dev/null, opened read-only. */
const NULL_INFO: HostFdInfo = { mode: S_IFCHR | 0o666, rdev: DEV_NULL, size: 0, blksize: 4096, flags: O_RDONLY, isTty: false };

export class FileHostIo implements HostIo {
  private readonly fds: [number, number];
  private closed = false;

  /** Opens (creating, mode 0600) `stdout` and `stderr`, emptied first so a reused pid starts clean. Throws on failure. */
  constructor(readonly stdout: string, readonly stderr: string) {
    // O_APPEND: every write lands at the end, whoever else appends to the file.
    const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_APPEND;
    const out = fs.openSync(stdout, flags, 0o600);
    try {
      this.fds = [out, fs.openSync(stderr, flags, 0o600)];
    } catch (e) {
      fs.closeSync(out);
      throw e;
    }
  }

  describe(fd: number): HostFdInfo | null {
    if (fd === 0) return NULL_INFO;
    const hostFd = this.hostFd(fd);
    if (hostFd === null) return null;
    try {
      const st = fs.fstatSync(hostFd);
      return { mode: st.mode, rdev: 0, size: st.size, blksize: st.blksize, flags: O_WRONLY | O_APPEND, isTty: false };
    } catch {
      return null;
    }
  }

  write(fd: number, data: Uint8Array): number {
    const hostFd = this.hostFd(fd);
    if (hostFd === null) return HOST_ERRNO.EBADF ?? 9;
    let off = 0;
    while (off < data.length) {
      try {
        off += fs.writeSync(hostFd, data, off, data.length - off);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? '';
        if (code === 'EINTR') continue;
        return HOST_ERRNO[code] ?? EIO;
      }
    }
    return 0;
  }

  startInput(sink: HostInputSink): void {
    sink.end();
  }

  resumeInput(): void {}

  stopInput(): void {}

  /** Closes both files (the container is gone); later writes fail with EBADF. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const fd of this.fds) fs.closeSync(fd);
  }

  private hostFd(fd: number): number | null {
    if (this.closed || (fd !== 1 && fd !== 2)) return null;
    return this.fds[fd - 1];
  }
}
