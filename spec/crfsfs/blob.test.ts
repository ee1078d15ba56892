// A 64 MiB blob read through the mount by dd and cat, whole and at odd offsets, checked by sha256.
import test from 'ava';
import { createHash } from 'node:crypto';
import { blobFile, staticDirectory } from '../../lib/crfs/fs/node';
import { makeBytes, makeTempDir, sh } from './toy-tree';
import { mountTree } from '../../lib/crfs/fs/fuse-adapter';
import path from 'node:path';

const SIZE = 64 << 20;
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

test('a 64 MiB blob reads back byte for byte through dd, cat and partial dd', async t => {
  const bytes = makeBytes(SIZE, 12345);
  let reads = 0;
  // Returns page-sized views over the buffer, as a memory mapping would (no copy in crfs).
  const mem = blobFile(SIZE, (off, len) => {
    reads++;
    const views: Uint8Array[] = [];
    for (let at = off; at < off + len; at = (at & ~4095) + 4096) views.push(bytes.subarray(at, Math.min(off + len, (at & ~4095) + 4096)));
    return views;
  }, { mode: 0o400 });
  const { dir, cleanup } = makeTempDir();
  const m = await mountTree(staticDirectory([['mem', mem]]), path.join(dir, 'mnt'), { registryDir: null, time: 0 });
  t.teardown(async () => { await m.unmount(); cleanup(); });
  const f = path.join(m.path, 'mem');
  const whole = await sh(`stat -c %s ${f}; dd if=${f} bs=1M status=none | sha256sum; cat ${f} | sha256sum`);
  t.is(whole.code, 0, whole.stderr);
  const want = sha(bytes);
  t.deepEqual(whole.stdout.trim().split('\n').map(l => l.split(' ')[0]), [String(SIZE), want, want]);
  t.true(reads >= SIZE / (128 << 10), 'reads arrive in at most 128 KiB pieces');
  const part = await sh(`dd if=${f} bs=4093 skip=7001 count=33 status=none | sha256sum; tail -c 1000 ${f} | sha256sum`);
  t.deepEqual(part.stdout.trim().split('\n').map(l => l.split(' ')[0]),
    [sha(bytes.subarray(4093 * 7001, 4093 * 7034)), sha(bytes.subarray(SIZE - 1000))]);
});
