// restoreMm refuses images that decode but contradict themselves, naming the record and its offset.
import test, { ExecutionContext } from 'ava';
import type { ImageWriter } from '../../lib/crfs/image/codec';
import { RecordValue, zeroRecord } from '../../lib/crfs/image/schema';
import { RestoreError } from '../../lib/emukernel/checkpoint/context';
import { VDSO_BASE } from '../../lib/emukernel/exec/vdso';
import { mmRestorers } from '../../lib/emukernel/mm/checkpoint';
import { TASK_SIZE } from '../../lib/emukernel/mm/layout';
import { P, handWriter, restoreHandWritten } from './mm-image';

type VmaIn = Partial<RecordValue<'vma'>> & { vm_start: number; vm_end: number };

const ANON_RW = 0x73; // VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC
const SHARED_RW = 0xfb; // ... | VM_SHARED | VM_MAYSHARE

function vma(w: ImageWriter, v: VmaIn, pages: number[] = []): void {
  w.record('vma', { ...zeroRecord('vma'), vma_type: 'anon', vm_page_prot: 3, vm_flags: ANON_RW, ...v });
  if (pages.length) w.pages(pages, pages.map(() => new Uint8Array(P).fill(7)));
  w.endVma();
}

/** An image with one mm: `body` writes its VMAs (and segments); map_count and mm_context as given. */
function image(mapCount: number, body: (w: ImageWriter) => void, mm: Partial<RecordValue<'mm'>> = {}, vdso = 0): Buffer {
  const { w, bytes } = handWriter();
  w.objref('mm', 1);
  w.record('mm', { ...zeroRecord('mm'), map_count: mapCount, ...mm });
  body(w);
  w.record('mm_context', { vdso });
  return bytes();
}

function refuses(t: ExecutionContext, img: Buffer, record: string, detail: RegExp, validate = true): void {
  const e = t.throws(() => restoreHandWritten(img, mmRestorers, validate), { instanceOf: RestoreError });
  if (!e) return;
  t.regex(e.message, new RegExp(`^image: record '${record}' at offset \\d+: `));
  t.regex(e.message, detail);
}

test('a well-formed hand-written mm restores (the baseline the other cases break)', (t) => {
  const mm = restoreHandWritten(image(2, (w) => {
    vma(w, { vm_start: 0x10000, vm_end: 0x12000 }, [0x11000]);
    vma(w, { vm_start: 0x20000, vm_end: 0x21000, vm_page_prot: 1, vm_flags: 0x71 });
  }, { start_brk: 0x30000, brk: 0x30010 }), mmRestorers);
  t.is(mm.vmas.length, 2);
  t.is(mm.presentCount, 1);
  t.is(mm.readU32(0x11000), 0x07070707);
  t.is(mm.brk, 0x30010);
});

test('a VMA outside user space', (t) => {
  // Below 2^47 the image reader lets it through; this kernel's user space ends at TASK_SIZE.
  refuses(t, image(1, (w) => vma(w, { vm_start: TASK_SIZE, vm_end: TASK_SIZE + P })), 'vma', /outside user space/);
  refuses(t, image(1, (w) => vma(w, { vm_start: 0x1000, vm_end: 0x2000 })), 'vma', /0x1000-0x2000 is outside user space/);
});

test('overlapping or out-of-order VMAs', (t) => {
  const img = image(2, (w) => {
    vma(w, { vm_start: 0x10000, vm_end: 0x14000 });
    vma(w, { vm_start: 0x12000, vm_end: 0x18000 });
  });
  refuses(t, img, 'vma', /0x12000-0x18000 overlaps or precedes the previous vma ending at 0x14000/, false);
});

test('a page outside its VMA, or not above the one before it', (t) => {
  refuses(t, image(1, (w) => vma(w, { vm_start: 0x10000, vm_end: 0x12000 }, [0x12000])), 'pgarr', /page 0x12000 .*inside the vma 0x10000-0x12000/, false);
  refuses(t, image(1, (w) => vma(w, { vm_start: 0x10000, vm_end: 0x13000 }, [0x11000, 0x11000])), 'pgarr', /page 0x11000 is not above 0x11000/, false);
});

test('flags that contradict the protection or the VMA type', (t) => {
  refuses(t, image(1, (w) => vma(w, { vm_start: 0x10000, vm_end: 0x11000, vm_flags: 0x71 })), 'vma', /access bits 0x1 disagree with vm_page_prot 3/);
  refuses(t, image(1, (w) => vma(w, { vm_start: 0x10000, vm_end: 0x11000, vm_flags: ANON_RW | 0x800 })), 'vma', /bits 0x800 are not known/);
  refuses(t, image(1, (w) => vma(w, { vm_start: 0x10000, vm_end: 0x11000, vm_flags: SHARED_RW })), 'vma', /a shared anon vma must be shm_anon/);
  refuses(t, image(1, (w) => vma(w, { vm_start: 0x10000, vm_end: 0x11000, vm_page_prot: 9 })), 'vma', /vm_page_prot 9/);
  refuses(t, image(1, (w) => vma(w, { vm_start: 0x10000, vm_end: 0x11000, vma_type: 'shm_ipc' })), 'vma', /vma type shm_ipc cannot be restored/);
});

test('shared segments: VM_SHARED required, each page given once, offsets inside the segment', (t) => {
  const seg = (w: ImageWriter, size = 4 * P): void => {
    w.objref('inode', 2);
    w.record('shm', { size });
  };
  refuses(t, image(1, (w) => {
    seg(w);
    vma(w, { vm_start: 0x10000, vm_end: 0x11000, vma_type: 'shm_anon', ino_objref: 2 });
  }), 'vma', /shm_anon vma without VM_SHARED/);
  refuses(t, image(2, (w) => {
    seg(w);
    vma(w, { vm_start: 0x10000, vm_end: 0x11000, vma_type: 'shm_anon', ino_objref: 2, vm_flags: SHARED_RW }, [0x10000]);
    vma(w, { vm_start: 0x20000, vm_end: 0x21000, vma_type: 'shm_anon', ino_objref: 2, vm_flags: SHARED_RW }, [0x20000]);
  }), 'pgarr', /offset 0 of segment 2 is given twice/);
  refuses(t, image(1, (w) => {
    seg(w, P);
    vma(w, { vm_start: 0x10000, vm_end: 0x12000, vma_type: 'shm_anon', ino_objref: 2, vm_flags: SHARED_RW }, [0x11000]);
  }), 'pgarr', /offset 1 of a segment of 1 pages/);
  const ok = restoreHandWritten(image(2, (w) => {
    seg(w);
    vma(w, { vm_start: 0x10000, vm_end: 0x12000, vma_type: 'shm_anon', ino_objref: 2, vm_flags: SHARED_RW }, [0x11000]);
    vma(w, { vm_start: 0x20000, vm_end: 0x22000, vma_type: 'shm_anon', ino_objref: 2, vm_flags: SHARED_RW, vm_pgoff: 1 });
  }), mmRestorers);
  t.true(ok.writeU32(0x20000, 42), 'the second mapping starts at page offset 1 of the same segment');
  t.is(ok.readU32(0x11000), 42);
});

test('a file VMA that does not carry all its pages', (t) => {
  refuses(t, image(1, (w) => vma(w, { vm_start: 0x10000, vm_end: 0x13000, vma_type: 'file' }, [0x10000, 0x12000])), 'vma', /carries 2 of its 3 pages/);
});

test('a vDSO where this kernel does not put it, or an mm_context that disagrees', (t) => {
  const vdso = (w: ImageWriter, at: number): void => vma(w, { vm_start: at, vm_end: at + P, vma_type: 'vdso', vm_page_prot: 5, vm_flags: 0x75, name: '[vdso]' });
  refuses(t, image(1, (w) => vdso(w, VDSO_BASE - P), {}, VDSO_BASE - P), 'vma', /this kernel maps it at/);
  refuses(t, image(1, (w) => vdso(w, VDSO_BASE), {}, 0), 'mm_context', /vdso 0x0, but the vdso vma is at/);
  refuses(t, image(0, () => undefined, {}, VDSO_BASE), 'mm_context', /the mm has no vdso vma/);
  const mm = restoreHandWritten(image(1, (w) => vdso(w, VDSO_BASE), {}, VDSO_BASE), mmRestorers);
  t.is(mm.vmas.find(VDSO_BASE)?.name, '[vdso]');
});

test('a break below its start', (t) => {
  refuses(t, image(0, () => undefined, { start_brk: 0x30000, brk: 0x20000 }), 'mm', /brk 0x20000 outside 0x30000/);
});

test('an mm without an mm_exe record (the sample image has one; other writers may not) restores with no path', (t) => {
  const { w, bytes } = handWriter();
  w.objref('mm', 1);
  w.record('mm', zeroRecord('mm'));
  w.record('mm_context', { vdso: 0 });
  const mm = restoreHandWritten(bytes(), mmRestorers);
  t.is(mm.exePath, '', 'no mm_exe record: no path');
});
