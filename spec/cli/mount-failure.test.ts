// A mounted checkpoint that cannot be taken (lazy or copy) is one stderr line; the program runs on, nothing is mounted.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../examples/harness';
import { baseline, crfs, removeTmpRoot, tmpPath } from '../restart/harness';
import { anywhereCase } from '../restart/cli-fixtures';
import { isMounted, unmountAll } from './mount-helpers';

test.after.always(async () => {
  await unmountAll();
  removeTmpRoot();
});

const latin1 = (b: Buffer): string => b.toString('latin1');

for (const mode of ['lazy', 'copy']) {
  test(`run --mount --mode ${mode} of a container that cannot be saved: one line, the program runs to its end, no mount`, async (t) => {
    const c = anywhereCase('hello');
    const rel = 'build/examples/vfork-spin';
    if (!fs.existsSync(path.join(c.cwd, rel))) {
      execFileSync('riscv64-linux-gnu-gcc', ['-static', '-O2', '-o', path.join(c.cwd, rel), path.join(REPO_ROOT, 'spec', 'restart', 'fixtures', 'vfork-spin.c')]);
    }
    const prog = { ...c, name: 'vfork-spin', program: rel, args: [] };
    const base = await baseline(prog);
    t.is(base.status, 0, base.stderr.toString());
    const dir = path.resolve(tmpPath(`fail-${mode}`));
    const r = await crfs(c, ['run', '--checkpoint-at', String(Math.floor(base.instructions / 2)), '--mount', dir, '--mode', mode, rel]);
    t.is(latin1(r.stdout), latin1(base.stdout), 'the program ran to its end as if nothing happened');
    t.is(r.status, base.status);
    t.regex(r.stderr.toString(), /^crfs: checkpoint failed: [^\n]*vfork[^\n]*\n$/, 'one line with the reason');
    t.false(isMounted(dir));
  });
}
