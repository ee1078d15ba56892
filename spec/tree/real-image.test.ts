// Real checkpoints (crfs run --checkpoint-at … --image) of the pipeline and threads examples: tree ≡ blob, sharing, edits.
import test, { ExecutionContext } from 'ava';
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { readImageItems } from '../../lib/crfs/image/codec';
import { snapshotToBlob, tarToBlob, treeToBlob } from '../../lib/crfs/convert/to-blob';
import { makeTempDir, mountTemp, run, sh, snapshotOfNodes, treeWithSuperblock } from './helpers';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist/lib/crfs/cli/main.js');
const EXAMPLES = path.join(ROOT, 'build/examples');

interface Real { name: string; image: Buffer }
const images = new Map<string, Buffer>();
let work = '';
let cleanup: () => void = () => undefined;

/** Runs an example under crfs and checkpoints it at `cut` instructions into a blob. */
async function checkpointExample(name: string, cut: number, args: string[]): Promise<Buffer> {
  const file = path.join(work, `${name}.img`);
  const r = await run('node', [CLI, 'run', '--checkpoint-at', String(cut), '--image', file, path.join(EXAMPLES, name), ...args], { cwd: work });
  if (r.code !== 0 || !existsSync(file)) throw new Error(`crfs run ${name}: exit ${r.code}: ${r.stderr.trim()}`);
  return fsp.readFile(file);
}

test.before(async () => {
  const tmp = makeTempDir('crfs-real-');
  work = tmp.dir;
  cleanup = tmp.cleanup;
  const [pipeline, threads] = await Promise.all([
    checkpointExample('pipeline', 300_000, ['200', path.join(work, 'pipeline.out')]),
    checkpointExample('threads', 200_000, ['300']),
  ]);
  images.set('pipeline', pipeline);
  images.set('threads', threads);
});

test.after.always(() => cleanup());

const real = (name: string): Real => ({ name, image: images.get(name) as Buffer });

for (const name of ['pipeline', 'threads']) {
  test(`${name}: the node tree of a real checkpoint converts back to its bytes`, t => {
    const { image } = real(name);
    const { sb } = treeWithSuperblock(image);
    t.true(snapshotToBlob(snapshotOfNodes(sb)).equals(image));
    t.deepEqual(sb.auditLinks(), []);
  });

  test(`${name}: tar c, cp -a and the mount itself convert back to the blob`, async t => {
    const { image } = real(name);
    const m = await mountTemp(image);
    t.teardown(() => m.dispose());
    const tarFile = path.join(m.scratch, 'ckpt.tar');
    const r = await sh(`tar cf ${tarFile} -C ${m.mnt} . && cp -a ${m.mnt} ${m.scratch}/cp`);
    t.is(r.code, 0, r.stderr);
    t.is(r.stderr, '');
    t.true((await tarToBlob(await fsp.readFile(tarFile))).equals(image), 'tar');
    t.true((await treeToBlob(path.join(m.scratch, 'cp'))).equals(image), 'cp -a');
    t.true((await treeToBlob(m.mnt)).equals(image), 'the mount');
  });
}

test('threads: tasks of one thread group show one mm, hard-linked once per thread', async t => {
  const m = await mountTemp(real('threads').image);
  t.teardown(() => m.dispose());
  const r = await sh(`cd ${m.mnt} && for d in task-*; do echo "$d $(cat $d/tgid) $(stat -c '%i %h' $d/mm/objref)"; done`);
  t.is(r.code, 0, r.stderr);
  const rows = r.stdout.trim().split('\n').map((l) => l.split(' '));
  const byTgid = new Map<string, string[][]>();
  for (const row of rows) byTgid.set(row[1], [...(byTgid.get(row[1]) ?? []), row]);
  t.true([...byTgid.values()].some((g) => g.length > 1), 'the example runs several threads in one process');
  for (const [tgid, group] of byTgid) {
    t.is(new Set(group.map((g) => g[2])).size, 1, `one mm inode for thread group ${tgid}`);
    for (const g of group) t.is(Number(g[3]), group.length, `${g[0]}: one link per thread`);
  }
});

test('pipeline: an edited close-on-exec flag in an extracted tar reaches the blob', async (t: ExecutionContext) => {
  const { image } = real('pipeline');
  const m = await mountTemp(image);
  t.teardown(() => m.dispose());
  const out = path.join(m.scratch, 'x');
  const r = await sh(`mkdir ${out} && tar cf - -C ${m.mnt} . | tar xf - -C ${out} && cat ${out}/task-1/fds/0/coe && echo 1 > ${out}/task-1/fds/0/coe`);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, '0\n');
  const items = readImageItems(await treeToBlob(out));
  const firstTask = items.findIndex((it) => it.kind === 'record' && it.name === 'task');
  const fd0 = items.slice(firstTask).find((it) => it.kind === 'record' && it.name === 'file_desc' && it.value.fd_descriptor === 0);
  t.true(fd0 !== undefined && fd0.kind === 'record' && fd0.name === 'file_desc' && fd0.value.fd_close_on_exec === 1);
});
