// Pre-dumps and incremental checkpoints: a chain of copy-mode captures, each child naming its parent's unchanged pages, restarts at random cuts.
import test from 'ava';
import { writeCheckpoint, writeCheckpointWith } from '../../lib/emukernel/checkpoint/checkpoint';
import { CASES, Run, boot, chainAt, count, cutsOf, plain, pushAt } from './incremental-harness';
import { CheckpointError, RestoreError } from '../../lib/emukernel/checkpoint/context';
import { captureParent, indexImagePages } from '../../lib/emukernel/checkpoint/incremental';
import { restoreKernel } from '../../lib/emukernel/checkpoint/restart';
import { MemoryHostIo } from '../../lib/emukernel/fs/memory-host-io';
import { PagePins } from '../../lib/emukernel/mm/page';
import { CollectSink, readImageItems } from '../../lib/crfs/image/codec';
import { encodeItems } from '../../lib/crfs/image/encode-items';
import { ImageError } from '../../lib/crfs/image/errors';
import { ItemWriter } from '../../lib/crfs/image/item-writer';
import type { ImageItem } from '../../lib/crfs/image/schema';
import { CutRng, SEED } from '../restart/harness';
import { snapshotToBlob } from '../../lib/crfs/convert/to-blob';
import { listNodes, snapshotOfNodes, treeWithSuperblock } from '../tree/helpers';

async function restartRun(image: Buffer, parents: Buffer[]): Promise<Run> {
  const io = new MemoryHostIo();
  const k = restoreKernel(image, { hostIo: io }, { parents });
  const r = await k.runToCompletion();
  return { stdout: io.text(1), status: r.status, instructions: r.instructions };
}


for (const [name, args] of CASES) {
  test(`${name}: restart from an incremental image and its pre-dump continues the run (random cut pairs)`, async (t) => {
    const base = await plain(name, args);
    const rng = new CutRng(SEED, `incremental-${name}`);
    let refs = 0;
    for (let round = 0; round < 2; round++) {
      const cuts = cutsOf(rng, base.instructions, 2);
      const why = `[CRFS_SEED=${SEED} ${name} cuts ${cuts.join(' ')}]`;
      const { links, run } = await chainAt(name, args, cuts);
      t.deepEqual(run, base, `pre-dump and incremental checkpoint do not change the run ${why}`);
      const [pre, child] = links;
      const items = readImageItems(child.image);
      refs += count(items, 'pgref');
      const full = await pushAt(name, args, cuts[1], 2);
      // Restored from the chain, the container is the one a complete image of the cut holds.
      const k = restoreKernel(child.image, {}, { parents: [pre.image] });
      k.scheduler.freeze();
      const again = new CollectSink();
      writeCheckpoint(k, again, { id: 2 });
      t.true(again.bytes().equals(full), `the chain restores the state of the cut ${why}`);
      const rest = await restartRun(child.image, [pre.image]);
      t.is(child.stdout + rest.stdout, base.stdout, why);
      t.is(rest.status, base.status, why);
      t.is(rest.instructions, base.instructions, why);
      if (count(items, 'pgref') > 0) t.true(child.image.length < full.length, `pgref pages are not carried ${why}`);
      if (round === 0) {
        // The parent's pins let go at once: the page table's write marks tell the same story.
        const early = await chainAt(name, args, cuts, false, true);
        t.deepEqual(early.run, base, why);
        t.true(early.links[1].image.equals(child.image), `write marks find exactly the pages the held snapshot does ${why}`);
      }
    }
    if (name === 'bigmem') t.true(refs > 0, 'bigmem leaves pages unchanged between cuts, and the child refers to them');
  });
}

for (const [name, args] of [CASES[1], CASES[2]]) {
  test(`${name}: a chain of three (two pre-dumps, then an incremental push) restarts with its parents in any order`, async (t) => {
    const base = await plain(name, args);
    const rng = new CutRng(SEED, `chain-${name}`);
    const cuts = cutsOf(rng, base.instructions, 3);
    const why = `[CRFS_SEED=${SEED} ${name} cuts ${cuts.join(' ')}]`;
    const { links, run } = await chainAt(name, args, cuts, true);
    t.deepEqual(run, base, why);
    const [a, b, c] = links;
    // The crfs tree of each live capture, the incremental one included, converts to its push bytes.
    t.true(a.treeBlob?.equals(a.image), `the complete pre-dump's tree converts to its blob ${why}`);
    t.true(b.treeBlob?.equals(b.image), `the incremental pre-dump's tree converts to its blob ${why}`);
    const { sb } = treeWithSuperblock(c.image);
    t.true(snapshotToBlob(snapshotOfNodes(sb)).equals(c.image), `the stored incremental image's tree converts back ${why}`);
    const nodes = listNodes(sb);
    t.true([...nodes.keys()].includes('parent/checksum'), why);
    const rest = await restartRun(c.image, [a.image, b.image]);
    t.is(c.stdout + rest.stdout, base.stdout, why);
    t.is(rest.status, base.status, why);
    // Pages untouched since the first cut are pgref in both children: the last resolves them through the middle one.
    const ia = indexImagePages(readImageItems(a.image), null);
    const ib = indexImagePages(readImageItems(b.image), ia);
    t.true(count(readImageItems(c.image), 'pgref') > 0, why);
    let throughB = 0;
    for (const [pid, pages] of indexImagePages(readImageItems(c.image), ib)) {
      for (const [vpn, view] of pages) if (ia.get(pid)?.get(vpn) === view) throughB++;
    }
    t.true(throughB > 0, `some pages of the last image are the first image's ${why}`);
    const err = t.throws(() => restoreKernel(c.image, {}, { parents: [b.image] }), { instanceOf: RestoreError });
    t.regex(err?.message ?? '', /^parent checkpoint 2: record 'parent' at offset \d+: parent checkpoint 1 is not among the 1 parent image\(s\) given$/);
  });
}

test('hostile chains: a missing parent, a wrong parent, a page the parent lacks, parents for a complete image, a released parent', async (t) => {
  const [name, args] = CASES[2];
  const base = await plain(name, args);
  const rng = new CutRng(SEED, 'incremental-hostile');
  const cuts = cutsOf(rng, base.instructions, 2);
  const why = `[CRFS_SEED=${SEED} cuts ${cuts.join(' ')}]`;
  const { links: [pre, child] } = await chainAt(name, args, cuts);
  const missing = t.throws(() => restoreKernel(child.image), { instanceOf: RestoreError });
  t.regex(missing?.message ?? '', /^image: record 'parent' at offset \d+: parent checkpoint 1 is not among the 0 parent image\(s\) given$/, why);
  // Another pre-dump with the same id at another instruction: same id, other bytes.
  const other = await pushAt(name, args, cuts[0] === 1 ? 2 : cuts[0] - 1, 1);
  const wrong = t.throws(() => restoreKernel(child.image, {}, { parents: [other] }), { instanceOf: RestoreError });
  t.regex(wrong?.message ?? '', /^image: record 'parent' at offset \d+: parent checkpoint 1 given has checksum 0x[0-9a-f]+ and \d+ bytes, this image names checksum 0x[0-9a-f]+ and \d+ bytes$/, why);
  const complete = t.throws(() => restoreKernel(pre.image, {}, { parents: [pre.image] }), { instanceOf: RestoreError });
  t.is(complete?.message, 'image: has no parent record (it is complete), but parent images were given');
  const broken = t.throws(() => restoreKernel(child.image, {}, { parents: [Buffer.from(pre.image.subarray(0, 100))] }), { instanceOf: RestoreError });
  t.regex(broken?.message ?? '', /^parent image 1: image: /);

  // A pgref naming an mm the parent does not have, and one naming a page the parent's mm lacks.
  const items = readImageItems(child.image);
  const parentIndex = indexImagePages(readImageItems(pre.image), null);
  const badPid = items.map((it) => (it.kind === 'record' && it.name === 'pgref' ? { ...it, value: { ...it.value, pid: 4000000 } } : it)) as ImageItem[];
  const e1 = t.throws(() => restoreKernel(encode(badPid), {}, { parents: [pre.image] }), { instanceOf: RestoreError });
  t.regex(e1?.message ?? '', /^image: record 'pgref' at offset \d+: page 0x[0-9a-f]+ is not in the parent's mm of pid 4000000$/, why);
  const lacking = lackingPage(items, parentIndex);
  t.not(lacking, null, `some vma holds a page the parent lacks below its first reference ${why}`);
  if (lacking !== null) {
    const e2 = t.throws(() => restoreKernel(encode(lacking), {}, { parents: [pre.image] }), { instanceOf: RestoreError });
    t.regex(e2?.message ?? '', /^image: record 'pgref' at offset \d+: page 0x[0-9a-f]+ is not in the parent's mm of pid \d+$/, why);
  }
  // A pgref in a complete image is refused by the reader.
  const noParent = items.filter((it) => !(it.kind === 'record' && it.name === 'parent'));
  const e3 = t.throws(() => readImageItems(encode(noParent)), { instanceOf: ImageError });
  t.regex(e3?.message ?? '', /^image: record 'pgref' at offset \d+: a page reference in an image with no parent record$/);

  // Released pins that never held a page table: nothing can tell what changed.
  const { k } = boot(name, args);
  k.scheduler.instructionTarget = cuts[0];
  let refused = '';
  k.scheduler.onInstructionTarget = () => {
    k.scheduler.freeze();
    const w = new ItemWriter({ copyBuffers: true });
    const p = new PagePins();
    writeCheckpointWith(k, w, { id: 1, pins: p });
    const none = new PagePins();
    const { capture } = captureParent(w.items, none);
    p.release();
    none.release();
    try {
      writeCheckpointWith(k, new ItemWriter(), { id: 2, parent: capture });
    } catch (e) {
      if (e instanceof CheckpointError) refused = e.message;
    }
    k.scheduler.thaw();
  };
  await k.runToCompletion();
  t.is(refused, 'parent checkpoint 1: its pages are released and it kept no write marks, so an incremental checkpoint cannot tell what changed');
});

function encode(items: readonly ImageItem[]): Buffer {
  const sink = new CollectSink();
  encodeItems(items, sink);
  return sink.bytes();
}

/**
 * The items with one pgref's addresses replaced by a single page of its vma, below the vma's
 * first page, that the parent's mm lacks (the vma's first pages then come from nowhere): null if no
 * vma has such a gap before a pgref that opens it.
 */
function lackingPage(items: readonly ImageItem[], parent: ReturnType<typeof indexImagePages>): ImageItem[] | null {
  let vma: { start: number } | null = null;
  let opening = false;
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    if (it.kind === 'record' && it.name === 'vma') { vma = { start: it.value.vm_start }; opening = true; continue; }
    if (it.kind === 'record' && it.name === 'pgarr') { opening = false; continue; }
    if (!(it.kind === 'record' && it.name === 'pgref') || !opening || vma === null) continue;
    opening = false;
    const addrsItem = items[i + 1];
    if (addrsItem.kind !== 'addresses') return null;
    const pages = parent.get(it.value.pid);
    for (let a = vma.start; a < addrsItem.addrs[0]; a += 4096) {
      if (pages?.has(a / 4096)) continue;
      const out = items.slice();
      out[i + 1] = { ...addrsItem, addrs: [a] };
      return out;
    }
  }
  return null;
}
