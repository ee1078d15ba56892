// spec/signal/programs/*.c under `crfs run` give the same stdout, stderr and exit status as under qemu-riscv64.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT, runCrfs, runQemu } from '../examples/harness';

const PROGRAMS = path.join(REPO_ROOT, 'spec/signal/programs');

/** Build `name`.c into build/spec/ unless the binary is newer than its source; returns its path. */
function build(name: string): string {
  const src = path.join(PROGRAMS, `${name}.c`);
  const bin = path.join(REPO_ROOT, 'build/spec', name);
  if (!fs.existsSync(bin) || fs.statSync(bin).mtimeMs < fs.statSync(src).mtimeMs) {
    fs.mkdirSync(path.dirname(bin), { recursive: true });
    const tmp = `${bin}.${process.pid}.tmp`;
    execFileSync('riscv64-linux-gnu-gcc', ['-static', '-O2', '-pthread', '-Wall', '-o', tmp, src], { stdio: ['ignore', 'ignore', 'inherit'] });
    fs.renameSync(tmp, bin);
  }
  return bin;
}

for (const name of fs.readdirSync(PROGRAMS).filter((f) => f.endsWith('.c')).map((f) => f.slice(0, -2))) {
  test(`${name}: crfs run matches qemu-riscv64 byte for byte`, async (t) => {
    const bin = build(name);
    const ref = await runQemu(bin, []);
    t.is(ref.status, 0, `reference status; stderr: ${ref.stderr.toString()}`);
    const got = await runCrfs(['run', bin]);
    t.is(got.stdout.toString('latin1'), ref.stdout.toString('latin1'), 'stdout');
    t.is(got.stderr.toString('latin1'), ref.stderr.toString('latin1'), 'stderr');
    t.is(got.status, ref.status, 'exit status');
  });
}
