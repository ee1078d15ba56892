// Builds the riscv64 programs the mm and exec tests run (cached under build/spec, rebuilt when the source is newer).
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '../../..');
const OUT = path.join(ROOT, 'build/spec');

/** Compile `src` (relative to the repo root) with the cross gcc, -static -O2; returns the binary's path. */
export function buildStatic(src: string, name: string, extra: string[] = [], dir = 'exec'): string {
  return buildRiscv(src, name, ['-static', ...extra], dir);
}

/** Compile `src` with the cross gcc, -O2 and `flags` into build/spec/`dir`; returns the binary's path. */
export function buildRiscv(src: string, name: string, flags: string[], dir = 'exec'): string {
  const from = path.join(ROOT, src);
  const to = path.join(OUT, dir, name);
  if (!fs.existsSync(to) || fs.statSync(to).mtimeMs < fs.statSync(from).mtimeMs) {
    fs.mkdirSync(path.dirname(to), { recursive: true });
    execFileSync('riscv64-linux-gnu-gcc', ['-O2', ...flags, '-o', to, from], { stdio: 'inherit' });
  }
  return to;
}

/** The program's stdout, stderr and exit status under qemu-riscv64 (the reference). */
export function runQemu(bin: string, args: string[], env: string[]): { stdout: string; stderr: string; status: number } {
  try {
    const stdout = execFileSync('qemu-riscv64', [...env.flatMap((e) => ['-E', e]), bin, ...args], {
      env: {}, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { stdout, stderr: '', status: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; status: number };
    return { stdout: err.stdout, stderr: err.stderr, status: err.status };
  }
}

/** The program's stdout and status under `crfs run` (the CLI built in dist/). */
export function runCrfs(bin: string, args: string[]): { stdout: string; stderr: string; status: number } {
  const main = path.join(ROOT, 'dist/lib/crfs/cli/main.js');
  try {
    const stdout = execFileSync(process.execPath, [main, 'run', bin, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 100_000 });
    return { stdout, stderr: '', status: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; status: number };
    return { stdout: err.stdout, stderr: err.stderr, status: err.status };
  }
}
