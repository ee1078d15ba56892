// Lazy mount mode of `crfs run --checkpoint-at N --mount DIR`: freeze, mount the checkpoint, wait for `done`, thaw.
import type { Kernel } from '../../emukernel/kernel';
import { CHECKPOINT_THAW, nextCheckpointId } from '../../emukernel/checkpoint/sys';
import { writeCheckpoint } from '../../emukernel/checkpoint/checkpoint';
import { CheckpointError } from '../../emukernel/checkpoint/context';
import { CollectSink } from '../image/sinks';
import { controlFile } from '../fs/node';
import { cleanStaleMounts } from '../fs/mount-registry';
import { mountImage } from '../tree/mount-image';
import type { CheckpointPlan } from './checkpoint-options';
import { describeError } from './errors';
import { watchMount } from './mount-watch';
import { PushOutcome, reportFailure } from './push-checkpoint';

/**
 * Arms the scheduler of `k` to checkpoint at `plan.at` into a mount at `plan.mount`. At the point the
 * container is frozen, its image is captured in memory (the tree is generated from that image, not
 * from the live kernel objects), mounted with a `done` control file, and the mount path is printed on
 * stderr. The tasks stay frozen until `1` is written to `done` or the directory is unmounted; then
 * the mount is removed and the container thaws and runs on. (A signal ends crfs as usual; the mount
 * then goes with it through auto_unmount, or the next crfs command's cleanStaleMounts.) Returns a
 * getter for the outcome; a failure (checkpoint or mount) is one stderr line and the program runs on.
 */
export function armMountCheckpoint(k: Kernel, plan: CheckpointPlan & { mount: string }): () => PushOutcome {
  let outcome: PushOutcome = { state: 'pending' };
  k.scheduler.instructionTarget = plan.at;
  k.scheduler.onInstructionTarget = async () => {
    const init = k.init;
    if (!init || init.state !== 'alive') return;
    const instructions = k.instructions;
    const start = process.hrtime.bigint();
    const wasFrozen = k.scheduler.frozen;
    k.scheduler.freeze();
    try {
      await cleanStaleMounts();
      const sink = new CollectSink();
      const res = writeCheckpoint(k, sink, { id: nextCheckpointId(k), flags: CHECKPOINT_THAW });
      const image = sink.bytes();
      let onDone: () => void = () => undefined;
      // The handler runs inside FUSE's write: end the wait only after the write has been answered.
      const done = controlFile(() => setImmediate(() => onDone()));
      const { mounted } = await mountImage(image, plan.mount, { done });
      const wait = watchMount(mounted.path, false);
      onDone = () => wait.finish('done');
      process.stderr.write(`${mounted.path}\n`);
      const why = await wait.ended;
      wait.stop();
      await mounted.unmount().catch(() => undefined);
      k.log.debug({ why }, 'checkpoint mount ended');
      outcome = {
        state: 'taken',
        report: {
          id: res.id, mount: mounted.path, mode: 'lazy', downtime_ms: Math.round(Number(process.hrtime.bigint() - start) / 1e3) / 1000,
          bytes: res.bytes, records: res.records, instructions, requested: plan.at, image: null, pid: init.pid, then: 'continue',
        },
      };
    } catch (e) {
      const why = e instanceof CheckpointError ? e.message : `--mount ${plan.mount}: ${describeError(e)}`;
      k.log.debug({ err: e }, 'mount checkpoint failed');
      outcome = { state: 'failed', reason: why.replace(/\s*\n\s*/g, ' ') };
      reportFailure(outcome.reason);
    } finally {
      if (!wasFrozen) k.scheduler.thaw();
    }
  };
  return () => outcome;
}
