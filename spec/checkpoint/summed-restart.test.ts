// Restart from a file read by readSummedFd: shared memory pages, the CRC joined from a worker thread, corruption still refused.
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ImageError } from '../../lib/crfs/image/errors';
import { readSummedFile } from '../../lib/crfs/image/read-file';
import { restoreKernel } from '../../lib/emukernel/checkpoint/restart';
import { sysRestart } from '../../lib/emukernel/checkpoint/sys';
import { MemoryHostIo } from '../../lib/emukernel/fs/memory-host-io';
import type { Mm } from '../../lib/emukernel/mm/mm';
import { bigmemImage } from './bigmem-image';


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
