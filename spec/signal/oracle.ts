// The signal ABI as the cross toolchain and a real riscv64 kernel (qemu-riscv64) see it: builds and runs spec/signal/oracle/*.c.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

function findRepoRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('signal oracle: no repository root above ' + __dirname);
    dir = up;
  }
  return dir;
}

const REPO = findRepoRoot();
const SOURCES = ['frame-layout-glibc.c', 'frame-layout-kernel.c'].map((f) => path.join(REPO, 'spec/signal/oracle', f));
const BINARY = path.join(REPO, 'build/spec/signal-frame-layout');

let cached: Map<string, number> | null = null;

/** Every "name value" line the oracle prints (offsets, sizes, flag values, handler observations). Throws if gcc or qemu fail. */
export function signalAbi(): Map<string, number> {
  if (cached) return cached;
  const newest = Math.max(...SOURCES.map((s) => fs.statSync(s).mtimeMs));
  if (!fs.existsSync(BINARY) || fs.statSync(BINARY).mtimeMs < newest) {
    fs.mkdirSync(path.dirname(BINARY), { recursive: true });
    const tmp = `${BINARY}.${process.pid}.tmp`;
    execFileSync('riscv64-linux-gnu-gcc', ['-static', '-O2', '-Wall', '-o', tmp, ...SOURCES], { stdio: ['ignore', 'ignore', 'inherit'] });
    fs.renameSync(tmp, BINARY);
  }
  const out = execFileSync('qemu-riscv64', [BINARY]).toString();
  const m = new Map<string, number>();
  for (const line of out.split('\n')) {
    const [k, v] = line.split(' ');
    if (k && v !== undefined) m.set(k, Number(v));
  }
  cached = m;
  return m;
}
