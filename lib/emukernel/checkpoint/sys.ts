// sys_checkpoint and sys_restart as seed 000 defines them, called by the host on behalf of the container's owner.
import { FdSink } from '../../crfs/image/sinks';
import { readSummedFd } from '../../crfs/image/read-file';
import { EPERM, ESRCH } from '../errno';
import type { Kernel, KernelOptions } from '../kernel';
import { writeCheckpoint, CheckpointResult } from './checkpoint';
import { CheckpointError } from './context';
import { restoreKernel } from './restart';
import { exitGroup } from '../proc/exit';
import type { ParentCapture } from './incremental';

/** sys_checkpoint flags: what happens to the container once its image is written. */
export const CHECKPOINT_THAW = 0;
export const CHECKPOINT_KILL = 1;

const SIGKILL = 9;
const ids = new WeakMap<Kernel, number>();

/** The next checkpoint id of this kernel (1, 2, …): the N of checkpoint-N. */
export function nextCheckpointId(k: Kernel): number {
  const id = (ids.get(k) ?? 0) + 1;
  ids.set(k, id);
  return id;
}

export interface SysCheckpointResult extends CheckpointResult {
  /** Wall-clock milliseconds the container stayed frozen for the checkpoint. */
  downtimeMs: number;
}

/**
 * Checkpoint the container whose init is `pid` into host file descriptor `fd`. Freezes the container
 * (if it is not frozen already), writes the whole image, then thaws it or (CHECKPOINT_KILL) ends it.
 * Returns the result, or throws CheckpointError: then the image ends with an error record and the
 * container is exactly as it was (thawed again if this call froze it). With `parent` (a pre-dump
 * whose pins are still held) the image is its incremental child: unchanged pages are pgref records.
 */
export function sysCheckpoint(
  k: Kernel, pid: number, fd: number, flags = CHECKPOINT_THAW, uid = k.init?.leader?.uid ?? 0, parent: ParentCapture | null = null,
): SysCheckpointResult {
  if (!k.init || k.init.pid !== pid || k.init.state !== 'alive') throw new CheckpointError(ESRCH, `pid ${pid} is not the init of a running container`);
  const owner = k.init.leader?.uid ?? 0;
  if (uid !== 0 && uid !== owner) throw new CheckpointError(EPERM, `pid ${pid} belongs to uid ${owner}`);
  const wasFrozen = k.scheduler.frozen;
  const start = process.hrtime.bigint();
  k.scheduler.freeze();
  const sink = new FdSink(fd);
  let res: CheckpointResult;
  try {
    res = writeCheckpoint(k, sink, { id: nextCheckpointId(k), flags, parent });
  } catch (e) {
    try {
      sink.flush();
    } finally {
      // Whatever happened to the image, the container carries on as it was.
      if (!wasFrozen) k.scheduler.thaw();
    }
    throw e;
  }
  const downtimeMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (flags & CHECKPOINT_KILL) {
    for (const p of [...k.processes.values()]) if (p.state === 'alive') exitGroup(k, p, SIGKILL);
  }
  if (!wasFrozen) k.scheduler.thaw();
  return { ...res, downtimeMs };
}

/** Restart from the image readable at host file descriptor `fd` (read whole, then validated). */
export function sysRestart(fd: number, opts: KernelOptions = {}): Kernel {
  const image = readSummedFd(fd);
  // The bytes were read for this restart alone, so its pages may keep them (no second copy).
  return restoreKernel(image.bytes, opts, { adoptImage: true, crcOf: image.crcOf });
}
