// mm behaviour a real program observes, compared with qemu-riscv64 running the same binary.
import test from 'ava';
import { buildStatic, runCrfs, runQemu } from '../exec/fixtures';

const bin = buildStatic('spec/mm/fixtures/mmap-semantics.c', 'mmap-semantics', ['-Wall'], 'mm');

test('mmap, munmap, mprotect, mremap, madvise, mincore, brk, fork sharing and file mappings behave as under qemu-riscv64', (t) => {
  const scratch = `/tmp/crfs-mm-semantics-${process.pid}.bin`;
  const ref = runQemu(bin, [scratch], []);
  t.is(ref.status, 0, ref.stderr);
  const got = runCrfs(bin, [scratch]);
  t.is(got.stdout, ref.stdout);
  t.is(got.status, 0, got.stderr);
  t.regex(ref.stdout, /after fork: shared 2 3, private 1\n/);
});
