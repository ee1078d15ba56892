// A HostIo held in memory: the container's stdout/stderr collected, stdin given up front. For embedding and tests.
import { HostFdInfo, HostInputSink, HostIo } from './host-io';
import { O_RDONLY, O_WRONLY } from './constants';

const S_IFIFO = 0o010000;

export class MemoryHostIo implements HostIo {
  private readonly out: Uint8Array[][] = [[], [], []];

  /** `input`: what host stdin delivers before EOF. */
  constructor(private readonly input: Uint8Array = new Uint8Array(0)) {}

  describe(fd: number): HostFdInfo | null {
    if (fd < 0 || fd > 2) return null;
    return { mode: S_IFIFO | 0o600, rdev: 0, size: 0, blksize: 4096, flags: fd === 0 ? O_RDONLY : O_WRONLY, isTty: false };
  }

  write(fd: number, data: Uint8Array): number {
    this.out[fd]?.push(Uint8Array.from(data));
    return 0;
  }

  startInput(sink: HostInputSink): void {
    if (this.input.length > 0) sink.push(this.input);
    sink.end();
  }

  resumeInput(): void {}
  stopInput(): void {}

  /** Everything written to host fd `fd` (1 or 2) so far. */
  text(fd: 1 | 2): string {
    return Buffer.concat(this.out[fd]).toString('utf8');
  }
}
