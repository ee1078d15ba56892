// Push mode: at the planned instruction count, sys_checkpoint the container into the --image file.
import * as fs from 'node:fs';
import type { Kernel } from '../../emukernel/kernel';
import { CHECKPOINT_KILL, CHECKPOINT_THAW, nextCheckpointId, sysCheckpoint } from '../../emukernel/checkpoint/sys';
import { CheckpointError } from '../../emukernel/checkpoint/context';
import { writeCheckpointWith } from '../../emukernel/checkpoint/checkpoint';
import { ParentCapture, captureParent } from '../../emukernel/checkpoint/incremental';
import { PagePins } from '../../emukernel/mm/page';
import { CollectSink } from '../image/sinks';
import { encodeItems } from '../image/encode-items';
import { ItemWriter } from '../image/item-writer';
import type { LiveReport } from '../live/live-checkpoint';
import type { CheckpointPlan, PreDumpPlan } from './checkpoint-options';
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
  /** With --pre-dump-at: the pre-dump this image is an incremental child of (restart needs its file). */
  pre_dump?: PreDumpReport;
}

export interface PreDumpReport {
  id: number;
  image: string;
  bytes: number;
  downtime_ms: number;
  instructions: number;
  requested: number;
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
  let pre: { capture: ParentCapture; report: PreDumpReport } | null = null;
  const armFinal = (): void => {
    k.scheduler.instructionTarget = plan.at;
    k.scheduler.onInstructionTarget = final;
  };
  const final = (): void => {
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
      const flags = plan.then === 'stop' ? CHECKPOINT_KILL : CHECKPOINT_THAW;
      const res = sysCheckpoint(k, init.pid, fd, flags, undefined, pre?.capture ?? null);
      const report: CheckpointReport = {
        id: res.id, mount: null, mode: 'push', downtime_ms: Math.round(res.downtimeMs * 1000) / 1000, bytes: res.bytes,
        records: res.records, instructions, requested: plan.at, image: plan.image, pid: init.pid, then: plan.then,
      };
      if (pre !== null) report.pre_dump = pre.report;
      outcome = { state: 'taken', report };
    } catch (e) {
      const why = e instanceof CheckpointError ? e.message : `internal error: ${describeError(e)}`;
      k.log.debug({ err: e }, 'checkpoint failed');
      outcome = { state: 'failed', reason: why.replace(/\s*\n\s*/g, ' ') };
      reportFailure(outcome.reason);
      // sys_checkpoint thaws on failure; make sure of it even if its own cleanup failed.
      if (k.scheduler.frozen) k.scheduler.thaw();
    } finally {
      fs.closeSync(fd);
      // The pins only had to last until the child was written: from here the container writes in place again.
      pre?.capture.pins.release();
    }
  };
  if (plan.preDump === null) armFinal();
  else {
    const at = plan.preDump;
    k.scheduler.instructionTarget = at.at;
    k.scheduler.onInstructionTarget = () => {
      if (!k.init || k.init.state !== 'alive') return;
      try {
        pre = preDump(k, at);
      } catch (e) {
        const why = e instanceof CheckpointError ? e.message : `internal error: ${describeError(e)}`;
        k.log.debug({ err: e }, 'pre-dump failed');
        process.stderr.write(`crfs: pre-dump failed: ${why.replace(/\s*\n\s*/g, ' ')}; the checkpoint at ${plan.at} will be a complete image\n`);
      }
      armFinal();
    };
  }
  return () => {
    // Asked once the container has ended: a pre-dump without its child is of no use to anyone.
    if (outcome.state === 'pending' && plan.preDump !== null) {
      pre?.capture.pins.release();
      fs.rmSync(plan.preDump.image, { force: true });
    }
    return outcome;
  };
}

/**
 * The pre-dump: a copy-mode capture of the container (frozen only for the capture), its blob written
 * to `at.image`, its pins kept so that the final checkpoint can tell the pages nobody wrote since.
 * Throws with no pins held, the container as it was (CheckpointError: what cannot be saved).
 */
function preDump(k: Kernel, at: PreDumpPlan): { capture: ParentCapture; report: PreDumpReport } {
  const instructions = k.instructions;
  const start = process.hrtime.bigint();
  const wasFrozen = k.scheduler.frozen;
  k.scheduler.freeze();
  const pins = new PagePins();
  const w = new ItemWriter({ copyBuffers: true });
  let id: number;
  try {
    id = nextCheckpointId(k);
    writeCheckpointWith(k, w, { id, pins });
  } catch (e) {
    pins.release();
    throw e;
  } finally {
    if (!wasFrozen) k.scheduler.thaw();
  }
  const downtimeMs = Number(process.hrtime.bigint() - start) / 1e6;
  try {
    const sink = new CollectSink();
    encodeItems(w.items, sink);
    const blob = sink.bytes();
    try {
      fs.writeFileSync(at.image, blob);
    } catch (e) {
      throw new Error(`--pre-dump-image ${at.image}: ${(e as NodeJS.ErrnoException).code ?? describeError(e)}`);
    }
    // The tail's checksum is the blob's last 4 bytes: no second encoding for captureParent.
    const { capture } = captureParent(w.items, pins, { checksum: blob.readUInt32LE(blob.length - 4), bytes: blob.length });
    return {
      capture,
      report: { id, image: at.image, bytes: blob.length, downtime_ms: Math.round(downtimeMs * 1000) / 1000, instructions, requested: at.at },
    };
  } catch (e) {
    pins.release();
    throw e;
  }
}
