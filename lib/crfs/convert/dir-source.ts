// Loads a crfs tree from a directory (extracted tar, copy, or live mount) into a snapshot, asynchronously.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { TreeError, joinPath } from '../tree/errors';
import { DONE_FILE } from '../tree/layout';
import { MemorySnapshot, TreeSnapshot, checkpointRoot } from './snapshot';

/** Files read at once: enough to keep a FUSE mount busy without running out of descriptors. */
const CONCURRENCY = 16;

/** A counting semaphore for async work. */
class Limit {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly max: number) {}
  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await job();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/**
 * Reads every directory and file under `dir` into memory (hard links keep one identity, from
 * st_dev:st_ino). Never blocks the event loop, so it may read a mount this process serves. The root
 * `done` control file is skipped. Rejects with TreeError for a symlink or special file in the tree,
 * or for a `dir` that holds no crfs tree; with the fs error for anything unreadable.
 */
export async function loadDirSnapshot(dir: string): Promise<TreeSnapshot> {
  const snap = new MemorySnapshot();
  const limit = new Limit(CONCURRENCY);
  const walk = async (abs: string, rel: string): Promise<void> => {
    const entries = await limit.run(() => fsp.readdir(abs, { withFileTypes: true }));
    await Promise.all(entries.map(async (e) => {
      const childAbs = path.join(abs, e.name);
      const childRel = joinPath(rel, e.name);
      if (rel === '' && e.name === DONE_FILE) return;
      if (e.isDirectory()) {
        snap.addDir(childRel);
        await walk(childAbs, childRel);
      } else if (e.isFile()) {
        const [st, data] = await limit.run(() => Promise.all([fsp.lstat(childAbs, { bigint: true }), fsp.readFile(childAbs)]));
        snap.addFile(childRel, data, `${st.dev}:${st.ino}`);
      } else {
        throw new TreeError(childRel, 'is not a regular file or a directory');
      }
    }));
  };
  await walk(dir, '');
  return checkpointRoot(snap, dir);
}
