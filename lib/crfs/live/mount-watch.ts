// Waiting on a crfs mount from its serving process: until it is unmounted from outside, or a signal asks us to stop.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listFuseMounts } from '../fs/mount-registry';

/** How often the mount table is polled: Mounted exposes no unmount event, and fusermount -u tells the server nothing we can await. */
const POLL_MS = 100;

/** Why a wait ended. */
export type MountEnd = 'unmounted' | 'SIGINT' | 'SIGTERM' | 'done';

/** The path the kernel's mount table shows for mount point `dir` (its parent resolved; `dir` itself is not touched, it may be served by us). */
export function mountTablePath(dir: string): string {
  const abs = path.resolve(dir);
  try {
    return path.join(fs.realpathSync(path.dirname(abs)), path.basename(abs));
  } catch {
    return abs;
  }
}

export interface MountWait {
  /** Resolves with the first of: the mount vanished, a signal, or `finish(reason)` was called. */
  readonly ended: Promise<MountEnd>;
  /** Ends the wait from inside (e.g. `done` was written). */
  finish(reason: MountEnd): void;
  /** Stops polling and removes the signal handlers; call once the wait is over. */
  stop(): void;
}

/**
 * Watches mount point `dir` (already mounted) and, when `signals`, SIGINT/SIGTERM (which then no
 * longer end the process by default: the caller unmounts and exits). Never rejects.
 */
export function watchMount(dir: string, signals: boolean): MountWait {
  const where = mountTablePath(dir);
  let resolve!: (r: MountEnd) => void;
  const ended = new Promise<MountEnd>((r) => { resolve = r; });
  let over = false;
  const finish = (r: MountEnd): void => {
    if (over) return;
    over = true;
    resolve(r);
  };
  let timer: NodeJS.Timeout | null = null;
  const poll = (): void => {
    void listFuseMounts().then((m) => {
      if (over) return;
      if (!m.has(where)) finish('unmounted');
      else timer = setTimeout(poll, POLL_MS);
    });
  };
  timer = setTimeout(poll, POLL_MS);
  const onInt = (): void => finish('SIGINT');
  const onTerm = (): void => finish('SIGTERM');
  if (signals) {
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  }
  return {
    ended,
    finish,
    stop(): void {
      over = true;
      if (timer) clearTimeout(timer);
      if (signals) {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
      }
    },
  };
}
