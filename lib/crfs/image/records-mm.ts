// Records 401–407 (mm, vma, page array, mm context, shared anonymous segment, executable path, page reference) and 451 (fs).
import { arrayOf, chars, enumOf, objref, pad, s32, u32, u64 } from './fields';
import { defineRecord } from './record-spec';

export const mm = defineRecord({
  type: 401, name: 'mm', tree: 'mm', objtype: 'mm',
  meaning: 'an address space (shared by CLONE_VM threads); map_count vma records follow, then mm_context',
  fields: [
    u32('map_count', 'number of VMAs', null),
    objref('exe_objref', 'file', 'the executable (0: none)', 'exe'),
    u64('def_flags', 'default VMA flags', 'def_flags', 'hex'),
    u64('flags', 'mm flags', 'flags', 'hex'),
    u64('start_code', 'start of text', 'start_code', 'hex'), u64('end_code', 'end of text', 'end_code', 'hex'),
    u64('start_data', 'start of data', 'start_data', 'hex'), u64('end_data', 'end of data', 'end_data', 'hex'),
    u64('start_brk', 'start of the heap', 'start_brk', 'hex'), u64('brk', 'current program break', 'brk', 'hex'),
    u64('start_stack', 'initial stack pointer', 'start_stack', 'hex'),
    u64('arg_start', 'argv strings start', 'arg_start', 'hex'), u64('arg_end', 'argv strings end', 'arg_end', 'hex'),
    u64('env_start', 'environment strings start', 'env_start', 'hex'), u64('env_end', 'environment strings end', 'env_end', 'hex'),
    u32('nr_auxv', 'auxv entries (pairs) saved', null),
    pad('_pad0', 4),
    arrayOf('auxv', 'nr_auxv', [u64('a_type', 'AT_* key'), u64('a_val', 'value')], 'the auxiliary vector as exec built it', 'auxv'),
  ],
});

/** linux-cr VMA types in order. */
export const VMA_TYPES = {
  ignore: 0, vdso: 1, anon: 2, file: 3, shm_anon: 4, shm_anon_skip: 5, shm_file: 6, shm_ipc: 7, shm_ipc_skip: 8,
} as const;

export const vma = defineRecord({
  type: 402, name: 'vma', tree: 'mm/vmas/<vm_start>-<vm_end>',
  meaning: 'one mapping; page arrays follow, a zero-count page array ends them',
  fields: [
    enumOf('vma_type', 'u32', VMA_TYPES, 'kind of mapping', 'type'),
    objref('vma_objref', 'file', 'backing file (0: anonymous)', 'file'),
    objref('ino_objref', 'inode', 'shared segment (0: none)', null),
    pad('_padding', 4),
    u64('ino_size', 'size of the shared segment', null),
    u64('vm_start', 'first address (page-aligned)', 'start', 'hex'),
    u64('vm_end', 'address past the end (page-aligned)', 'end', 'hex'),
    u64('vm_page_prot', 'PROT_READ (1) | PROT_WRITE (2) | PROT_EXEC (4)', 'prot'),
    u64('vm_flags', 'MAP_* / VM_* flags', 'flags', 'hex'),
    u64('vm_pgoff', 'offset into the backing file, in pages', 'pgoff'),
    chars('name', 32, 'name as /proc/pid/maps shows it ([heap], [stack], [vdso]) or empty'),
  ],
});

export const pgarr = defineRecord({
  type: 403, name: 'pgarr', tree: null,
  meaning: 'a page array: a buffer of nr_pages addresses, then a buffer of the pages; nr_pages 0 ends the VMA',
  fields: [u64('nr_pages', 'pages in this array')],
  followedBy: [
    { record: 'buffer', role: 'addresses', length: { field: 'nr_pages', unit: 8 }, meaning: 'page addresses, little-endian u64, ascending, inside the VMA' },
    { record: 'buffer', role: 'pages', length: { field: 'nr_pages', unit: 'page' }, meaning: 'page contents, page_size bytes each, in address order' },
  ],
});

export const mmContext = defineRecord({
  type: 404, name: 'mm_context', tree: null,
  meaning: 'arch-dependent mm state (riscv64)',
  fields: [u64('vdso', 'base of the vDSO mapping (0: none)', 'vdso', 'hex')],
});

export const shm = defineRecord({
  type: 405, name: 'shm', tree: 'shm/<objref>', objtype: 'inode',
  meaning: "a shared anonymous memory segment (MAP_SHARED with MAP_ANONYMOUS, Linux's shmem inode; crfs addition): written before the first vma that maps it; its pages travel with the shm_anon vmas that map them, each page once",
  fields: [u64('size', 'bytes up to the end of the highest page the segment holds (every page offset lies below size / page_size)', 'size')],
});

export const mmExe = defineRecord({
  type: 406, name: 'mm_exe', tree: null,
  meaning: "the executable's path as readlink(/proc/self/exe) shows it (crfs addition); right after mm",
  fields: [u32('path_len', 'bytes of the path string that follows, its NUL included (0: no executable, no string)', null), pad('_pad0', 4)],
  followedBy: [{ record: 'string', role: 'exe_path', length: { field: 'path_len', unit: 1 }, meaning: 'the executable\'s path inside the container' }],
});

export const pgref = defineRecord({
  type: 407, name: 'pgref', tree: null,
  meaning: "pages unchanged since the parent image (crfs addition; only in an image with a parent record): a buffer of nr_pages addresses follows, and each of those pages of the vma holds what the parent image holds at that address in the mm of task `pid` there (a page array, or a pgref to the parent's own parent). Sits among the vma's page arrays, its addresses in ascending order with theirs; private anonymous vmas only",
  fields: [
    u64('nr_pages', 'pages referred to'),
    s32('pid', "names the parent's mm: the first task in the parent's image order that uses it"),
    pad('_pad0', 4),
  ],
  followedBy: [
    { record: 'buffer', role: 'addresses', length: { field: 'nr_pages', unit: 8 }, meaning: 'page addresses, little-endian u64, ascending, inside the VMA' },
  ],
});

export const fs = defineRecord({
  type: 451, name: 'fs', tree: 'fs', objtype: 'fs',
  meaning: 'cwd, root and umask (shared by CLONE_FS); two strings follow: root, then cwd',
  fields: [u32('umask', 'file creation mask', 'umask', 'dec'), pad('_pad0', 4)],
  followedBy: [
    { record: 'string', role: 'root', meaning: 'root directory path' },
    { record: 'string', role: 'cwd', meaning: 'working directory path' },
  ],
});

