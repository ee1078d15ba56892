// Helpers for the fs checkpoint tests: write a partial image through CheckpointContext, read it back into a new kernel.
import { CollectSink, ImageWriter, readImageItems } from '../../lib/crfs/image/codec';
import type { ImageItem } from '../../lib/crfs/image/schema';
import { ImageValidator } from '../../lib/crfs/image/validate';
import { CheckpointContext, RestoreContext } from '../../lib/emukernel/checkpoint/context';
import { fsRestorers } from '../../lib/emukernel/fs/checkpoint';
import type { HostFdInfo, HostInputSink, HostIo } from '../../lib/emukernel/fs/host-io';
import { hostStdioOf } from '../../lib/emukernel/fs/host-stdio';
import { S_IFIFO } from '../../lib/emukernel/fs/constants';
import { Kernel } from '../../lib/emukernel/kernel';
import { writePrologue } from '../image/sample-image';

/** An image of the prologue, whatever `body` writes, and the tail: decoded, with the table/mm scope checks run. */
export function writeImage(k: Kernel, body: (ctx: CheckpointContext) => void): { items: ImageItem[]; bytes: Buffer } {
  const sink = new CollectSink();
  const w = new ImageWriter(sink);
  writePrologue(w);
  body(new CheckpointContext(k, w));
  w.finish();
  const bytes = sink.bytes();
  const items = readImageItems(bytes, { validate: false });
  // The whole-image checks (a task tree) do not apply to a partial image; the per-record ones do.
  const v = new ImageValidator();
  for (const it of items) v.check(it);
  return { items, bytes };
}

/** A restore cursor over `items` into `k2`, just past the prologue. */
export function restorer(k2: Kernel, items: readonly ImageItem[]): RestoreContext {
  const r = new RestoreContext(k2, items, fsRestorers);
  while (r.next().name !== 'sched');
  return r;
}

/** The records of `name` in `items`. */
export function recordsNamed(items: readonly ImageItem[], name: string): ImageItem[] {
  return items.filter((i) => i.kind === 'record' && i.name === name);
}

export const pipeInfo = (flags: number): HostFdInfo => ({ mode: S_IFIFO | 0o600, rdev: 0, size: 0, blksize: 4096, flags, isTty: false });

/** A scripted host: records writes per fd, hands input over when the test says so. */
export class FakeHostIo implements HostIo {
  readonly written: [number, string][] = [];
  sink: HostInputSink | null = null;

  constructor(private readonly infos: (HostFdInfo | null)[]) {}

  describe(fd: number): HostFdInfo | null {
    return this.infos[fd] ?? null;
  }

  write(fd: number, data: Uint8Array): number {
    this.written.push([fd, Buffer.from(data).toString()]);
    return 0;
  }

  startInput(sink: HostInputSink): void {
    this.sink = sink;
  }

  resumeInput(): void {}
  stopInput(): void {}
}

/** A fresh kernel to restore into, its host stdio bound to `io` when given (as a restart would do first). */
export function freshKernel(io?: HostIo): Kernel {
  const k = new Kernel();
  if (io) hostStdioOf(k, io);
  return k;
}
