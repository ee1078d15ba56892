// Address spaces through an image: VMAs, every byte, presence, brk, auxv, shared memory across a fork, the vDSO.
import test, { ExecutionContext } from 'ava';
import { readImageItems } from '../../lib/crfs/image/codec';
import { CheckpointContext, CheckpointError } from '../../lib/emukernel/checkpoint/context';
import { Kernel } from '../../lib/emukernel/kernel';
import { VDSO_BASE, TRAMPOLINE_CODE, mapVdso } from '../../lib/emukernel/exec/vdso';
import { checkpointMm, mmRestorers } from '../../lib/emukernel/mm/checkpoint';
import { restoreMm } from '../../lib/emukernel/mm/checkpoint-restore';
import { STACK_SIZE, STACK_TOP } from '../../lib/emukernel/mm/layout';
import { Mm } from '../../lib/emukernel/mm/mm';
import {
  MAP_ANONYMOUS, MAP_PRIVATE, MAP_SHARED, mapRegion, protectRegion, setBrk, unmapRegion,
} from '../../lib/emukernel/mm/ops';
import { PagePool } from '../../lib/emukernel/mm/page';
import { PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE, Vma, VM_GROWSDOWN, VM_NORESERVE, VM_SHARED, VM_STACK } from '../../lib/emukernel/mm/vma';
import { P, PatternFile, SavedMms, handWriter, loadMms, saveMms, visiblePage } from './mm-image';

const RW = PROT_READ | PROT_WRITE;
const TEXT = 0x10000;
const HEAP = 0x40000;

function mapAnon(mm: Mm, len: number, prot = RW, extra = 0): number {
  return mapRegion(mm, { addr: 0, len, prot, flags: MAP_PRIVATE | MAP_ANONYMOUS | extra, file: null, offset: 0 });
}

function fill(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed * 13 + (i >> 9)) & 0xff);
}

interface World {
  parent: Mm;
  child: Mm;
  pool: PagePool;
  file: PatternFile;
  shared: number;
  stackTouched: number;
  gap: number;
  guarded: number;
  big: number;
  mapped: number;
}

/**
 * A parent built like an exec'd program (text, data, brk heap, stack, vDSO) plus anonymous, PROT_NONE,
 * MAP_SHARED and file mappings, then forked: the child breaks COW on one heap page, writes the shared
 * memory and unmaps part of it.
 */
function buildWorld(): World {
  const pool = new PagePool();
  const mm = new Mm(pool);
  mm.vmas.insert(new Vma(TEXT, TEXT + 3 * P, PROT_READ | PROT_EXEC, 0, '/bin/prog'));
  mm.poke(TEXT, fill(3 * P - 100, 1));
  mm.vmas.insert(new Vma(TEXT + 3 * P, TEXT + 4 * P, RW, 0, '/bin/prog'));
  mm.poke(TEXT + 3 * P, fill(200, 2));
  mm.startBrk = mm.brk = HEAP;
  setBrk(mm, HEAP + 5 * P + 123);
  mm.writeU32(HEAP + 8, 0xdeadbeef);
  mm.writeU32(HEAP + 3 * P + 4, 0x01020304);
  const gap = mapAnon(mm, 4 * P, PROT_NONE);
  const guarded = mapAnon(mm, 3 * P);
  mm.write(guarded + P, fill(P, 3));
  protectRegion(mm, guarded + P, P, PROT_NONE); // a PROT_NONE page that still holds data
  const big = mapAnon(mm, 64 * P, RW, 0x4000 /* MAP_NORESERVE */);
  for (const i of [0, 17, 40, 63]) mm.writeU32(big + i * P + 12, i + 1);
  mm.read(big + 5 * P, 16); // a read of untouched anonymous memory creates nothing
  const shared = mapRegion(mm, { addr: 0, len: 4 * P, prot: RW, flags: MAP_SHARED | MAP_ANONYMOUS, file: null, offset: 0 });
  mm.writeU32(shared, 0x5a5a0001);
  mm.writeU32(shared + 2 * P + 8, 0x5a5a0003);
  const file = new PatternFile(5 * P + 300);
  const mapped = mapRegion(mm, { addr: 0, len: 6 * P, prot: RW, flags: MAP_PRIVATE, file, offset: P });
  mm.read(mapped, 8); // faulted in, unchanged
  mm.writeU32(mapped + 2 * P, 0x77777777); // a private change the file never sees
  mm.vmas.insert(new Vma(STACK_TOP - STACK_SIZE, STACK_TOP, RW, VM_GROWSDOWN, '[stack]'));
  const stackTouched = STACK_TOP - 3 * P;
  mm.poke(stackTouched, fill(2 * P + 40, 4));
  mapVdso(mm);
  mm.layout = {
    startCode: TEXT, endCode: TEXT + 3 * P - 100, startData: TEXT + 3 * P, endData: TEXT + 3 * P + 200,
    startStack: stackTouched + 16, argStart: STACK_TOP - 2 * P, argEnd: STACK_TOP - 2 * P + 30,
    envStart: STACK_TOP - 2 * P + 30, envEnd: STACK_TOP - 2 * P + 60,
  };
  mm.exePath = '/bin/prog';
  mm.auxv = [[6, 4096], [25, stackTouched + 32], [9, TEXT + 0x100], [0, 0]];

  const child = mm.fork();
  child.writeU32(HEAP + 8, 0xc0ffee00); // COW break
  child.writeU32(shared + P + 4, 0x5a5a0002); // a shared page only the child touched
  child.writeU32(shared + 2 * P + 8, 0x5a5a0033); // visible in the parent too
  unmapRegion(child, shared + 3 * P, P);
  return { parent: mm, child, pool, file, shared, stackTouched, gap, guarded, big, mapped };
}

/** The VMA list as comparable plain values (the backing objects by kind only). */
function shape(mm: Mm): unknown[] {
  return mm.vmas.all().map((v) => ({ start: v.start, end: v.end, prot: v.prot, flags: v.flags, name: v.name, pgoff: v.pgoff, shm: v.shm !== null }));
}

function presentVpns(mm: Mm, v: Vma): number[] {
  return [...mm.presentPages(v)].map(([vpn]) => vpn);
}

/** Every page of every VMA reads the same in both mms (what the program would see, nothing faulted in). */
function assertSameBytes(t: ExecutionContext, a: Mm, b: Mm): void {
  let pages = 0;
  for (const v of a.vmas.all()) {
    for (let vpn = v.start / P; vpn < v.end / P; vpn++) {
      const x = visiblePage(a, vpn), y = visiblePage(b, vpn);
      if (x === null || y === null || !Buffer.from(x).equals(Buffer.from(y))) {
        t.fail(`page 0x${(vpn * P).toString(16)} differs`);
        return;
      }
      pages++;
    }
  }
  t.true(pages > 2048, 'the stack alone is 2048 pages');
}

function roundTrip(w: World): { saved: SavedMms; parent: Mm; child: Mm; pool: PagePool } {
  const saved = saveMms([w.parent, w.child]);
  const pool = new PagePool();
  const { mms } = loadMms(saved, { mm: (r) => restoreMm(r, pool) });
  return { saved, parent: mms[0], child: mms[1], pool };
}

test('VMAs, brk, layout, auxv and the executable path come back as they were', (t) => {
  const w = buildWorld();
  const { parent, child } = roundTrip(w);
  for (const [orig, back] of [[w.parent, parent], [w.child, child]] as const) {
    t.deepEqual(shape(back), shape(orig));
    t.is(back.brk, orig.brk);
    t.is(back.startBrk, orig.startBrk);
    t.deepEqual(back.layout, orig.layout);
    t.deepEqual(back.auxv, orig.auxv);
    t.is(back.exePath, '/bin/prog');
  }
  t.is(parent.vmas.length, 12, 'text, data, heap, PROT_NONE gap, 3 guarded pieces, big, shared, file, stack, vdso');
  t.is(child.vmas.find(w.shared)?.end, w.shared + 3 * P, "the child's partial unmap of the shared memory is kept");
  const stack = parent.vmas.find(STACK_TOP - P);
  t.is(stack?.flags, VM_GROWSDOWN);
  t.is(parent.vmas.find(w.big)?.flags, VM_NORESERVE);
});

test('every byte of every mapping reads the same after restore', (t) => {
  const w = buildWorld();
  const { parent, child } = roundTrip(w);
  assertSameBytes(t, w.parent, parent);
  assertSameBytes(t, w.child, child);
  t.is(parent.readU32(HEAP + 8), 0xdeadbeef);
  t.is(child.readU32(HEAP + 8), 0xc0ffee00, "the child's copy-on-write page is its own");
  t.deepEqual(parent.peek(w.guarded + P, P), fill(P, 3), 'the PROT_NONE page kept its data');
  t.is(parent.readU32(w.guarded + P), null, 'and is still inaccessible');
});

test('untouched pages stay absent: no zero pages are written or created', (t) => {
  const w = buildWorld();
  const { saved, parent, child, pool } = roundTrip(w);
  for (const [orig, back] of [[w.parent, parent], [w.child, child]] as const) {
    for (const v of orig.vmas.all()) {
      if (v.file !== null || v.shm !== null || v.name === '[vdso]') continue;
      const rv = back.vmas.find(v.start) as Vma;
      t.deepEqual(presentVpns(back, rv), presentVpns(orig, v), `${v.name || 'anon'} at 0x${v.start.toString(16)}`);
    }
  }
  const big = parent.vmas.find(w.big) as Vma;
  t.deepEqual(presentVpns(parent, big), [0, 17, 40, 63].map((i) => w.big / P + i));
  t.is(presentVpns(parent, parent.vmas.find(w.gap) as Vma).length, 0, 'the PROT_NONE gap has no pages');
  // Pages in the image: per mm its private pages (all 6 of the file mapping), plus 3 shared ones once.
  const pagesIn = readImageItems(saved.image).reduce((n, i) => n + (i.kind === 'pages' ? i.pages.length : 0), 0);
  const privateCount = (mm: Mm): number => mm.vmas.all().reduce((n, v) => {
    if (v.shm !== null || v.name === '[vdso]') return n;
    return n + (v.file !== null ? v.pages : presentVpns(mm, v).length);
  }, 0);
  const expected = privateCount(w.parent) + privateCount(w.child) + 3;
  t.is(pagesIn, expected);
  // The restored pool holds exactly those pages plus the two fresh vDSO pages: nothing else was made.
  t.is(pool.stats.live, expected + 2);
});

test('the checkpoint walk leaves the address spaces untouched', (t) => {
  const w = buildWorld();
  const before = {
    live: w.pool.stats.live, copies: w.pool.stats.copies, parent: w.parent.presentCount, child: w.child.presentCount,
    gp: w.parent.generation, gc: w.child.generation, shm: [...(w.parent.vmas.find(w.shared)?.shm?.pages.keys() ?? [])],
  };
  saveMms([w.parent, w.child]);
  t.deepEqual({
    live: w.pool.stats.live, copies: w.pool.stats.copies, parent: w.parent.presentCount, child: w.child.presentCount,
    gp: w.parent.generation, gc: w.child.generation, shm: [...(w.parent.vmas.find(w.shared)?.shm?.pages.keys() ?? [])],
  }, before);
  t.true(w.file.reads > 0, 'the unfaulted file pages were read from the file');
});

test('shared memory is still shared after restore, between the two mms', (t) => {
  const w = buildWorld();
  const { parent, child } = roundTrip(w);
  const ps = parent.vmas.find(w.shared) as Vma, cs = child.vmas.find(w.shared) as Vma;
  t.not(ps.shm, null);
  t.is(ps.shm, cs.shm, 'one segment object');
  t.is(ps.shm?.refs, 2, 'held by both VMAs');
  t.is(parent.readU32(w.shared + 2 * P + 8), 0x5a5a0033);
  t.is(parent.readU32(w.shared + P + 4), 0x5a5a0002, "the page only the child touched");
  t.true(child.writeU32(w.shared + 4, 0x11112222));
  t.is(parent.readU32(w.shared + 4), 0x11112222, 'a write in the child is seen by the parent');
  t.true(parent.writeU32(w.shared + 2 * P, 0x33334444));
  t.is(child.readU32(w.shared + 2 * P), 0x33334444, 'and the other way');
  t.true(parent.writeU32(w.shared + 3 * P, 9), "the parent's part the child unmapped is still there");
  t.is(child.readU32(w.shared + 3 * P), null);
});

test('private pages never alias the image or each other', (t) => {
  const w = buildWorld();
  const { saved, parent, child } = roundTrip(w);
  saved.image.fill(0xaa);
  t.is(parent.readU32(HEAP + 3 * P + 4), 0x01020304);
  t.is(parent.readU32(w.big + 17 * P + 12), 18);
  t.true(child.writeU32(HEAP + 3 * P + 4, 5));
  t.is(parent.readU32(HEAP + 3 * P + 4), 0x01020304, "the child's write stays in the child");
});

test('a private file mapping is saved whole and reads the same: faulted, changed and never-touched pages', (t) => {
  const w = buildWorld();
  const { saved, parent } = roundTrip(w);
  const v = parent.vmas.find(w.mapped) as Vma;
  t.is(v.name, '/data/pattern.bin');
  t.is(v.file, null, 'restored as private memory: the image carries no file reference');
  t.is(presentVpns(parent, v).length, 6);
  t.deepEqual(parent.read(w.mapped + P, P), w.file.bytes.subarray(2 * P, 3 * P), 'an untouched page holds the file bytes');
  t.is(parent.readU32(w.mapped + 2 * P), 0x77777777, 'the private change is kept');
  const tail = parent.read(w.mapped + 4 * P, P) as Uint8Array;
  t.deepEqual(tail.subarray(0, 300), w.file.bytes.subarray(5 * P, 5 * P + 300));
  t.true(tail.subarray(300).every((b) => b === 0), 'zeros past EOF');
  const fileVma = readImageItems(saved.image).find((i) => i.kind === 'record' && i.name === 'vma' && i.value.vm_start === w.mapped);
  t.true(fileVma?.kind === 'record' && fileVma.name === 'vma' && fileVma.value.vma_type === 'file');
});

test('the vDSO is mapped afresh, not loaded from the image', (t) => {
  const w = buildWorld();
  const { saved, parent } = roundTrip(w);
  const items = readImageItems(saved.image);
  t.false(items.some((i) => i.kind === 'pages' && i.addrs.includes(VDSO_BASE)), 'no vDSO bytes in the image');
  const ctx = items.find((i) => i.kind === 'record' && i.name === 'mm_context');
  t.true(ctx?.kind === 'record' && ctx.name === 'mm_context' && ctx.value.vdso === VDSO_BASE);
  const v = parent.vmas.find(VDSO_BASE) as Vma;
  t.is(v.name, '[vdso]');
  t.is(v.prot, PROT_READ | PROT_EXEC);
  t.is(parent.readU32(VDSO_BASE), TRAMPOLINE_CODE[0]);
  t.is(parent.readU32(VDSO_BASE + 4), TRAMPOLINE_CODE[1]);
});

test('VMA boundaries survive even where neighbours could merge, and MAP_STACK is kept', (t) => {
  const mm = new Mm(new PagePool());
  const a = mapAnon(mm, 6 * P, RW, 0x20000 /* MAP_STACK */);
  mm.vmas.splitAt(a + 2 * P); // two compatible halves, as a moved-from mremap(MREMAP_DONTUNMAP) leaves them
  mm.writeU32(a + 2 * P, 1);
  t.is(mm.vmas.length, 2);
  const { mms } = loadMms(saveMms([mm]), mmRestorers);
  t.deepEqual(shape(mms[0]), shape(mm));
  t.is(mms[0].vmas.all()[0].flags, VM_STACK);
});

test('an empty mm and one without an executable path round-trip', (t) => {
  const mm = new Mm(new PagePool());
  const { mms } = loadMms(saveMms([mm]), mmRestorers);
  t.is(mms[0].vmas.length, 0);
  t.is(mms[0].exePath, '');
  t.is(mms[0].presentCount, 0);
});

test('long VMA names are cut to the 31 bytes the record holds, at a character boundary', (t) => {
  const mm = new Mm(new PagePool());
  const name = '/very/long/directory/name/é/program-binary';
  mm.vmas.insert(new Vma(TEXT, TEXT + P, PROT_READ, 0, name));
  mm.exePath = name;
  const back = loadMms(saveMms([mm]), mmRestorers).mms[0];
  const got = back.vmas.all()[0].name;
  t.true(name.startsWith(got));
  t.true(Buffer.byteLength(got) <= 31);
  t.is(back.exePath, name, 'the executable path is whole');
});

test('an mm that cannot be saved fails the checkpoint before any of it is written', (t) => {
  const cases: [string, (mm: Mm) => void, RegExp][] = [
    ['shared file mapping', (mm) => {
      const f = new PatternFile(P);
      f.retain();
      mm.vmas.insert(new Vma(TEXT, TEXT + P, RW, VM_SHARED, f.path, f));
    }, /^mm: shared file mapping \/data\/pattern\.bin at 0x10000 cannot be saved$/],
    ['auxv', (mm) => { mm.auxv = Array.from({ length: 33 }, (_, i) => [i, i] as const); }, /^mm: auxv has 33 entries, the image holds 32$/],
  ];
  for (const [what, spoil, message] of cases) {
    const mm = new Mm(new PagePool());
    mapAnon(mm, 2 * P);
    spoil(mm);
    const { w, bytes } = handWriter();
    const ctx = new CheckpointContext(new Kernel(), w);
    const e = t.throws(() => checkpointMm(ctx, mm), { instanceOf: CheckpointError, message }, what);
    w.error(e?.errno ?? 0, e?.message ?? '');
    // What the driver writes after the failure reads back as a failed checkpoint, not as a torn mm.
    const items = readImageItems(bytes());
    t.false(items.some((i) => i.kind === 'record' && (i.name === 'mm' || i.name === 'objref')), what);
    t.true(items.some((i) => i.kind === 'string' && message.test(i.text)), what);
  }
});
