// Live incremental checkpoints: a copy-mode mount that is a child of an earlier one; tar of it converts to its blob, and the pair restarts.
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tarToBlob } from '../../lib/crfs/convert/to-blob';
import { readImageItems } from '../../lib/crfs/image/codec';
import { LiveCheckpoint, startLiveCheckpoint } from '../../lib/crfs/live/live-checkpoint';
import { restoreKernel } from '../../lib/emukernel/checkpoint/restart';
import { MemoryHostIo } from '../../lib/emukernel/fs/memory-host-io';
import { makeTempDir } from '../examples/harness';
import { boot, count, cutsOf, plain } from '../checkpoint/incremental-harness';
import { CutRng, SEED } from '../restart/harness';
import { runTool } from './mount-helpers';

const dir = makeTempDir('incremental-live');
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a live copy-mode checkpoint with a live parent: its tar is its blob, smaller than the parent, and restarts with it', async (t) => {
  const base = await plain('bigmem', []);
  const cuts = cutsOf(new CutRng(SEED, 'incremental-live'), base.instructions, 2);
  const why = `[CRFS_SEED=${SEED} bigmem cuts ${cuts.join(' ')}]`;
  const { k, io } = boot('bigmem', []);
  const lives: LiveCheckpoint[] = [];
  const got: { blobs: Buffer[]; tars: Buffer[]; stdout: string; refusal: string } = { blobs: [], tars: [], stdout: '', refusal: '' };
  k.scheduler.instructionTarget = cuts[0];
  k.scheduler.onInstructionTarget = async () => {
    lives.push(await startLiveCheckpoint(k, { mount: path.join(dir, 'a'), mode: 'copy' }));
    k.scheduler.instructionTarget = cuts[1];
    k.scheduler.onInstructionTarget = async () => {
      try {
        const b = await startLiveCheckpoint(k, { mount: path.join(dir, 'b'), mode: 'copy', parent: lives[0] });
        lives.push(b);
        got.stdout = io.text(1);
        for (const lc of lives) {
          got.blobs.push(lc.asParent().image);
          got.tars.push(await runTool('tar', ['cf', '-', '-C', lc.mounted.path, '.']));
        }
      } finally {
        for (const lc of lives) { lc.end('done'); await lc.ended; }
      }
      try {
        lives[1].asParent();
      } catch (e) {
        got.refusal = (e as Error).message;
      }
    };
  };
  const r = await k.runToCompletion();
  t.is(r.status, base.status, why);
  t.is(io.text(1), base.stdout, `live checkpoints do not change the run ${why}`);
  const [pa, pb] = got.blobs;
  t.true((await tarToBlob(got.tars[0])).equals(pa), `tar of the parent's mount is its blob ${why}`);
  t.true((await tarToBlob(got.tars[1])).equals(pb), `tar of the incremental mount is its blob ${why}`);
  t.true(count(readImageItems(pb), 'pgref') > 0, why);
  t.true(pb.length < pa.length, `the child carries only what changed ${why}`);
  t.regex(got.refusal, /^checkpoint \d+ has ended: its pages are released, so it cannot be a parent$/);
  const io2 = new MemoryHostIo();
  const k2 = restoreKernel(pb, { hostIo: io2 }, { parents: [pa] });
  const r2 = await k2.runToCompletion();
  t.is(got.stdout + io2.text(1), base.stdout, why);
  t.is(r2.status, base.status, why);
  t.false(fs.readFileSync('/proc/self/mounts', 'utf8').includes(dir), 'no mount is left behind');
});
