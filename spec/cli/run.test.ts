// `crfs run`: bad programs and bad usage give one stderr line and the shell's status; good runs pass through.
import test, { ExecutionContext } from 'ava';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXAMPLES_DIR, REPO_ROOT, RunOutcome, makeTempDir, referenceEnv, runCrfs, runQemu } from '../examples/harness';

const HELLO = path.join(EXAMPLES_DIR, 'hello');
const tmp = makeTempDir('cli-run');
test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }));

function writeExecutable(name: string, data: Buffer | string): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, data, { mode: 0o755 });
  return file;
}

/** A minimal ELF header: 64 bytes for ELFCLASS64, 52 for ELFCLASS32, with the given class and machine. */
function makeElfHeader(elfClass: 1 | 2, machine: number): Buffer {
  const size = elfClass === 2 ? 64 : 52;
  const b = Buffer.alloc(size);
  b.set([0x7f, 0x45, 0x4c, 0x46, elfClass, 1, 1], 0);
  b.writeUInt16LE(2, 16); // ET_EXEC
  b.writeUInt16LE(machine, 18);
  b.writeUInt32LE(1, 20);
  return b;
}

/** Asserts crfs failed before running anything: nothing on stdout, exactly one `crfs: <path>: ...` line. */
function assertOneLineFailure(t: ExecutionContext, r: RunOutcome, status: number, prefix: string): string {
  t.is(r.status, status, `status; stderr: ${r.stderr.toString()}`);
  t.is(r.stdout.length, 0, 'stdout is empty');
  const err = r.stderr.toString();
  t.regex(err, /^[^\n]+\n$/, 'exactly one line on stderr');
  t.true(err.startsWith(prefix), `stderr starts with '${prefix}': ${err}`);
  t.notRegex(err, /\bat .*\(.*:\d+:\d+\)/, 'no stack trace');
  return err;
}

const badPrograms: { title: string; make: () => string; status: number; mentions: RegExp }[] = [
  { title: 'a missing file', make: () => path.join(tmp, 'does-not-exist'), status: 127, mentions: /no such file/i },
  { title: 'a text file', make: () => writeExecutable('text', 'just some words\n'), status: 126, mentions: /not an ELF/ },
  { title: 'an empty file', make: () => writeExecutable('empty', ''), status: 126, mentions: /not an ELF/ },
  { title: 'a directory', make: () => tmp, status: 126, mentions: /directory/i },
  {
    title: 'a file without execute permission',
    make: () => {
      const f = path.join(tmp, 'noexec');
      fs.copyFileSync(HELLO, f);
      fs.chmodSync(f, 0o644);
      return f;
    },
    status: 126,
    mentions: /permission denied/i,
  },
  { title: 'an x86-64 ELF (/bin/true)', make: () => writeExecutable('true-x86', fs.readFileSync('/bin/true')), status: 126, mentions: /machine/ },
  { title: 'a 32-bit RISC-V ELF header', make: () => writeExecutable('elf32', makeElfHeader(1, 243)), status: 126, mentions: /32-bit/ },
  {
    title: 'a dynamically linked riscv64 ELF',
    make: () => {
      const out = path.join(tmp, 'hello-dyn');
      execFileSync('riscv64-linux-gnu-gcc', ['-O2', '-o', out, path.join(REPO_ROOT, 'examples', 'hello.c')]);
      return out;
    },
    status: 126,
    mentions: /dynamically linked/,
  },
  {
    title: 'hello truncated to 4096 bytes',
    make: () => writeExecutable('hello-trunc', fs.readFileSync(HELLO).subarray(0, 4096)),
    status: 126,
    mentions: /truncated/,
  },
  {
    title: 'hello truncated inside its ELF header',
    make: () => writeExecutable('hello-trunc-header', fs.readFileSync(HELLO).subarray(0, 40)),
    status: 126,
    mentions: /truncated/,
  },
];

for (const bad of badPrograms) {
  test(`run refuses ${bad.title} with status ${bad.status} and one line naming it`, async (t) => {
    const file = bad.make();
    const err = assertOneLineFailure(t, await runCrfs(['run', file]), bad.status, `crfs: ${file}: `);
    t.regex(err, bad.mentions);
  });
}

test('run refuses a bad program given as a relative path, naming it as given', async (t) => {
  const r = await runCrfs(['run', 'examples/hello.c']);
  assertOneLineFailure(t, r, 126, 'crfs: examples/hello.c: ');
});

test('an unknown option is a one-line usage error with status 2', async (t) => {
  const err = assertOneLineFailure(t, await runCrfs(['run', '--bogus', HELLO]), 2, 'crfs: ');
  t.regex(err, /--bogus/);
});

test('an unknown top-level option or command is a usage error with status 2', async (t) => {
  assertOneLineFailure(t, await runCrfs(['--bogus']), 2, 'crfs: ');
  assertOneLineFailure(t, await runCrfs(['frobnicate']), 2, 'crfs: ');
});

test('run without a program is a usage error with status 2', async (t) => {
  const err = assertOneLineFailure(t, await runCrfs(['run']), 2, 'crfs: ');
  t.regex(err, /elf/i);
});

test('--stats without its file is a usage error with status 2', async (t) => {
  assertOneLineFailure(t, await runCrfs(['run', '--stats']), 2, 'crfs: ');
});

test('a bad CRFS_LOG level is a one-line usage error', async (t) => {
  const r = await runCrfs(['run', HELLO], { env: { ...referenceEnv(), CRFS_LOG: 'chatty' } });
  const err = assertOneLineFailure(t, r, 2, 'crfs: ');
  t.regex(err, /CRFS_LOG/);
});

test('--help prints usage and exits 0', async (t) => {
  const r = await runCrfs(['run', '--help']);
  t.is(r.status, 0);
  t.regex(r.stdout.toString(), /--stats/);
});

/** Runs the same program and arguments under crfs and qemu; asserts all three outputs agree. */
async function assertSameAsQemu(t: ExecutionContext, program: string, args: string[]): Promise<RunOutcome> {
  const [got, ref] = await Promise.all([runCrfs(['run', program, ...args]), runQemu(program, args)]);
  const view = (r: RunOutcome) => ({ status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() });
  t.deepEqual(view(got), view(ref), 'crfs run (actual) versus qemu-riscv64 (expected)');
  return got;
}

test('options after the program belong to the program', async (t) => {
  await assertSameAsQemu(t, 'build/examples/hello', ['--stats', 'x', '-v', '--']);
});

test('a program exit status and its stderr pass through (compute with a bad count)', async (t) => {
  const got = await assertSameAsQemu(t, 'build/examples/compute', ['not-a-number']);
  t.is(got.status, 1);
});

test('--stats writes instructions and exit; a signal death is 128+signal', async (t) => {
  const ok = path.join(tmp, 'hello.json'), segv = path.join(tmp, 'segv.json');
  const a = await runCrfs(['run', '--stats', ok, 'build/examples/hello', 'x']);
  t.is(a.status, 0, a.stderr.toString());
  const sa = JSON.parse(fs.readFileSync(ok, 'utf8')) as Record<string, unknown>;
  t.true(typeof sa.instructions === 'number' && sa.instructions > 1000, `instructions ${String(sa.instructions)}`);
  t.is(sa.exit, 0);
  const b = await runCrfs(['run', '--stats', segv, 'build/examples/segv']);
  t.is(b.status, 139, b.stderr.toString());
  const sb = JSON.parse(fs.readFileSync(segv, 'utf8')) as Record<string, unknown>;
  t.is(sb.exit, 139);
  t.is(sb.signal, 'SIGSEGV');
});

test('an unwritable --stats file is reported on one line', async (t) => {
  const r = await runCrfs(['run', '--stats', path.join(tmp, 'no', 'such', 'dir', 's.json'), 'build/examples/hello']);
  t.not(r.status, 0);
  t.regex(r.stderr.toString(), /^crfs: --stats [^\n]*\n$/);
});
