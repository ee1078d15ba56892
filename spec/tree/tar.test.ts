// tarToBlob on archives GNU tar writes in its formats (gnu long names, ustar prefixes, pax) and on bad archives.
import test, { ExecutionContext } from 'ava';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { tarToBlob } from '../../lib/crfs/convert/to-blob';
import { TreeError } from '../../lib/crfs/tree/errors';
import { buildSampleImage } from '../image/sample-image';
import { makeTempDir, mountTemp, sh } from './helpers';

const IMAGE = buildSampleImage({ seed: 2, pages: 4 });
/** A leading path long enough that every member name passes 100 bytes. */
const DEEP = Array.from({ length: 6 }, (_, i) => `level-${i}-${'d'.repeat(14)}`).join('/');
let work = '';
let cleanup: () => void = () => undefined;

test.before(async () => {
  const m = await mountTemp(IMAGE);
  const tmp = makeTempDir('crfs-tar-');
  work = tmp.dir;
  cleanup = tmp.cleanup;
  try {
    // The tree copied under a deep path: tar must then use its long-name mechanisms.
    const r = await sh(`mkdir -p ${work}/${DEEP} && cp -a ${m.mnt} ${work}/${DEEP}/ckpt`);
    if (r.code !== 0) throw new Error(r.stderr);
  } finally {
    await m.dispose();
  }
});

test.after.always(() => cleanup());

let tars = 0;

/** A fresh archive of the copied tree (each call its own file: tests run concurrently). */
async function tarOf(t: ExecutionContext, format: string, deep = true): Promise<{ tar: Buffer; file: string }> {
  const file = path.join(work, `${format}${deep ? '' : '-short'}-${tars++}.tar`);
  const r = await sh(deep ? `tar cf ${file} --format=${format} -C ${work} ${DEEP.split('/')[0]}` : `tar cf ${file} --format=${format} -C ${work}/${DEEP} ckpt`);
  t.is(r.code, 0, r.stderr);
  return { tar: await fsp.readFile(file), file };
}

// ustar cannot hold a hard link whose target name passes 100 bytes, so it gets the short names.
test('a ustar-format tar converts to the blob', async t => {
  t.true((await tarToBlob((await tarOf(t, 'ustar', false)).tar)).equals(IMAGE));
});

for (const format of ['gnu', 'posix']) {
  test(`a ${format}-format tar with member names past 100 bytes converts to the blob`, async t => {
    const { tar, file } = await tarOf(t, format);
    const longest = await sh(`tar tf ${file} | awk '{ if (length($0) > m) m = length($0) } END { print m }'`);
    t.true(Number(longest.stdout) > 100, 'names need the long-name mechanism');
    t.true((await tarToBlob(tar)).equals(IMAGE));
  });
}

test('a damaged header is refused with a one-line error', async t => {
  const tar = Buffer.from((await tarOf(t, 'gnu')).tar);
  tar[600] ^= 0x40;
  const err = await t.throwsAsync(tarToBlob(tar), { instanceOf: TreeError });
  t.regex(err?.message ?? '', /bad header checksum/);
});

test('a tar without a crfs tree, and one with a symlink, are refused', async t => {
  const dir = path.join(work, 'other');
  const r = await sh(`mkdir -p ${dir}/x && echo hi > ${dir}/x/a && ln -s a ${dir}/x/b && tar cf ${dir}/plain.tar -C ${dir}/x a && tar cf ${dir}/link.tar -C ${dir}/x .`);
  t.is(r.code, 0, r.stderr);
  const none = await t.throwsAsync(tarToBlob(await fsp.readFile(`${dir}/plain.tar`)), { instanceOf: TreeError });
  t.regex(none?.message ?? '', /not a crfs tree: no format_version file/);
  const sym = await t.throwsAsync(tarToBlob(await fsp.readFile(`${dir}/link.tar`)), { instanceOf: TreeError });
  t.regex(sym?.message ?? '', /^b: tar: entry type '2'/);
});
