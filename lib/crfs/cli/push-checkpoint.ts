// Push mode: at the planned instruction count, sys_checkpoint the container into the --image file.
import * as fs from 'node:fs';
import type { Kernel } from '../../emukernel/kernel';
import { CHECKPOINT_KILL, CHECKPOINT_THAW, sysCheckpoint } from '../../emukernel/checkpoint/sys';
import { CheckpointError } from '../../emukernel/checkpoint/context';
import type { LiveReport } from '../live/live-checkpoint';
import type { CheckpointPlan } from './checkpoint-options';
import { describeError } from './errors';

/** What `--report FILE` holds (PRODUCT.md: at least id, mount, mode, downtime_ms, bytes). */
export interface CheckpointReport {
  id: number;
  /** Push mode mounts nothing (mounted checkpoints report a LiveReport). */
  mount: null;
  mode: 'push';
  downtime_ms: number;
  bytes: number;
  records: number;
  /** Instructions the container had retired at the cut (the first boundary at or past the requested count). */
  instructions: number;
  /** The requested count (--checkpoint-at). */
  requested: number;
  /** The blob file. */
  image: string;
  pid: number;
  then: 'stop' | 'continue';
}

/** Where the planned checkpoint stands once the container has ended. */
export type PushOutcome =
  | { state: 'pending' }
  | { state: 'taken'; report: CheckpointReport | LiveReport }
  | { state: 'failed'; reason: string };

/** Writes the one stderr line a failed checkpoint gets; the program itself runs on. */
export function reportFailure(reason: string): void {
  process.stderr.write(`crfs: checkpoint failed: ${reason}\n`);
}

/**
 * Arms the scheduler of `k` to checkpoint at `plan.at`. Returns a getter for the outcome. A failure
 * (CheckpointError, an image file that cannot be written, or a bug in a subsystem's save) is printed on
 * one stderr line and leaves the container running, unchanged: "nothing is lost". With `then: 'stop'`
 * the container is ended right after a successful checkpoint (CHECKPOINT_KILL).
 */
export function armPushCheckpoint(k: Kernel, plan: CheckpointPlan & { image: string }): () => PushOutcome {
  let outcome: PushOutcome = { state: 'pending' };
  k.scheduler.instructionTarget = plan.at;
  k.scheduler.onInstructionTarget = () => {
    const init = k.init;
    if (!init || init.state !== 'alive') return;
    const instructions = k.instructions;
    let fd: number;
    try {
      fd = fs.openSync(plan.image, 'w');
    } catch (e) {
      outcome = { state: 'failed', reason: `--image ${plan.image}: ${(e as NodeJS.ErrnoException).code ?? describeError(e)}` };
      reportFailure(outcome.reason);
      return;
    }
    try {
      const res = sysCheckpoint(k, init.pid, fd, plan.then === 'stop' ? CHECKPOINT_KILL : CHECKPOINT_THAW);
      outcome = {
        state: 'taken',
        report: {
          id: res.id, mount: null, mode: 'push', downtime_ms: Math.round(res.downtimeMs * 1000) / 1000, bytes: res.bytes,
          records: res.records, instructions, requested: plan.at, image: plan.image, pid: init.pid, then: plan.then,
        },
      };
    } catch (e) {
      const why = e instanceof CheckpointError ? e.message : `internal error: ${describeError(e)}`;
      k.log.debug({ err: e }, 'checkpoint failed');
      outcome = { state: 'failed', reason: why.replace(/\s*\n\s*/g, ' ') };
      reportFailure(outcome.reason);
      // sys_checkpoint thaws on failure; make sure of it even if its own cleanup failed.
      if (k.scheduler.frozen) k.scheduler.thaw();
    } finally {
      fs.closeSync(fd);
    }
  };
  return () => outcome;
}
