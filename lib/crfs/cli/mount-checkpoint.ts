// Mount mode of `crfs run --checkpoint-at N --mount DIR [--mode lazy|copy]`: at the cut, a live checkpoint mount.
import type { Kernel } from '../../emukernel/kernel';
import { CheckpointError } from '../../emukernel/checkpoint/context';
import { cleanStaleMounts } from '../fs/mount-registry';
import { LiveMode, startLiveCheckpoint } from '../live/live-checkpoint';
import type { CheckpointPlan } from './checkpoint-options';
import { describeError } from './errors';
import { PushOutcome, reportFailure } from './push-checkpoint';

export interface MountCheckpointArm {
  readonly outcome: () => PushOutcome;
  /** Resolves once the checkpoint (if one was taken) has ended: the process must not exit before. */
  readonly settled: () => Promise<void>;
}

/**
 * Arms the scheduler of `k` to checkpoint at `plan.at` into a mount at `plan.mount` (see
 * startLiveCheckpoint), printing the mount path on stderr. Lazy mode keeps the tasks frozen until
 * `1` is written to `done` or the directory is unmounted; copy mode thaws them at once and the mount
 * lives on until then, even past the program's end (`settled`). A failure (checkpoint or mount) is
 * one stderr line and the program runs on, as it was.
 */
export function armMountCheckpoint(k: Kernel, plan: CheckpointPlan & { mount: string }, mode: LiveMode): MountCheckpointArm {
  let outcome: PushOutcome = { state: 'pending' };
  let ended: Promise<unknown> = Promise.resolve();
  const started = process.hrtime.bigint();
  k.scheduler.instructionTarget = plan.at;
  k.scheduler.onInstructionTarget = async () => {
    const init = k.init;
    if (!init || init.state !== 'alive') return;
    const secs = Number(process.hrtime.bigint() - started) / 1e9;
    const onSignal = (): void => live?.end('SIGINT');
    let live: Awaited<ReturnType<typeof startLiveCheckpoint>> | null = null;
    try {
      await cleanStaleMounts();
      live = await startLiveCheckpoint(k, { mount: plan.mount, mode }, secs > 0 ? k.instructions / secs : 0);
      process.stderr.write(`${live.mounted.path}\n`);
      const report = live.report;
      outcome = { state: 'taken', report };
      process.once('SIGINT', onSignal);
      ended = live.ended.then((r) => {
        process.off('SIGINT', onSignal);
        k.log.debug({ why: r.ended }, 'checkpoint mount ended');
      });
      // Lazy: the container stays frozen, so the scheduler waits here until the checkpoint ends.
      if (mode === 'lazy') await ended;
    } catch (e) {
      const why = e instanceof CheckpointError ? e.message : `--mount ${plan.mount}: ${describeError(e)}`;
      k.log.debug({ err: e }, 'mount checkpoint failed');
      outcome = { state: 'failed', reason: why.replace(/\s*\n\s*/g, ' ') };
      reportFailure(outcome.reason);
    }
  };
  return { outcome: () => outcome, settled: async () => { await ended; } };
}
