// Test helpers for the mm checkpoint tests: write mms (and cpus) into a small valid image, read them back.
import { PAGE_SIZE } from '../../lib/arch/riscv64/bus';
import { cpuRecord, restoreCpu } from '../../lib/arch/riscv64/checkpoint';
import { CpuState } from '../../lib/arch/riscv64/state';
import { CollectSink, ImageWriter, readImageItems } from '../../lib/crfs/image/codec';
import type { ImageItem } from '../../lib/crfs/image/schema';
import { zeroRecord } from '../../lib/crfs/image/schema';
import type { ObjType } from '../../lib/crfs/image/record-spec';
import { CheckpointContext, ObjectRestorer, RestoreContext } from '../../lib/emukernel/checkpoint/context';
import { Kernel } from '../../lib/emukernel/kernel';
import { checkpointMm } from '../../lib/emukernel/mm/checkpoint';
import type { Mm } from '../../lib/emukernel/mm/mm';
import type { MappedFile } from '../../lib/emukernel/mm/vma';
import { writePrologue } from '../image/sample-image';

export const P = PAGE_SIZE;

export interface SavedMms {
  image: Buffer;
  /** The objref each mm got, in the order given. */
  refs: number[];
}

/**
 * An image holding one task per mm (pid i+1, children of pid 1), each followed by its mm's objects
 * and, when given, a cpu record: enough structure for the image reader's validation to run.
 */
export function saveMms(mms: readonly Mm[], cpus: readonly CpuState[] = []): SavedMms {
  const sink = new CollectSink();
  const w = new ImageWriter(sink);
  writePrologue(w);
  w.record('tree', {
    nr_tasks: mms.length,
    pids: mms.map((_, i) => ({ vpid: i + 1, vppid: i === 0 ? 0 : 1, vtgid: i + 1, vpgid: 1, vsid: 1, depth: 0 })),
  });
  const ctx = new CheckpointContext(new Kernel(), w);
  const refs = mms.map((mm, i) => {
    w.record('task', { ...zeroRecord('task'), pid: i + 1, comm: `t${i + 1}` });
    const ref = checkpointMm(ctx, mm);
    const cpu = cpus[i];
    if (cpu) w.record('cpu', cpuRecord(cpu));
    return ref;
  });
  w.finish();
  return { image: sink.bytes(), refs };
}

/** Skip the prologue written by writePrologue. */
function skipPrologue(r: RestoreContext): void {
  r.record('head');
  r.string();
  r.string();
  r.string();
  r.record('head_arch');
  r.record('container');
  r.record('sched');
}

/** Reads back what saveMms wrote: the mms by objref (and the cpus, when `cpus` says how many). */
export function loadMms(saved: SavedMms, restorers: Partial<Record<ObjType, ObjectRestorer>>, withCpus = false): { mms: Mm[]; cpus: CpuState[] } {
  const items = readImageItems(saved.image);
  const r = new RestoreContext(new Kernel(), items, restorers);
  skipPrologue(r);
  r.record('tree');
  const cpus: CpuState[] = [];
  for (let i = 0; i < saved.refs.length; i++) {
    r.record('task');
    r.takeObjects();
    if (withCpus) {
      const c = new CpuState();
      restoreCpu(c, r.record('cpu'));
      cpus.push(c);
    }
  }
  r.record('tail');
  return { mms: saved.refs.map((ref) => r.object<Mm>('mm', ref, 'test')), cpus };
}

/**
 * Restores the single mm of a hand-written image (handWriter's start, objref mm 1, mm, …, tail), as the
 * driver would: takeObjects at the objref. Throws what the restorer throws.
 */
export function restoreHandWritten(image: Uint8Array, restorers: Partial<Record<ObjType, ObjectRestorer>>, validate = true): Mm {
  const items: ImageItem[] = readImageItems(image, { validate });
  const r = new RestoreContext(new Kernel(), items, restorers);
  skipPrologue(r);
  r.record('tree');
  r.record('task');
  r.takeObjects();
  return r.object<Mm>('mm', 1, 'test');
}

/** A writer with the prologue, a one-task tree and the task record already written, and the bytes once finished. */
export function handWriter(): { w: ImageWriter; bytes: () => Buffer } {
  const sink = new CollectSink();
  const w = new ImageWriter(sink);
  writePrologue(w);
  w.record('tree', { nr_tasks: 1, pids: [{ vpid: 1, vppid: 0, vtgid: 1, vpgid: 1, vsid: 1, depth: 0 }] });
  w.record('task', { ...zeroRecord('task'), pid: 1, comm: 'init' });
  return { w, bytes: () => { w.finish(); return sink.bytes(); } };
}

/** A file whose byte i is (i * 31 + i / 4096) & 0xff; counts reads and references. */
export class PatternFile implements MappedFile {
  refs = 0;
  reads = 0;
  readonly path: string;
  readonly bytes: Uint8Array;
  constructor(size: number, path = '/data/pattern.bin') {
    this.path = path;
    this.bytes = Uint8Array.from({ length: size }, (_, i) => (i * 31 + Math.floor(i / P)) & 0xff);
  }
  readAt(pos: number, len: number): Uint8Array {
    this.reads++;
    return this.bytes.slice(pos, Math.min(this.bytes.length, pos + len));
  }
  retain(): void { this.refs++; }
  release(): void { this.refs--; }
}

/**
 * What the program would read in page `vpn` of `mm`, without faulting anything in: the present
 * page, else the shared segment's page, else the file's bytes, else zeros. Null when unmapped.
 */
export function visiblePage(mm: Mm, vpn: number): Uint8Array | null {
  const v = mm.vmas.find(vpn * P);
  if (v === null) return null;
  const p = mm.presentPage(vpn);
  if (p !== undefined) return p.bytes;
  if (v.shm !== null) return v.shm.pages.get(v.backingIndex(vpn))?.bytes ?? new Uint8Array(P);
  if (v.file !== null) {
    const out = new Uint8Array(P);
    out.set(v.file.readAt(v.backingIndex(vpn) * P, P).subarray(0, P));
    return out;
  }
  return new Uint8Array(P);
}
