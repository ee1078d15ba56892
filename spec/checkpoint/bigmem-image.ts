// bigmem checkpointed at 40% of its run (inside its write and checksum loops), for the restart tests.
import * as path from 'node:path';
import { CollectSink } from '../../lib/crfs/image/codec';
import { writeCheckpoint } from '../../lib/emukernel/checkpoint/checkpoint';
import { MemoryHostIo } from '../../lib/emukernel/fs/memory-host-io';
import { Kernel } from '../../lib/emukernel/kernel';
import { EXAMPLES_DIR } from '../examples/harness';

export interface Outcome { stdout: string; status: number; instructions: number }

/** The image, the output so far, and the uninterrupted run. */
export async function bigmemImage(): Promise<{ image: Buffer; before: string; whole: Outcome }> {
  const host = path.join(EXAMPLES_DIR, 'bigmem');
  const boot = (): { k: Kernel; io: MemoryHostIo } => {
    const io = new MemoryHostIo();
    const k = new Kernel({ hostIo: io });
    k.importHostFile(host, host);
    k.spawnInit({ path: host, argv: [host], envp: ['PATH=/bin'], cwd: '/tmp' });
    return { k, io };
  };
  const plain = boot();
  const r = await plain.k.runToCompletion();
  const whole = { stdout: plain.io.text(1), status: r.status, instructions: r.instructions };
  const cut = boot();
  let image: Buffer = Buffer.alloc(0), before = '';
  cut.k.scheduler.instructionTarget = Math.floor(r.instructions * 0.4);
  cut.k.scheduler.onInstructionTarget = () => {
    cut.k.scheduler.freeze();
    const sink = new CollectSink();
    writeCheckpoint(cut.k, sink, { id: 1 });
    image = sink.bytes();
    before = cut.io.text(1);
  };
  await cut.k.scheduler.runWhile(() => image.length === 0);
  return { image, before, whole };
}
