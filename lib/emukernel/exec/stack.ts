// The initial process stack exactly as Linux's create_elf_tables lays it out: strings, AT_RANDOM, argv, envp, auxv.
import { STACK_SIZE, STACK_TOP } from '../mm/layout';
import type { Mm } from '../mm/mm';
import { PROT_EXEC, PROT_READ, PROT_WRITE, Vma, VM_GROWSDOWN } from '../mm/vma';

export const AT_NULL = 0, AT_IGNORE = 1, AT_EXECFD = 2, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6,
  AT_BASE = 7, AT_FLAGS = 8, AT_ENTRY = 9, AT_NOTELF = 10, AT_UID = 11, AT_EUID = 12, AT_GID = 13, AT_EGID = 14,
  AT_PLATFORM = 15, AT_HWCAP = 16, AT_CLKTCK = 17, AT_SECURE = 23, AT_BASE_PLATFORM = 24, AT_RANDOM = 25,
  AT_HWCAP2 = 26, AT_EXECFN = 31, AT_SYSINFO_EHDR = 33;

/** One auxv entry; AT_RANDOM and AT_EXECFN values are filled in with the addresses of their data. */
export type AuxEntry = readonly [number, number];

export interface StackContents {
  argv: readonly Uint8Array[];
  envp: readonly Uint8Array[];
  /** The path execve was given (AT_EXECFN points at it). */
  execfn: Uint8Array;
  /** AT_RANDOM's 16 bytes. */
  random: Uint8Array;
  /** Entries in the order to write them, without AT_NULL. */
  auxv: readonly AuxEntry[];
  /** PT_GNU_STACK asked for an executable stack. */
  executable: boolean;
}

export interface BuiltStack {
  sp: number;
  argStart: number;
  argEnd: number;
  envStart: number;
  envEnd: number;
  /** The auxv as written (with AT_RANDOM/AT_EXECFN resolved and the final AT_NULL). */
  auxv: AuxEntry[];
}

/** Bytes of strings and pointers execve may place (Linux: a quarter of the 8 MiB stack rlimit). */
export const ARG_LIMIT = STACK_SIZE / 4;
/** MAX_ARG_STRLEN: the longest single argument or environment string, NUL included. */
export const MAX_ARG_STRLEN = 32 * 4096;

/** Linux's E2BIG test (bprm_stack_limits + copy_strings): true if the arguments fit. */
export function argumentsFit(argv: readonly Uint8Array[], envp: readonly Uint8Array[], execfn: Uint8Array): boolean {
  let size = (Math.max(argv.length, 1) + envp.length) * 8 + execfn.length + 1;
  for (const s of [...argv, ...envp]) {
    if (s.length + 1 > MAX_ARG_STRLEN) return false;
    size += s.length + 1;
  }
  return size <= ARG_LIMIT;
}

/**
 * Map the 8 MiB grows-down stack VMA ending at STACK_TOP and write the initial stack into it.
 * Returns sp (16-byte aligned, pointing at argc) and where the strings went. The caller has
 * checked `argumentsFit`.
 */
export function buildInitialStack(mm: Mm, c: StackContents): BuiltStack {
  const prot = PROT_READ | PROT_WRITE | (c.executable ? PROT_EXEC : 0);
  mm.vmas.insert(new Vma(STACK_TOP - STACK_SIZE, STACK_TOP, prot, VM_GROWSDOWN, '[stack]'));
  // bprm->p starts one pointer below the top; execfn, then envp, then argv strings are pushed down.
  let p = STACK_TOP - 8;
  const push = (s: Uint8Array): number => {
    p -= s.length + 1;
    const z = new Uint8Array(s.length + 1);
    z.set(s);
    mm.poke(p, z);
    return p;
  };
  const execfnAddr = push(c.execfn);
  const envEnd = p;
  const envAddrs: number[] = new Array<number>(c.envp.length);
  for (let i = c.envp.length - 1; i >= 0; i--) envAddrs[i] = push(c.envp[i]);
  const envStart = p;
  const argAddrs: number[] = new Array<number>(c.argv.length);
  for (let i = c.argv.length - 1; i >= 0; i--) argAddrs[i] = push(c.argv[i]);
  const argStart = p;

  p -= p % 16; // arch_align_stack without randomization
  p -= 16;
  const randomAddr = p;
  mm.poke(randomAddr, c.random.subarray(0, 16));

  const auxv: AuxEntry[] = c.auxv.map(([k, v]): AuxEntry => [k, k === AT_RANDOM ? randomAddr : k === AT_EXECFN ? execfnAddr : v]);
  auxv.push([AT_NULL, 0]);
  const words = 1 + argAddrs.length + 1 + envAddrs.length + 1 + auxv.length * 2;
  let sp = p - words * 8;
  sp -= sp % 16;
  const table = new Uint8Array(words * 8);
  const dv = new DataView(table.buffer);
  let w = 0;
  const put = (v: number): void => {
    dv.setUint32(w * 8, v % 4294967296, true);
    dv.setUint32(w * 8 + 4, Math.floor(v / 4294967296), true);
    w++;
  };
  put(argAddrs.length);
  for (const a of argAddrs) put(a);
  put(0);
  for (const a of envAddrs) put(a);
  put(0);
  for (const [k, v] of auxv) { put(k); put(v); }
  mm.poke(sp, table);
  return { sp, argStart, argEnd: envStart, envStart, envEnd, auxv };
}
