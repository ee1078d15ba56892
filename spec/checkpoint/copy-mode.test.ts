// Copy mode: a capture with pinned pages keeps the state of its instruction while the container runs on.
import test from 'ava';
import { writeCheckpointWith } from '../../lib/emukernel/checkpoint/checkpoint';
import { PagePins, defaultPagePool } from '../../lib/emukernel/mm/page';
import { CollectSink } from '../../lib/crfs/image/codec';
import { ItemWriter } from '../../lib/crfs/image/item-writer';
import { emitModel } from '../../lib/crfs/tree/emit-image';
import { parseModel } from '../../lib/crfs/tree/parse-image';
import { WriterRecordSink } from '../../lib/crfs/tree/sinks';
import { CutRng, SEED } from '../restart/harness';
import { CASES, Run, boot, plain, pushAt } from './incremental-harness';


/** Copy mode at `cut`: capture with pins, thaw at once, run to the end, and only then encode the capture. */
async function copyAt(name: string, args: string[], cut: number): Promise<{ image: Buffer; run: Run; pinned: number; cowCopies: number }> {
  const { k, io } = boot(name, args);
  const w = new ItemWriter({ copyBuffers: true });
  const pins = new PagePins();
  const copiesBefore = defaultPagePool.stats.copies;
  k.scheduler.instructionTarget = cut;
  k.scheduler.onInstructionTarget = () => {
    k.scheduler.freeze();
    writeCheckpointWith(k, w, { id: 1, pins });
    k.scheduler.thaw();
  };
  const r = await k.runToCompletion();
  const cowCopies = defaultPagePool.stats.copies - copiesBefore;
  const sink = new CollectSink();
  emitModel(parseModel(w.items), new WriterRecordSink(sink));
  const pinned = pins.count;
  pins.release();
  return { image: sink.bytes(), run: { stdout: io.text(1), status: r.status, instructions: r.instructions }, pinned, cowCopies };
}



for (const [name, args] of CASES) {
  test(`${name}: a copy-mode capture encodes to the push-mode image of its instruction after the program ran on`, async (t) => {
    const base = await plain(name, args);
    const rng = new CutRng(SEED, `copy-${name}`);
    let copied = 0;
    for (let i = 0; i < 3; i++) {
      const cut = rng.cut(base.instructions);
      const why = `[CRFS_SEED=${SEED} ${name} cut ${cut}]`;
      const push = await pushAt(name, args, cut, 1);
      const copy = await copyAt(name, args, cut);
      t.true(copy.image.equals(push), `the capture kept the state of the cut ${why}`);
      t.deepEqual(copy.run, base, `copy mode does not change the run ${why}`);
      t.true(copy.pinned > 0, why);
      copied += copy.cowCopies;
    }
    // The tasks wrote pinned pages after the capture: those writes copied instead of changing the capture.
    t.true(copied > 0, 'some writes after a capture broke copy-on-write');
  });
}
