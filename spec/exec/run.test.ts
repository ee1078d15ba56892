// Images built by the loader run on the CPU and print what qemu-riscv64 prints for the same binaries.
import test from 'ava';
import { buildRiscv, buildStatic, runQemu } from './fixtures';
import { RANDOM, loadImage } from './load';
import { runImage } from './run-image';

const auxdump = buildStatic('spec/exec/fixtures/auxdump.c', 'auxdump');
const hello = buildStatic('examples/hello.c', 'hello');
const pie = buildRiscv('spec/exec/fixtures/pie.c', 'pie', ['-nostdlib', '-static-pie', '-fPIE', '-Wl,--no-dynamic-linker']);

test('hello runs from our image exactly as under qemu-riscv64', (t) => {
  const args = ['alpha', 'b e t a'];
  const ref = runQemu(hello, args, []);
  const got = runImage(loadImage(hello, [hello, ...args], []));
  t.is(got.stdout, ref.stdout);
  t.is(got.status, ref.status);
  t.is(got.status, 0);
});

test('argv, envp and auxv as the program sees them match qemu-riscv64', (t) => {
  const args = ['x', 'y z', ''];
  const env = ['ONLY=1'];
  const ref = runQemu(auxdump, args, env);
  const got = runImage(loadImage(auxdump, [auxdump, ...args], env));
  t.is(ref.status, 3);
  t.is(got.status, 3);
  t.is(got.stdout, ref.stdout);
  t.regex(ref.stdout, /^argc=4\n/);
  // What qemu randomizes we take from the kernel: the bytes the loader was given.
  t.true(got.stderr.includes('AT_HWCAP=0x112d\n'));
  t.true(got.stderr.includes(`AT_RANDOM=${Buffer.from(RANDOM).toString('hex')}\n`));
});

test('a static-pie runs at its load bias', (t) => {
  const ref = runQemu(pie, [], []);
  const got = runImage(loadImage(pie, [pie], []));
  t.is(got.stdout, 'pie ok\n');
  t.is(got.stdout, ref.stdout);
  t.is(got.status, ref.status);
});
