// Semantic checks that need only the records: pids, task order, file tables, VMAs and their pages.
import { failImage } from './errors';
import { FD_MAX, ImageItem, KERNEL_CONSTANTS, PAGE_SIZE, PID_MAX, RecordValue } from './schema';

/** Highest user address + 1 on riscv64 (Sv48). */
export const USER_TOP = 2 ** 47;

const hex = (n: number): string => `0x${n.toString(16)}`;

interface OpenTable { readonly offset: number; readonly want: number; readonly fds: Set<number> }
interface OpenVma { readonly offset: number; readonly start: number; readonly end: number; lastAddr: number }
interface OpenMm { readonly offset: number; readonly want: number; count: number; lastEnd: number; vma: OpenVma | null }

/** Records that may sit between a file table's descriptors: the files they name, defined on first use. */
const IN_TABLE = new Set(['file_desc', 'objref', 'file', 'file_name', 'pipe', 'buffer', 'string', 'cred', 'user', 'groupinfo', 'inode_ref', 'pipe_inode']);
/** Records that may sit between an mm's VMAs: its executable path, page arrays, and the shared segments and backing files VMAs name. */
const IN_MM = new Set(['mm_exe', 'shm', 'vma', 'pgarr', 'pgref', 'buffer', 'objref', 'file', 'file_name', 'pipe', 'string', 'cred', 'user', 'groupinfo', 'inode_ref', 'pipe_inode']);

/**
 * Streaming semantic validation: `check` each item in image order, then `finish`. Memory is bounded by
 * the task count and one mm's state. Each method throws ImageError naming the record and its offset.
 */
export class ImageValidator {
  private pids: number[] | null = null;
  private treeOffset = 0;
  private tasks = 0;
  private table: OpenTable | null = null;
  private mm: OpenMm | null = null;
  /** Offset of the parent record: only an incremental image may refer to its parent's pages. */
  private parentAt: number | null = null;
  /** Set when the image records a failed checkpoint (an error record). */
  failed: string | null = null;

  check(item: ImageItem): void {
    this.closeScopes(item);
    if (item.kind === 'addresses') return this.checkAddresses(item.addrs, item.offset);
    if (item.kind === 'string' && item.role === 'message' && this.failed === '') this.failed = item.text;
    if (item.kind !== 'record') return;
    switch (item.name) {
      case 'tree': return this.checkTree(item.value, item.offset);
      case 'task': return this.checkTask(item.value, item.offset);
      case 'file_table':
        if (item.value.fdt_nfds < 0 || item.value.fdt_nfds > FD_MAX) failImage('file_table', item.offset, `fdt_nfds ${item.value.fdt_nfds} out of range 0..${FD_MAX}`);
        this.table = { offset: item.offset, want: item.value.fdt_nfds, fds: new Set() };
        return;
      case 'file_desc': return this.checkFd(item.value, item.offset);
      case 'mm':
        if (item.value.nr_auxv > KERNEL_CONSTANTS.at_vector_size / 2) failImage('mm', item.offset, `nr_auxv ${item.value.nr_auxv} above ${KERNEL_CONSTANTS.at_vector_size / 2}`);
        this.mm = { offset: item.offset, want: item.value.map_count, count: 0, lastEnd: 0, vma: null };
        return;
      case 'vma': return this.checkVma(item.value, item.offset);
      case 'pgarr':
        if (!this.mm?.vma) failImage('pgarr', item.offset, 'page array outside a vma');
        if (item.value.nr_pages === 0) this.mm.vma = null;
        return;
      case 'parent':
        if (this.parentAt !== null) failImage('parent', item.offset, `a second parent record (the first is at offset ${this.parentAt})`);
        this.parentAt = item.offset;
        return;
      case 'pgref':
        if (this.parentAt === null) failImage('pgref', item.offset, 'a page reference in an image with no parent record');
        if (!this.mm?.vma) failImage('pgref', item.offset, 'page reference outside a vma');
        if (item.value.nr_pages === 0) failImage('pgref', item.offset, 'nr_pages 0: a page reference names at least one page');
        return;
      case 'sigpending':
        for (const si of item.value.siginfo) {
          if (si.signo < 1 || si.signo > KERNEL_CONSTANTS.signal_nsig) failImage('sigpending', item.offset, `signo ${si.signo} out of range 1..${KERNEL_CONSTANTS.signal_nsig}`);
        }
        return;
      case 'error':
        this.failed = '';
        return;
      default:
    }
  }

  /** Checks what only the end can tell (every task present, scopes complete). */
  finish(tailOffset: number): void {
    this.closeTable(tailOffset, 'tail');
    this.closeMm(tailOffset, 'tail');
    if (this.failed !== null) return;
    if (!this.pids) failImage('tail', tailOffset, 'the image has no task tree');
    if (this.tasks !== this.pids.length) failImage('tree', this.treeOffset, `nr_tasks ${this.pids.length}, but ${this.tasks} task records follow`);
  }

  private closeScopes(item: ImageItem): void {
    if (this.table && !IN_TABLE.has(item.name)) this.closeTable(item.offset, item.name);
    if (this.mm && !IN_MM.has(item.name)) this.closeMm(item.offset, item.name);
  }

  private closeTable(at: number, by: string): void {
    const t = this.table;
    if (!t) return;
    this.table = null;
    if (t.fds.size !== t.want) failImage('file_table', t.offset, `fdt_nfds ${t.want}, but ${t.fds.size} file_desc records follow before '${by}' at offset ${at}`);
  }

  private closeMm(at: number, by: string): void {
    const m = this.mm;
    if (!m) return;
    this.mm = null;
    if (m.vma) failImage('vma', m.vma.offset, `not closed by a zero page array before '${by}' at offset ${at}`);
    if (m.count !== m.want) failImage('mm', m.offset, `map_count ${m.want}, but ${m.count} vma records follow`);
  }

  private checkTree(v: RecordValue<'tree'>, at: number): void {
    if (this.pids) failImage('tree', at, `a second task tree (the first is at offset ${this.treeOffset})`);
    if (v.nr_tasks < 1) failImage('tree', at, `nr_tasks ${v.nr_tasks}: a container has at least its init`);
    const seen = new Set<number>();
    v.pids.forEach((p, i) => {
      if (p.vpid < 1 || p.vpid >= PID_MAX) failImage('tree', at, `pid ${p.vpid} out of range 1..${PID_MAX - 1}`);
      if (seen.has(p.vpid)) failImage('tree', at, `pid ${p.vpid} appears twice`);
      for (const [k, id] of [['tgid', p.vtgid], ['pgid', p.vpgid], ['sid', p.vsid], ['ppid', p.vppid]] as const) {
        if (id < 0 || id >= PID_MAX) failImage('tree', at, `${k} ${id} of pid ${p.vpid} out of range`);
      }
      if (i === 0 ? p.vppid !== 0 : !seen.has(p.vppid) && p.vppid !== 0) {
        failImage('tree', at, i === 0 ? `init pid ${p.vpid} has ppid ${p.vppid}, expected 0` : `ppid ${p.vppid} of pid ${p.vpid} is not an earlier task`);
      }
      seen.add(p.vpid);
    });
    for (const p of v.pids) if (!seen.has(p.vtgid)) failImage('tree', at, `tgid ${p.vtgid} of pid ${p.vpid} is not a task`);
    this.pids = v.pids.map((p) => p.vpid);
    this.treeOffset = at;
  }

  private checkTask(v: RecordValue<'task'>, at: number): void {
    if (!this.pids) failImage('task', at, 'task before the task tree');
    if (this.tasks >= this.pids.length) failImage('task', at, `more task records than nr_tasks ${this.pids.length}`);
    const want = this.pids[this.tasks++];
    if (v.pid !== want) failImage('task', at, `pid ${v.pid}, but the tree lists pid ${want} here`);
  }

  private checkFd(v: RecordValue<'file_desc'>, at: number): void {
    const t = this.table;
    if (!t) failImage('file_desc', at, 'descriptor outside a file table');
    if (v.fd_descriptor < 0 || v.fd_descriptor >= FD_MAX) failImage('file_desc', at, `fd ${v.fd_descriptor} out of range 0..${FD_MAX - 1}`);
    if (t.fds.has(v.fd_descriptor)) failImage('file_desc', at, `fd ${v.fd_descriptor} appears twice`);
    if (t.fds.size >= t.want) failImage('file_desc', at, `more descriptors than fdt_nfds ${t.want} of the file table at offset ${t.offset}`);
    if (v.fd_objref === 0) failImage('file_desc', at, `fd ${v.fd_descriptor} names no file`);
    if (v.fd_close_on_exec > 1) failImage('file_desc', at, `fd_close_on_exec ${v.fd_close_on_exec} is not 0 or 1`);
    t.fds.add(v.fd_descriptor);
  }

  private checkVma(v: RecordValue<'vma'>, at: number): void {
    const m = this.mm;
    if (!m) failImage('vma', at, 'vma outside an mm');
    if (m.vma) failImage('vma', m.vma.offset, `not closed by a zero page array before the vma at offset ${at}`);
    if (v.vm_start % PAGE_SIZE || v.vm_end % PAGE_SIZE) failImage('vma', at, `${hex(v.vm_start)}-${hex(v.vm_end)} is not page-aligned`);
    if (v.vm_end <= v.vm_start) failImage('vma', at, `end ${hex(v.vm_end)} below start ${hex(v.vm_start)}`);
    if (v.vm_end > USER_TOP) failImage('vma', at, `end ${hex(v.vm_end)} above the user address space`);
    if (v.vm_start < m.lastEnd) failImage('vma', at, `${hex(v.vm_start)}-${hex(v.vm_end)} overlaps or precedes the previous vma ending at ${hex(m.lastEnd)}`);
    if (m.count >= m.want) failImage('vma', at, `more vma records than map_count ${m.want} of the mm at offset ${m.offset}`);
    m.count++;
    m.lastEnd = v.vm_end;
    m.vma = { offset: at, start: v.vm_start, end: v.vm_end, lastAddr: -1 };
  }

  private checkAddresses(addrs: readonly number[], at: number): void {
    const vma = this.mm?.vma;
    if (!vma) failImage('buffer', at, 'page addresses outside a vma');
    for (const a of addrs) {
      if (a % PAGE_SIZE) failImage('buffer', at, `page address ${hex(a)} is not page-aligned`);
      if (a < vma.start || a >= vma.end) failImage('buffer', at, `page address ${hex(a)} outside the vma ${hex(vma.start)}-${hex(vma.end)} at offset ${vma.offset}`);
      if (a <= vma.lastAddr) failImage('buffer', at, `page address ${hex(a)} not above the previous ${hex(vma.lastAddr)}`);
      vma.lastAddr = a;
    }
  }
}
