// Process-core syscalls (fork, wait4, zombies, clone threads, futex, sleeps, ids) give what Linux gives, via qemu.
import test from 'ava';
import { buildStatic } from '../exec/fixtures';
import { runCrfs, runQemu } from '../examples/harness';

test('proc-core: stdout and exit status equal qemu-riscv64', async (t) => {
  const bin = buildStatic('spec/kernel/fixtures/proc-core.c', 'proc-core', ['-Wall'], 'kernel');
  const [q, e] = await Promise.all([runQemu(bin, []), runCrfs(['run', bin])]);
  t.is(q.status, 3, `qemu: ${q.stderr}`);
  t.true(q.stdout.toString().includes('thread ran=1, ctid cleared'));
  t.is(e.stdout.toString(), q.stdout.toString());
  t.is(e.stderr.toString(), q.stderr.toString());
  t.is(e.status, q.status);
});
