// Test fixture for the file layer: a real Kernel and Task over a flat fake address space, and a syscall caller.
import { CpuState, Reg, getI64, setI64 } from '../../lib/arch/riscv64/state';
import { KernelError } from '../../lib/emukernel/errno';
import { FdTable } from '../../lib/emukernel/fs/fdtable';
import { FsContext } from '../../lib/emukernel/fs/fs-context';
import { fsSyscalls } from '../../lib/emukernel/fs/syscalls';
import { Kernel } from '../../lib/emukernel/kernel';
import type { Mm } from '../../lib/emukernel/mm/mm';
import { Process } from '../../lib/emukernel/process';
import { SigHand } from '../../lib/emukernel/signal/sighand';
import { BLOCKED, JUMPED } from '../../lib/emukernel/syscall';
import { Task } from '../../lib/emukernel/task';

export const MEM_BASE = 0x100000;
const MEM_SIZE = 4 << 20;

/** A flat, fully mapped user address space [MEM_BASE, MEM_BASE + 4 MiB) with a bump allocator. */
export class FlatMm {
  readonly bytes = new Uint8Array(MEM_SIZE);
  private readonly view = new DataView(this.bytes.buffer);
  private next = MEM_BASE;
  exePath = '';
  users = 1;

  private ok(addr: number, len: number): boolean {
    return addr >= MEM_BASE && addr + len <= MEM_BASE + MEM_SIZE;
  }

  /** Reserve `len` bytes (8-aligned), zeroed. */
  alloc(len: number): number {
    const a = this.next;
    this.next += (len + 7) & ~7;
    this.bytes.fill(0, a - MEM_BASE, a - MEM_BASE + len);
    return a;
  }

  /** A NUL-terminated copy of `s` in user memory. */
  cstr(s: string): number {
    const b = Buffer.from(s + '\0', 'utf8');
    const a = this.alloc(b.length);
    this.bytes.set(b, a - MEM_BASE);
    return a;
  }

  /** A copy of `data` in user memory. */
  put(data: Uint8Array | string): number {
    const b = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const a = this.alloc(b.length);
    this.bytes.set(b, a - MEM_BASE);
    return a;
  }

  read(addr: number, len: number): Uint8Array | null {
    return this.ok(addr, len) ? this.bytes.slice(addr - MEM_BASE, addr - MEM_BASE + len) : null;
  }

  write(addr: number, data: Uint8Array): boolean {
    if (!this.ok(addr, data.length)) return false;
    this.bytes.set(data, addr - MEM_BASE);
    return true;
  }

  readU32(addr: number): number | null {
    return this.ok(addr, 4) ? this.view.getUint32(addr - MEM_BASE, true) : null;
  }

  writeU32(addr: number, v: number): boolean {
    if (!this.ok(addr, 4)) return false;
    this.view.setUint32(addr - MEM_BASE, v >>> 0, true);
    return true;
  }

  readU64(addr: number): bigint | null {
    return this.ok(addr, 8) ? this.view.getBigUint64(addr - MEM_BASE, true) : null;
  }

  writeU64(addr: number, v: bigint): boolean {
    if (!this.ok(addr, 8)) return false;
    this.view.setBigUint64(addr - MEM_BASE, BigInt.asUintN(64, v), true);
    return true;
  }

  readU64Num(addr: number): number | null {
    const v = this.readU64(addr);
    return v === null ? null : Number(v);
  }

  writeU64Num(addr: number, v: number): boolean {
    return this.writeU64(addr, BigInt(v));
  }

  strnlen(addr: number, max: number): number {
    for (let n = 0; n < max; n++) {
      if (!this.ok(addr + n, 1)) return -1;
      if (this.bytes[addr + n - MEM_BASE] === 0) return n;
    }
    return max;
  }

  readCString(addr: number, max = 4096): string | null {
    const n = this.strnlen(addr, max);
    if (n < 0 || n >= max) return null;
    return Buffer.from(this.bytes.subarray(addr - MEM_BASE, addr - MEM_BASE + n)).toString('utf8');
  }

  // The MemoryBus a Hart is built over; the fs tests never run instructions.
  readPage(): DataView | null { return null; }
  writePage(): DataView | null { return null; }
  execPage(): DataView | null { return null; }
  release(): void { this.users--; }
}

export interface Ctx {
  k: Kernel;
  t: Task;
  mm: FlatMm;
}

/** A fresh kernel with one process (pid 1) whose task has an empty fd table and cwd "/". */
export function makeCtx(): Ctx {
  const k = new Kernel();
  return { k, ...addProcess(k, 1) };
}

/** Another process in `k` with its own address space (and, unless given, its own fd table and fs context). */
export function addProcess(k: Kernel, pid: number, files = new FdTable(), fs = new FsContext('/')): { t: Task; mm: FlatMm } {
  const mm = new FlatMm();
  const proc = new Process(pid, null, pid, pid, 17);
  const t = new Task(pid, proc, mm as unknown as Mm, files, fs, new SigHand(), 'test');
  k.processes.set(pid, proc);
  k.addTask(t);
  return { t, mm };
}

export type Arg = number | bigint;

/**
 * Execute syscall `nr` with `args` as the dispatcher would (KernelError -> -errno, restart block
 * cleared on completion). Returns the number, or BLOCKED. The pc stays put, so calling again
 * re-executes the call as a woken task does.
 */
export function sys(c: Ctx | { k: Kernel; t: Task }, nr: number, ...args: Arg[]): number | typeof BLOCKED {
  const { k, t } = c;
  const cpu: CpuState = t.cpu;
  setI64(cpu, Reg.a7, nr);
  args.forEach((a, i) => {
    if (typeof a === 'bigint') {
      const u = BigInt.asUintN(64, a);
      cpu.x[2 * (Reg.a0 + i)] = Number(u & 0xffffffffn) | 0;
      cpu.x[2 * (Reg.a0 + i) + 1] = Number(u >> 32n) | 0;
    } else {
      setI64(cpu, Reg.a0 + i, a);
    }
  });
  for (let i = args.length; i < 6; i++) setI64(cpu, Reg.a0 + i, 0);
  const h = fsSyscalls[nr];
  if (!h) throw new Error(`no fs syscall ${nr}`);
  let r;
  try {
    r = h(k, t);
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    r = -e.errno;
  }
  if (r === JUMPED) throw new Error('unexpected JUMPED');
  if (r !== BLOCKED) t.restart = null;
  return r;
}

/** `sys` for calls that must not block. */
export function call(c: Ctx | { k: Kernel; t: Task }, nr: number, ...args: Arg[]): number {
  const r = sys(c, nr, ...args);
  if (r === BLOCKED) throw new Error(`syscall ${nr} blocked`);
  return r;
}

/** The value in a0 (for checks after completeSyscall). */
export function a0(t: Task): number {
  return getI64(t.cpu, Reg.a0);
}

/** The bytes at `addr`. */
export function bytesAt(mm: FlatMm, addr: number, len: number): Uint8Array {
  const b = mm.read(addr, len);
  if (!b) throw new Error('bad address');
  return b;
}

/** The text at `addr`. */
export function textAt(mm: FlatMm, addr: number, len: number): string {
  return Buffer.from(bytesAt(mm, addr, len)).toString('utf8');
}
