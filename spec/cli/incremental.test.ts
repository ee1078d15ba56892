// `crfs restart CHILD --parent IMAGE...` and `crfs info` of an incremental image: a chain of three from an in-process run.
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeTempDir, runCrfs } from '../examples/harness';
import { chainAt, cutsOf, plain } from '../checkpoint/incremental-harness';
import { CutRng, SEED } from '../restart/harness';
import { mountTemp } from '../tree/helpers';

const dir = makeTempDir('incremental-cli');
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));

const text = (b: Buffer): string => b.toString('latin1');

test('restart CHILD --parent ... carries a chain of three on; info names the parent; a missing one is one line', async (t) => {
  const base = await plain('bigmem', []);
  const cuts = cutsOf(new CutRng(SEED, 'incremental-cli'), base.instructions, 3);
  const why = `[CRFS_SEED=${SEED} bigmem cuts ${cuts.join(' ')}]`;
  const { links } = await chainAt('bigmem', [], cuts);
  const [a, b, c] = links.map((l, i) => {
    const file = path.join(dir, `link${i + 1}.img`);
    fs.writeFileSync(file, l.image);
    return file;
  });
  const r = await runCrfs(['restart', '--parent', b, '--parent', a, c]);
  t.is(r.status, base.status, text(r.stderr));
  t.is(links[2].stdout + text(r.stdout), base.stdout, why);

  // The middle image as a mounted crfs tree (a directory): restart reads it back to its blob.
  const m = await mountTemp(links[1].image);
  try {
    const viaDir = await runCrfs(['restart', '--parent', m.mnt, '--parent', a, c]);
    t.is(viaDir.status, base.status, text(viaDir.stderr));
    t.is(links[2].stdout + text(viaDir.stdout), base.stdout, `--parent DIR ${why}`);
  } finally {
    await m.dispose();
  }

  const info = await runCrfs(['info', c]);
  t.is(info.status, 0, text(info.stderr));
  t.regex(text(info.stdout), /^parent: checkpoint 2, checksum 0x[0-9a-f]+, \d+ bytes; [1-9]\d* unchanged pages taken from it \(restart needs it: --parent\)$/m, why);
  const json = JSON.parse(text((await runCrfs(['info', '--json', c])).stdout)) as { parent: { id: number; bytes: number } | null };
  t.is(json.parent?.id, 2);
  t.is(json.parent?.bytes, links[1].image.length);
  const verbose = text((await runCrfs(['info', '-v', c])).stdout);
  t.regex(verbose, /\n\tparent checkpoint 2 checksum 0x[0-9a-f]+ bytes \d+\n/);
  t.regex(verbose, /\n\t\d+ pages of the parent's mm of pid \d+\n/);
  t.is(JSON.parse(text((await runCrfs(['info', '--json', a])).stdout)).parent, null);

  const none = await runCrfs(['restart', c]);
  t.is(none.status, 1);
  t.regex(text(none.stderr), /^crfs: restart: image: record 'parent' at offset \d+: parent checkpoint 2 is not among the 0 parent image\(s\) given\n$/);
  const noGrand = await runCrfs(['restart', '--parent', b, c]);
  t.is(noGrand.status, 1);
  t.regex(text(noGrand.stderr), /^crfs: restart: parent checkpoint 2: record 'parent' at offset \d+: parent checkpoint 1 is not among the 1 parent image\(s\) given\n$/);
  const wrong = await runCrfs(['restart', '--parent', a, '--parent', a, c]);
  t.is(wrong.status, 1);
  t.regex(text(wrong.stderr), /^crfs: restart: image: record 'parent' at offset \d+: parent checkpoint 2 is not among the 2 parent image\(s\) given\n$/);
  const absent = await runCrfs(['restart', '--parent', path.join(dir, 'nope.img'), c]);
  t.is(absent.status, 1);
  t.regex(text(absent.stderr), /^crfs: restart: --parent: \S+nope\.img: no such file or directory\n$/);
});
