// Facts about the machine and the tree a benchmark ran on, for the header of BENCHMARKS.md.
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  node: string;
  qemu: string;
  date: string;
  commit: string;
}

/** Runs a read-only command and returns its trimmed stdout, or null when it fails. */
function readCommand(cmd: string, args: string[], cwd?: string): string | null {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** Collects the machine description; every field falls back to a readable "unknown" rather than failing. */
export function describeMachine(repoRoot: string): MachineInfo {
  const lscpu = readCommand('lscpu', []) ?? '';
  const model = /^Model name:\s*(.+)$/m.exec(lscpu)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  const commit = readCommand('git', ['rev-parse', '--short', 'HEAD'], repoRoot);
  const dirty = (readCommand('git', ['status', '--porcelain', '--untracked-files=no'], repoRoot) ?? '') !== '';
  return {
    cpuModel: model,
    cores: os.cpus().length,
    node: process.version,
    qemu: readCommand('qemu-riscv64', ['--version'])?.split('\n')[0] ?? 'qemu-riscv64 not found',
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    commit: commit === null ? 'none (no commit yet)' : dirty ? `${commit} (with uncommitted changes)` : commit,
  };
}

/** The machine section of BENCHMARKS.md. */
export function formatMachine(m: MachineInfo): string {
  return [
    '## Machine',
    '',
    `- CPU: ${m.cpuModel}, ${m.cores} cores`,
    `- Node: ${m.node}`,
    `- Reference: ${m.qemu}`,
    `- Date: ${m.date}`,
    `- Commit: ${m.commit}`,
    '',
  ].join('\n');
}
