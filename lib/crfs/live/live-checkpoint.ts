// A checkpoint of a running container as a live crfs mount: freeze, capture, mount, and end on `done` or unmount.
import * as fs from 'node:fs';
import type { Kernel } from '../../emukernel/kernel';
import { CHECKPOINT_KILL, CHECKPOINT_THAW, nextCheckpointId } from '../../emukernel/checkpoint/sys';
import { writeCheckpointWith } from '../../emukernel/checkpoint/checkpoint';
import { ParentCapture, captureParent } from '../../emukernel/checkpoint/incremental';
import { PagePins } from '../../emukernel/mm/page';
import { exitGroup } from '../../emukernel/proc/exit';
import { controlFile } from '../fs/node';
import type { Mounted } from '../fs/fuse-adapter';
import type { Superblock } from '../fs/superblock';
import { ItemWriter } from '../image/item-writer';
import { mountImage } from '../tree/mount-image';
import { MountEnd, watchMount } from './mount-watch';
import { ApartMount, serveApart } from './serve-apart';

const SIGKILL = 9;

/**
 * lazy: the tasks stay frozen until the checkpoint ends, and every file is generated from their
 * frozen objects when read. copy: records are captured at the freeze, memory pages are held
 * copy-on-write (PagePins), and the tasks thaw at once.
 */
export type LiveMode = 'lazy' | 'copy';

export interface LiveCheckpointOptions {
  /** Mount point; created if missing. */
  readonly mount: string;
  readonly mode: LiveMode;
  /** End the container's tasks (SIGKILL) when the checkpoint ends, instead of letting them run on. */
  readonly kill?: boolean;
  /** Let other users see the mount (FUSE allow_other). Default false. */
  readonly allowOther?: boolean;
  /** Owner of the mount's files (default: this process's). */
  readonly uid?: number;
  readonly gid?: number;
  /**
   * Incremental: a copy-mode checkpoint of the same container, still mounted (not ended: its pins
   * hold its pages); private pages unchanged since it are pgref records to it, so this tree (and
   * its tar) carries only what changed. Restart then needs the parent's blob too (`--parent`).
   */
  readonly parent?: LiveCheckpoint | null;
  /**
   * Copy mode only. 'here' (default): this process serves the mount, between the container's
   * slices. 'process': a child `crfs mount` serves the encoded capture on another core, so reading
   * the mount never slows the container (see serve-apart.ts); it costs one encoding of the blob and
   * a process start before the mount is visible.
   */
  readonly serve?: 'here' | 'process';
}

/** Where a live checkpoint is mounted; `superblock` is null when another process serves it. */
export interface LiveMount {
  readonly path: string;
  readonly superblock: Superblock | null;
}

/** What `--report FILE` / `--json` hold for a mounted checkpoint (PRODUCT.md: id, mount, mode, downtime_ms, bytes). */
export interface LiveReport {
  id: number;
  mount: string;
  mode: LiveMode;
  /** Freeze to thaw, wall clock. Lazy mode: until `done` (so only known once the checkpoint ended). */
  downtime_ms: number;
  /**
   * The downtime in instructions: what the container would have retired in that wall time at its
   * emulated rate so far (its virtual clock itself does not move while it is frozen).
   */
  downtime_instructions: number;
  /** The blob's size: what `tar c` of the mount converts to. */
  bytes: number;
  records: number;
  /** Bytes of memory the checkpoint refers to (pages), and of them how many were copied at capture. */
  memory_bytes: number;
  copied_bytes: number;
  /** Freeze to a visible mount, wall clock. */
  mount_ms: number;
  /** Instructions the container had retired at the freeze. */
  instructions: number;
  pid: number;
  /** How it ended: done, unmounted, or a signal; null while it lives. */
  ended: MountEnd | null;
  /** What the container did after: thawed (runs on) or killed. */
  then: 'continue' | 'kill';
}

export interface LiveCheckpoint {
  readonly mounted: LiveMount;
  readonly report: LiveReport;
  /** Resolves once the checkpoint has ended (done, unmount, end()) and the mount is gone. Never rejects. */
  readonly ended: Promise<LiveReport>;
  /** Ends the checkpoint as writing `done` would (e.g. on SIGINT). */
  end(why: MountEnd): void;
  /**
   * This checkpoint as the parent of an incremental one (copy mode, before it ends): encodes the
   * blob once for its checksum, and returns it as `image` (what `tar` of this mount converts to;
   * for one served by another process, reading `image` throws: its pages were let go once encoded,
   * and its blob is the mount's). Throws for a lazy checkpoint or one that has ended.
   */
  asParent(): { capture: ParentCapture; image: Buffer };
}

const msSince = (t: bigint): number => Math.round(Number(process.hrtime.bigint() - t) / 1e3) / 1000;

/**
 * Checkpoints the container of `k` (its init must be alive) into a new mount at `opts.mount`. The
 * container is frozen for the capture; in copy mode it thaws before this resolves, in lazy mode when
 * the checkpoint ends. Rejects (CheckpointError for what the container holds that cannot be saved,
 * anything else for the mount) with the container as it was: thawed again if this call froze it, and
 * no pages held. `rate` is the container's instructions per second so far, for downtime_instructions.
 */
export async function startLiveCheckpoint(k: Kernel, opts: LiveCheckpointOptions, rate = 0): Promise<LiveCheckpoint> {
  const init = k.init;
  if (!init || init.state !== 'alive') throw new Error('the container has no running init');
  if (opts.serve === 'process' && opts.mode !== 'copy') throw new Error('only a copy-mode checkpoint can be served by another process');
  // The parent's blob is encoded (for its checksum) before the freeze: it is not downtime.
  const parent = opts.parent ? opts.parent.asParent().capture : null;
  const start = process.hrtime.bigint();
  const wasFrozen = k.scheduler.frozen;
  k.scheduler.freeze();
  const copy = opts.mode === 'copy';
  const pins = copy ? new PagePins() : null;
  const thaw = (): void => { if (!wasFrozen && k.scheduler.frozen) k.scheduler.thaw(); };
  const report: LiveReport = {
    id: nextCheckpointId(k), mount: opts.mount, mode: opts.mode, downtime_ms: 0, downtime_instructions: 0,
    bytes: 0, records: 0, memory_bytes: 0, copied_bytes: 0, mount_ms: 0, instructions: k.instructions, pid: init.pid,
    ended: null, then: opts.kill ? 'kill' : 'continue',
  };
  const setDowntime = (): void => {
    report.downtime_ms = msSince(start);
    report.downtime_instructions = Math.round((rate * report.downtime_ms) / 1000);
  };
  let w: ItemWriter;
  try {
    w = new ItemWriter({ copyBuffers: copy });
    const res = writeCheckpointWith(k, w, { id: report.id, flags: opts.kill ? CHECKPOINT_KILL : CHECKPOINT_THAW, pins: pins ?? undefined, parent });
    report.bytes = res.bytes;
    report.records = res.records;
  } catch (e) {
    pins?.release();
    thaw();
    throw e;
  }
  for (const it of w.items) if (it.kind === 'pages') report.memory_bytes += it.len - 8;
  if (copy) {
    thaw();
    setDowntime();
  }

  let asParent: { capture: ParentCapture; image: Buffer } | null = null;
  const parentOf = (): { capture: ParentCapture; image: Buffer } => {
    if (pins === null) throw new Error(`checkpoint ${report.id} is lazy: only a copy-mode checkpoint can be a parent`);
    if (report.ended !== null) throw new Error(`checkpoint ${report.id} has ended: its pages are released, so it cannot be a parent`);
    asParent ??= captureParent(w.items, pins);
    return asParent;
  };
  const finishRun = (): void => {
    pins?.release();
    if (opts.kill) for (const p of [...k.processes.values()]) if (p.state === 'alive') exitGroup(k, p, SIGKILL);
    if (!copy) setDowntime();
    thaw();
  };

  if (opts.serve === 'process') {
    let apart: ApartMount;
    try {
      fs.mkdirSync(opts.mount, { recursive: true });
      // The bytes are the child's from here: let the pages go before the container writes to them,
      // so nothing is copied on write; the next incremental learns what changed from write marks.
      apart = await serveApart(w.items, report.id, opts.mount, { allowOther: opts.allowOther, onEncoded: () => pins?.release() });
    } catch (e) {
      pins?.release();
      throw e;
    }
    report.mount = apart.path;
    report.mount_ms = msSince(start);
    if (pins !== null) {
      const { capture } = captureParent(w.items, pins, apart);
      const where = apart.path;
      asParent = {
        capture,
        get image(): Buffer {
          throw new Error(`checkpoint ${report.id} is served by another process: its blob is what \`crfs blob ${where}\` gives`);
        },
      };
    }
    const ended = apart.ended.then((why) => {
      report.ended = why;
      finishRun();
      return report;
    });
    return { mounted: { path: apart.path, superblock: null }, report, ended, end: (why) => apart.end(why), asParent: parentOf };
  }

  // While the container runs on, serve this mount's requests within a millisecond, not ten.
  const unhold = copy ? k.scheduler.holdResponsive() : (): void => undefined;
  let onDone: () => void = () => undefined;
  // The handler runs inside FUSE's write: end only after the write has been answered.
  const done = controlFile(() => setImmediate(() => onDone()));
  let mounted: Mounted;
  try {
    fs.mkdirSync(opts.mount, { recursive: true });
    // Lazy trees must not be served from the page cache once `done` invalidated them.
    ({ mounted } = await mountImage(w.items, opts.mount, {
      done, kernelCache: copy, allowOther: opts.allowOther, uid: opts.uid, gid: opts.gid,
      onRequest: copy ? () => k.scheduler.noteHostRequest() : undefined,
    }));
  } catch (e) {
    unhold();
    pins?.release();
    thaw();
    throw e;
  }
  report.mount = mounted.path;
  report.mount_ms = msSince(start);

  const wait = watchMount(mounted.path, false);
  onDone = () => wait.finish('done');
  const ended = (async (): Promise<LiveReport> => {
    const why = await wait.ended;
    wait.stop();
    report.ended = why;
    // Nothing generated from the tasks may be read once they run again.
    mounted.superblock.invalidate(why);
    await mounted.unmount().catch(() => undefined);
    unhold();
    finishRun();
    return report;
  })();
  return { mounted, report, ended, end: (why) => wait.finish(why), asParent: parentOf };
}
