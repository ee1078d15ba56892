// Copy-mode checkpoints served by a child `crfs mount` process: the same tree and blob, `done` and end() end them, nothing is left.
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tarToBlob } from '../../lib/crfs/convert/to-blob';
import { readImageItems } from '../../lib/crfs/image/codec';
import { LiveCheckpoint, startLiveCheckpoint } from '../../lib/crfs/live/live-checkpoint';
import type { MountEnd } from '../../lib/crfs/live/mount-watch';
import { restoreKernel } from '../../lib/emukernel/checkpoint/restart';
import { MemoryHostIo } from '../../lib/emukernel/fs/memory-host-io';
import { makeTempDir } from '../examples/harness';
import { boot, chainAt, count, cutsOf, plain } from '../checkpoint/incremental-harness';
import { CutRng, SEED } from '../restart/harness';
import { runTool } from './mount-helpers';

const dir = makeTempDir('serve-apart');
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Blob files this process left for its mount children (there must be none once they have mounted). */
const leftBlobs = (): string[] => (fs.existsSync('/dev/shm') ? fs.readdirSync('/dev/shm').filter((f) => f.startsWith(`crfs-${process.pid}-`)) : []);

test('an incremental pair served by child processes: each tar is its blob, done and end() end them, and the pair restarts', async (t) => {
  const base = await plain('bigmem', []);
  const cuts = cutsOf(new CutRng(SEED, 'serve-apart'), base.instructions, 2);
  const why = `[CRFS_SEED=${SEED} bigmem cuts ${cuts.join(' ')}]`;
  const { k, io } = boot('bigmem', []);
  const lives: LiveCheckpoint[] = [];
  const got = { tars: [] as Buffer[], stdout: '', ends: [] as (MountEnd | null)[], leftAfterMount: [] as string[], imageRefusal: '' };
  k.scheduler.instructionTarget = cuts[0];
  k.scheduler.onInstructionTarget = async () => {
    lives.push(await startLiveCheckpoint(k, { mount: path.join(dir, 'a'), mode: 'copy', serve: 'process' }));
    t.is(lives[0].mounted.superblock, null, 'served elsewhere: no superblock here');
    k.scheduler.instructionTarget = cuts[1];
    k.scheduler.onInstructionTarget = async () => {
      try {
        lives.push(await startLiveCheckpoint(k, { mount: path.join(dir, 'b'), mode: 'copy', parent: lives[0], serve: 'process' }));
        got.leftAfterMount = leftBlobs();
        got.stdout = io.text(1);
        for (const lc of lives) got.tars.push(await runTool('tar', ['cf', '-', '-C', lc.mounted.path, '.']));
        got.imageRefusal = (() => {
          try {
            return String(lives[0].asParent().image.length);
          } catch (e) {
            return (e as Error).message;
          }
        })();
        // The parent ends as a user ends it; the child from here.
        await runTool('sh', ['-c', `echo 1 > '${lives[0].mounted.path}/done'`]);
        got.ends.push((await lives[0].ended).ended);
        lives[1].end('SIGTERM');
        got.ends.push((await lives[1].ended).ended);
      } finally {
        for (const lc of lives) { lc.end('done'); await lc.ended; }
      }
    };
  };
  const r = await k.runToCompletion();
  t.is(r.status, base.status, why);
  t.is(io.text(1), base.stdout, `checkpoints served apart do not change the run ${why}`);
  t.deepEqual(got.leftAfterMount, [], 'each blob file is gone once its child has mounted it');
  t.deepEqual(got.ends, ['done', 'SIGTERM']);
  // The same cuts in this process, the parent's pins held throughout: the bytes must not differ,
  // though the served pair let its pages go once encoded and sealed them in the child.
  const { links } = await chainAt('bigmem', [], cuts);
  const pa = await tarToBlob(got.tars[0]), pb = await tarToBlob(got.tars[1]);
  t.true(pa.equals(links[0].image), `tar of the parent's mount is the pre-dump's blob ${why}`);
  t.true(pb.equals(links[1].image), `tar of the child's mount is the incremental blob, found from write marks ${why}`);
  t.true(count(readImageItems(pb), 'pgref') > 0, why);
  t.regex(got.imageRefusal, /^checkpoint \d+ is served by another process: its blob is what `crfs blob .+` gives$/);
  const io2 = new MemoryHostIo();
  const r2 = await restoreKernel(pb, { hostIo: io2 }, { parents: [pa] }).runToCompletion();
  t.is(got.stdout + io2.text(1), base.stdout, why);
  t.is(r2.status, base.status, why);
  t.false(fs.readFileSync('/proc/self/mounts', 'utf8').includes(dir), 'no mount is left behind');
  t.deepEqual(leftBlobs(), []);
});

test('serving apart is for copy mode only: a lazy request is refused before anything is frozen or mounted', async (t) => {
  const { k } = boot('pipeline', ['50', '/tmp/out']);
  let message = '';
  k.scheduler.instructionTarget = 100_000;
  k.scheduler.onInstructionTarget = async () => {
    try {
      await startLiveCheckpoint(k, { mount: path.join(dir, 'lazy'), mode: 'lazy', serve: 'process' });
    } catch (e) {
      message = (e as Error).message;
    }
    t.false(k.scheduler.frozen);
  };
  await k.runToCompletion();
  t.is(message, 'only a copy-mode checkpoint can be served by another process');
  t.false(fs.existsSync(path.join(dir, 'lazy')));
});
