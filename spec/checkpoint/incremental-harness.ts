// Pre-dump chains in-process: boot an example, capture at cuts (copy mode, each a child of the last), push the last cut incrementally.
import * as path from 'node:path';
import { writeCheckpoint, writeCheckpointWith } from '../../lib/emukernel/checkpoint/checkpoint';
import { ParentCapture, captureParent } from '../../lib/emukernel/checkpoint/incremental';
import { MemoryHostIo } from '../../lib/emukernel/fs/memory-host-io';
import { Kernel } from '../../lib/emukernel/kernel';
import { PagePins } from '../../lib/emukernel/mm/page';
import { CollectSink } from '../../lib/crfs/image/codec';
import { ItemWriter } from '../../lib/crfs/image/item-writer';
import type { ImageItem } from '../../lib/crfs/image/schema';
import { snapshotToBlob } from '../../lib/crfs/convert/to-blob';
import { Superblock } from '../../lib/crfs/fs/superblock';
import { imageTree } from '../../lib/crfs/tree/image-tree';
import { EXAMPLES_DIR } from '../examples/harness';
import { snapshotOfNodes } from '../tree/helpers';
import type { CutRng } from '../restart/harness';

export interface Run { stdout: string; status: number; instructions: number }

/** The examples the copy-mode and incremental tests cut, with their arguments. */
export const CASES: [string, string[]][] = [
  ['pipeline', ['300', '/tmp/out']],
  ['threads', []],
  ['bigmem', []],
  ['signals', []],
  ['fileio', ['/tmp/fileio.d']],
];

export function boot(name: string, args: string[]): { k: Kernel; io: MemoryHostIo } {
  const io = new MemoryHostIo();
  const k = new Kernel({ hostIo: io });
  const host = path.join(EXAMPLES_DIR, name);
  k.importHostFile(host, host);
  k.spawnInit({ path: host, argv: [host, ...args], envp: ['PATH=/bin'], cwd: '/tmp' });
  return { k, io };
}

export async function plain(name: string, args: string[]): Promise<Run> {
  const { k, io } = boot(name, args);
  const r = await k.runToCompletion();
  return { stdout: io.text(1), status: r.status, instructions: r.instructions };
}

/** One checkpoint of a chain: its image, and the stdout the program had written by then. */
export interface Link {
  image: Buffer;
  stdout: string;
  /** With `viaTree`, for a pre-dump: the blob of its live capture's crfs tree (what tar of its mount converts to). */
  treeBlob?: Buffer;
}

/** The blob a live capture's node tree converts back to (no FUSE): what `tar` of its mount gives. */
export function treeBlobOf(items: readonly ImageItem[]): Buffer {
  const tree = imageTree(items);
  const sb = new Superblock(tree.root, { time: tree.timeMs });
  tree.link(sb);
  return snapshotToBlob(snapshotOfNodes(sb));
}

/**
 * Runs the program with a pre-dump (copy-mode capture, id i + 1, each a child of the one before) at
 * every cut but the last, and an incremental push checkpoint (frozen, a child of the last pre-dump)
 * at the last; the program runs on to its end. Returns the links in order and the run. With
 * `releaseEarly`, each pre-dump's pins are released as soon as its image is encoded (as a
 * checkpoint served by another process does), so its child learns what changed from write marks.
 */
export async function chainAt(
  name: string, args: string[], cuts: readonly number[], viaTree = false, releaseEarly = false,
): Promise<{ links: Link[]; run: Run }> {
  const { k, io } = boot(name, args);
  const links: Link[] = [];
  const pins: PagePins[] = [];
  const captures: ImageItem[][] = [];
  let parent: ParentCapture | null = null;
  const arm = (i: number): void => {
    k.scheduler.instructionTarget = cuts[i];
    k.scheduler.onInstructionTarget = () => {
      k.scheduler.freeze();
      if (i < cuts.length - 1) {
        const w = new ItemWriter({ copyBuffers: true });
        const p = new PagePins();
        writeCheckpointWith(k, w, { id: i + 1, pins: p, parent });
        const got = captureParent(w.items, p);
        pins.push(p);
        captures.push(w.items);
        parent = got.capture;
        links.push({ image: got.image, stdout: io.text(1) });
        if (releaseEarly) p.release();
        arm(i + 1);
      } else {
        const sink = new CollectSink();
        writeCheckpoint(k, sink, { id: i + 1, parent });
        links.push({ image: sink.bytes(), stdout: io.text(1) });
      }
      k.scheduler.thaw();
    };
  };
  arm(0);
  const r = await k.runToCompletion();
  // While the pins still hold the captured pages.
  if (viaTree) captures.forEach((items, i) => { links[i].treeBlob = treeBlobOf(items); });
  for (const p of pins) p.release();
  return { links, run: { stdout: io.text(1), status: r.status, instructions: r.instructions } };
}

/** A complete push image at `cut` with checkpoint id `id`. */
export async function pushAt(name: string, args: string[], cut: number, id: number): Promise<Buffer> {
  const { k } = boot(name, args);
  let image: Buffer = Buffer.alloc(0);
  k.scheduler.instructionTarget = cut;
  k.scheduler.onInstructionTarget = () => {
    k.scheduler.freeze();
    const sink = new CollectSink();
    writeCheckpoint(k, sink, { id });
    image = sink.bytes();
    k.scheduler.thaw();
  };
  await k.runToCompletion();
  return image;
}

export function count(items: readonly ImageItem[], name: string): number {
  let n = 0;
  for (const it of items) if (it.kind === 'record' && it.name === name) n += name === 'pgref' || name === 'pgarr' ? (it.value as { nr_pages: number }).nr_pages : 1;
  return n;
}

/** Two distinct ascending cuts inside a run of `total` instructions (more when asked). */
export function cutsOf(rng: CutRng, total: number, n: number): number[] {
  const set = new Set<number>();
  while (set.size < n) set.add(rng.cut(total));
  return [...set].sort((a, b) => a - b);
}

