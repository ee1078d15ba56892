// Restore that adopts the image's page bytes as pool memory: no copy, yet every page writable and private to its mm.
import test from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { restoreKernel } from '../../lib/emukernel/checkpoint/restart';
import { sysRestart } from '../../lib/emukernel/checkpoint/sys';
import { MemoryHostIo } from '../../lib/emukernel/fs/memory-host-io';
import { Kernel } from '../../lib/emukernel/kernel';
import { adoptImagePages, restoreMm } from '../../lib/emukernel/mm/checkpoint-restore';
import { Mm } from '../../lib/emukernel/mm/mm';
import { MAP_ANONYMOUS, MAP_PRIVATE, mapRegion } from '../../lib/emukernel/mm/ops';
import { PagePool } from '../../lib/emukernel/mm/page';
import { PROT_READ, PROT_WRITE } from '../../lib/emukernel/mm/vma';
import { P, loadMms, saveMms } from './mm-image';
import { Outcome, bigmemImage } from './bigmem-image';

const RW = PROT_READ | PROT_WRITE;

test('PagePool.adopt: pages are the given bytes (no copy), refs 1, plain Uint8Array views, recycled zeroed', (t) => {
  const pool = new PagePool();
  const backing = Buffer.alloc(3 * P + 8);
  backing.fill(0x11, 8, 8 + P);
  backing.fill(0x22, 8 + P, 8 + 2 * P);
  const views = [backing.subarray(8, 8 + P), backing.subarray(8 + P, 8 + 2 * P)];
  const pages = pool.adopt(views);
  t.is(pages.length, 2);
  t.deepEqual(pages.map((p) => p.refs), [1, 1]);
  t.is(Object.getPrototypeOf(pages[0].bytes), Uint8Array.prototype, 'not a Buffer, whose slice() would share memory');
  t.is(pages[1].bytes[0], 0x22);
  pages[0].view.setUint32(4, 0xa1b2c3d4, true);
  t.is(backing.readUInt32LE(12), 0xa1b2c3d4, 'a write to the page is a write to the adopted bytes');
  t.deepEqual({ live: pool.stats.live, carved: pool.stats.carved, copies: pool.stats.copies }, { live: 2, carved: 2, copies: 0 });
  pool.put(pages[0]);
  t.is(pool.stats.live, 1);
  const again = pool.alloc();
  t.is(again.bytes.buffer, backing.buffer, 'a freed adopted page is reused like a slab page');
  t.true(again.bytes.every((b) => b === 0), 'and zeroed');
  t.throws(() => pool.adopt([backing.subarray(0, P - 8)]), { instanceOf: RangeError });
});

test('restoreMm after adoptImagePages: the same memory, in the image buffer, private to each mm and still copy-on-write', (t) => {
  const a = new Mm(new PagePool()), b = new Mm(new PagePool());
  const at = mapRegion(a, { addr: 0, len: 8 * P, prot: RW, flags: MAP_PRIVATE | MAP_ANONYMOUS, file: null, offset: 0 });
  const bt = mapRegion(b, { addr: at, len: 8 * P, prot: RW, flags: MAP_PRIVATE | MAP_ANONYMOUS, file: null, offset: 0 });
  for (let i = 0; i < 8; i++) {
    a.writeU32(at + i * P, 0xa0000000 + i);
    b.writeU32(bt + i * P, 0xb0000000 + i);
  }
  const saved = saveMms([a, b]);
  const pristine = Buffer.from(saved.image);
  const pool = new PagePool();
  const { mms } = loadMms(saved, { mm: (r) => { adoptImagePages(r); return restoreMm(r, pool); } });
  const [ra, rb] = mms;
  t.is(pool.stats.copies, 0);
  for (let i = 0; i < 8; i++) {
    t.is(ra.readU32(at + i * P), 0xa0000000 + i);
    t.is(rb.readU32(bt + i * P), 0xb0000000 + i);
  }
  const page = ra.presentPage(at / P);
  t.is(page?.bytes.buffer, saved.image.buffer, 'the page is a view of the image, not a copy');
  ra.writeU32(at, 0x12345678);
  t.is(rb.readU32(bt), 0xb0000000, 'the other mm does not see it');
  t.false(saved.image.equals(pristine), 'the write landed in the given-away image');
  const child = ra.fork();
  child.writeU32(at + P, 0xcccccccc);
  t.is(ra.readU32(at + P), 0xa0000001, 'a forked child still copies an adopted page before writing it');
  t.is(child.readU32(at + P), 0xcccccccc);
});

test('restoreMm without adoption copies: writes to the restored memory leave the image as it was', (t) => {
  const a = new Mm(new PagePool());
  const at = mapRegion(a, { addr: 0, len: 4 * P, prot: RW, flags: MAP_PRIVATE | MAP_ANONYMOUS, file: null, offset: 0 });
  a.writeU32(at, 0xa0a0a0a0);
  const saved = saveMms([a]);
  const pristine = Buffer.from(saved.image);
  const { mms } = loadMms(saved, { mm: (r) => restoreMm(r, new PagePool()) });
  mms[0].writeU32(at, 0x0b0b0b0b);
  t.not(mms[0].presentPage(at / P)?.bytes.buffer, saved.image.buffer);
  t.true(saved.image.equals(pristine));
});


async function runOn(k: Kernel, io: MemoryHostIo): Promise<Outcome> {
  const r = await k.runToCompletion();
  return { stdout: io.text(1), status: r.status, instructions: r.instructions };
}

test('bigmem restarted from an adopted image runs on as from a copied one; the copied one leaves its image unchanged', async (t) => {
  const { image, before, whole } = await bigmemImage();
  const given = Buffer.from(image);
  const io1 = new MemoryHostIo(), io2 = new MemoryHostIo();
  const copied = restoreKernel(image, { hostIo: io1 });
  const adopted = restoreKernel(given, { hostIo: io2 }, { adoptImage: true });
  const mmOf = (k: Kernel): Mm => (k.init?.leader?.mm as Mm);
  const aliased = (k: Kernel, buf: Buffer): number => mmOf(k).vmas.all()
    .reduce((n, v) => n + [...mmOf(k).presentPages(v)].filter(([, p]) => p.bytes.buffer === buf.buffer).length, 0);
  t.true(aliased(adopted, given) > 4096, 'the adopted kernel runs on the image bytes (bigmem has 16,384 pages)');
  t.is(aliased(copied, image), 0);
  const pristine = Buffer.from(image);
  const [o1, o2] = [await runOn(copied, io1), await runOn(adopted, io2)];
  t.deepEqual(o2, o1);
  t.is(before + o1.stdout, whole.stdout);
  t.is(o1.status, 0);
  t.is(o1.instructions, whole.instructions);
  t.true(image.equals(pristine), 'a restore that was not given the image never writes it');
});

/** sysRestart on a descriptor `open` gives for the image file, then the restarted run to its end. */
async function restartFromFd(open: (file: string) => number): Promise<{ o: Outcome; before: string; whole: Outcome }> {
  const { image, before, whole } = await bigmemImage();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crfs-adopt-'));
  try {
    const file = path.join(dir, 'bigmem.img');
    fs.writeFileSync(file, image);
    const fd = open(file);
    const io = new MemoryHostIo();
    let k: Kernel;
    try {
      k = sysRestart(fd, { hostIo: io });
    } finally {
      fs.closeSync(fd);
    }
    return { o: await runOn(k, io), before, whole };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('sysRestart reads a whole image file from its fd and restarts it', async (t) => {
  const { o, before, whole } = await restartFromFd((file) => fs.openSync(file, 'r'));
  t.is(before + o.stdout, whole.stdout);
  t.is(o.instructions, whole.instructions);
});

test('sysRestart reads an image from a pipe (no size to read by) and restarts it', async (t) => {
  const { o, before, whole } = await restartFromFd((file) => {
    const fifo = `${file}.fifo`;
    execFileSync('mkfifo', [fifo]);
    // A separate writer: opening a FIFO for reading waits for it, and it waits for us.
    spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', file, fifo], { stdio: 'ignore' });
    return fs.openSync(fifo, 'r');
  });
  t.is(before + o.stdout, whole.stdout);
  t.is(o.instructions, whole.instructions);
});
