// Runs a program under qemu-riscv64 and under `crfs run` the same way (repo root, same env, stdin /dev/null).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The repository root (this file is compiled to dist/spec/examples/). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const CRFS_MAIN = path.join(REPO_ROOT, 'dist', 'lib', 'crfs', 'cli', 'main.js');
export const EXAMPLES_DIR = path.join(REPO_ROOT, 'build', 'examples');

/** Linux signal numbers by Node's names, to turn "killed by SIGSEGV" into a shell's 139. */
const SIGNAL_NUMBERS: Record<string, number> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9,
  SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGSYS: 31,
};

export interface RunOutcome {
  stdout: Buffer;
  stderr: Buffer;
  /** What a shell would report: the exit code, or 128 + signal. */
  status: number;
}

export interface RunSpec {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
}

/**
 * Spawns `cmd args` with stdin from /dev/null and collects stdout, stderr and the shell-style status.
 * Resolves even when the program fails; rejects only if it cannot be spawned or outlives the timeout.
 */
export function runProcess(cmd: string, args: string[], spec: RunSpec = {}): Promise<RunOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: spec.cwd ?? REPO_ROOT,
      env: spec.env ?? referenceEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [], err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')}: timed out after ${spec.timeoutMs ?? 110000} ms`));
    }, spec.timeoutMs ?? 110000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const status = code ?? 128 + (signal !== null ? (SIGNAL_NUMBERS[signal] ?? 0) : 0);
      resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err), status });
    });
  });
}

/**
 * The environment both runs get: the test's own, with crfs's log level pinned so that emulator
 * diagnostics below errors do not land in the compared stderr.
 */
export function referenceEnv(): NodeJS.ProcessEnv {
  return { ...process.env, CRFS_LOG: 'error' };
}

/** qemu-riscv64 with core dumps off, so a program killed by a signal leaves no core file or qemu message. */
export function runQemu(prog: string, args: string[], spec: RunSpec = {}): Promise<RunOutcome> {
  return runProcess('/bin/sh', ['-c', 'ulimit -c 0; exec qemu-riscv64 "$@"', 'sh', prog, ...args], spec);
}

/** `node dist/lib/crfs/cli/main.js <crfsArgs...>` from the repo root. */
export function runCrfs(crfsArgs: string[], spec: RunSpec = {}): Promise<RunOutcome> {
  return runProcess(process.execPath, [CRFS_MAIN, ...crfsArgs], spec);
}

/** A fresh empty directory under the OS temp dir; the caller removes it. */
export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `crfs-${prefix}-`));
}

/** True when the kernel will hand a riscv64 ELF to qemu on execve (needed by the exec example's reference). */
export function hasRiscvBinfmt(): boolean {
  return fs.existsSync('/proc/sys/fs/binfmt_misc/qemu-riscv64');
}

/** Runs at most `limit` of the returned function's tasks at once (the emulator is CPU-bound). */
export function createLimiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    while (active >= limit) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}
