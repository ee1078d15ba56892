// The node model and superblock without a mount: sizes, reads, inode numbers, the link-count rule, ESTALE.
import test from 'ava';
import { KernelError } from '../../lib/emukernel/errno';
import { blobFile, bufferFile, controlFile, directory, isMaterialised, scalarFile, staticDirectory } from '../../lib/crfs/fs/node';
import { ESTALE, Superblock } from '../../lib/crfs/fs/superblock';

const errnoOf = (f: () => unknown): number => {
  try { f(); } catch (e) { if (e instanceof KernelError) return e.errno; throw e; }
  return 0;
};

test('scalarFile renders bigint, number and string as text with a newline, generated once', t => {
  let calls = 0;
  const big = scalarFile(() => { calls++; return 18446744073709551615n; });
  t.is(big.size(), '18446744073709551615\n'.length);
  const buf = Buffer.alloc(64);
  const n = big.readInto(buf, 0, 64);
  t.is(buf.subarray(0, n).toString(), '18446744073709551615\n');
  t.is(big.readInto(buf, 18, 64), 3);
  t.is(buf.subarray(0, 3).toString(), '15\n');
  t.is(big.readInto(buf, 100, 64), 0);
  t.is(calls, 1);
  const neg = scalarFile(() => -1);
  t.is(neg.readInto(buf, 0, 64), 3);
  t.is(buf.subarray(0, 3).toString(), '-1\n');
  t.is(scalarFile(() => 'abc').size(), 4);
});

test('blobFile clamps reads to its size and joins returned views', t => {
  const src = Buffer.from('0123456789');
  const blob = blobFile(10, (off, len) => [src.subarray(off, off + 3), src.subarray(off + 3, off + len)]);
  const buf = Buffer.alloc(20, 0x2e);
  t.is(blob.readInto(buf, 4, 20), 6);
  t.is(buf.subarray(0, 6).toString(), '456789');
  t.is(bufferFile(src).readInto(buf, 8, 5), 2);
  t.throws(() => blobFile(-1, () => src));
});

test('modes: files 0444, directories 0555, control 0200, overridable', t => {
  t.is(scalarFile(() => 1).mode, 0o100444);
  t.is(staticDirectory([]).mode, 0o040555);
  t.is(controlFile(() => undefined).mode, 0o100200);
  const regs = bufferFile(Buffer.alloc(8), { mode: 0o400, uid: 1000, gid: 100 });
  t.deepEqual([regs.mode, regs.uid, regs.gid], [0o100400, 1000, 100]);
});

test('controlFile accepts "1" and "1\\n" at offset 0 only and supports truncate(0)', t => {
  let fired = 0;
  const done = controlFile(() => { fired++; });
  t.is(done.write(Buffer.from('1\n'), 0), 2);
  t.is(done.write(Buffer.from('1'), 0), 1);
  for (const bad of ['2\n', '1\n\n', '', '10']) t.is(errnoOf(() => done.write(Buffer.from(bad), 0)), 22, bad);
  t.is(errnoOf(() => done.write(Buffer.from('1'), 5)), 22);
  t.notThrows(() => done.truncate(0));
  t.is(fired, 2);
  t.is(errnoOf(() => scalarFile(() => 1).write(Buffer.from('1'), 0)), 30);
  t.is(errnoOf(() => scalarFile(() => 1).truncate(0)), 30);
});

test('directories are built once, lazily, in order, and reject bad or duplicate names', t => {
  let builds = 0;
  const d = directory(() => { builds++; return [['b', scalarFile(() => 1)], ['a', scalarFile(() => 2)]]; });
  t.false(isMaterialised(d));
  t.deepEqual(d.entries().map(e => e.name), ['b', 'a']);
  t.truthy(d.lookup('a'));
  t.is(d.lookup('zz'), undefined);
  t.is(builds, 1);
  t.throws(() => directory(() => [['x', scalarFile(() => 1)], ['x', scalarFile(() => 1)]]).entries());
  t.throws(() => directory(() => [['a/b', scalarFile(() => 1)]]).entries());
  t.is(errnoOf(() => scalarFile(() => 1).lookup('x')), 20);
});

test('superblock: stable inode numbers from 1, nlink by declared places, 2+subdirs for directories', t => {
  const shared = scalarFile(() => 7);
  const root = staticDirectory([
    ['a', staticDirectory([['s', shared], ['sub', staticDirectory([])]])],
    ['b', staticDirectory([['s', shared]])],
  ]);
  const sb = new Superblock(root, { time: 1000 });
  sb.link(shared, 2);
  t.is(sb.inodeOf(root), 1);
  const viaA = sb.resolve('/a/s');
  t.is(viaA, shared);
  t.is(sb.statOf(shared).nlink, 2, 'exact before /b is listed');
  t.is(sb.resolve('/b/s'), shared);
  t.is(sb.statOf(sb.resolve('/b/s')).ino, sb.statOf(viaA).ino);
  t.is(sb.statOf(sb.resolve('/a')).nlink, 3);
  t.is(sb.statOf(root).nlink, 4);
  t.deepEqual(sb.auditLinks(), []);
  t.is(sb.statOf(shared).mtime, 1000);
  t.is(errnoOf(() => sb.resolve('/a/missing')), 2);
  t.is(errnoOf(() => sb.resolve('/a/s/x')), 20);
  t.throws(() => sb.link(root));
});

test('superblock: an undeclared second place fails the listing with EIO instead of reporting nlink 1', t => {
  const shared = scalarFile(() => 7);
  const root = staticDirectory([['a', staticDirectory([['s', shared]])], ['b', staticDirectory([['s', shared]])]]);
  const sb = new Superblock(root);
  t.is(sb.statOf(sb.resolve('/a/s')).nlink, 1);
  t.is(errnoOf(() => sb.resolve('/b/s')), 5);
});

test('superblock: invalidate() makes every lookup fail with ESTALE; close() too', t => {
  const root = staticDirectory([['f', scalarFile(() => 1)]]);
  const sb = new Superblock(root);
  t.truthy(sb.resolve('/f'));
  sb.invalidate('done');
  t.is(errnoOf(() => sb.resolve('/f')), ESTALE);
  t.is(errnoOf(() => sb.resolve('/')), ESTALE);
  t.is(sb.invalidReason, 'done');
  sb.close();
  t.is(errnoOf(() => sb.checkValid('read', '/f')), ESTALE);
});
