// Restart from a file read by readSummedFd: shared memory pages, the CRC joined from a worker thread, corruption still refused.
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CollectSink } from '../../lib/crfs/image/codec';
import { ImageError } from '../../lib/crfs/image/errors';
import { readSummedFile } from '../../lib/crfs/image/read-file';
import { writeCheckpoint } from '../../lib/emukernel/checkpoint/checkpoint';
import { restoreKernel } from '../../lib/emukernel/checkpoint/restart';
import { sysRestart } from '../../lib/emukernel/checkpoint/sys';
import { MemoryHostIo } from '../../lib/emukernel/fs/memory-host-io';
import { Kernel } from '../../lib/emukernel/kernel';
import type { Mm } from '../../lib/emukernel/mm/mm';
import { EXAMPLES_DIR } from '../examples/harness';

interface Outcome { stdout: string; status: number; instructions: number }

/** bigmem (64 MiB resident) cut at 40% of its run, with the output so far and the uninterrupted run. */
async function bigmemImage(): Promise<{ image: Buffer; before: string; whole: Outcome }> {
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

function inFile<T>(data: Uint8Array, f: (file: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crfs-summed-restart-'));
  try {
    const file = path.join(dir, 'bigmem.img');
    fs.writeFileSync(file, data);
    return f(file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('bigmem restarted from a file read with the checksumming worker runs on to the same end, on the shared bytes', async (t) => {
  const { image, before, whole } = await bigmemImage();
  const io = new MemoryHostIo();
  const { k, bytes } = inFile(image, (file) => {
    const s = readSummedFile(file, { workerMinBytes: 0 });
    return { k: restoreKernel(s.bytes, { hostIo: io }, { adoptImage: true, crcOf: s.crcOf }), bytes: s.bytes };
  });
  t.true(bytes.buffer instanceof SharedArrayBuffer);
  const mm = k.init?.leader?.mm as Mm;
  const onImage = mm.vmas.all().reduce((n, v) => n + [...mm.presentPages(v)].filter(([, p]) => p.bytes.buffer === bytes.buffer).length, 0);
  t.true(onImage > 4096, 'the restored pages are the bytes read (bigmem has 16,384 pages)');
  const r = await k.runToCompletion();
  t.is(before + io.text(1), whole.stdout);
  t.is(r.status, whole.status);
  t.is(r.instructions, whole.instructions);
});

test('a page byte changed in the file is refused by sysRestart: the tail checksum, joined from the worker, does not match', async (t) => {
  const { image } = await bigmemImage();
  const bad = Buffer.from(image);
  // Inside the page data, far from the records, so only the checksum can tell.
  bad[Math.floor(bad.length * 0.6)] ^= 0x01;
  const e = inFile(bad, (file) => {
    const fd = fs.openSync(file, 'r');
    try {
      return t.throws(() => sysRestart(fd, { hostIo: new MemoryHostIo() }), { instanceOf: ImageError });
    } finally {
      fs.closeSync(fd);
    }
  });
  t.regex(e?.message ?? '', /tail.*bad checksum/);
});
