// `crfs mount --allow-other`: other users see the tree, the kernel enforces modes (memory and registers 0400 of the task's uid).
import test from 'ava';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { removeTmpRoot } from '../restart/harness';
import { cutImage } from '../restart/cli-fixtures';
import { runTool, startMountChild, unmountAll } from './mount-helpers';

// Mount points live under a 0755 directory so that another user can reach them at all.
const shared = fs.mkdtempSync(path.join(os.tmpdir(), 'crfs-allow-other-'));
fs.chmodSync(shared, 0o755);
let seq = 0;
const mountDir = (label: string): string => path.join(shared, `${label}-${++seq}`);

test.after.always(async () => {
  await unmountAll();
  fs.rmSync(shared, { recursive: true, force: true });
  removeTmpRoot();
});

/** `script` run by bash as uid/gid 65534 (nobody); never rejects. */
function asNobody(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'bash', '-c', script], { encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** The mount options /proc/mounts shows for `dir`. */
const optionsOf = (dir: string): string[] =>
  (fs.readFileSync('/proc/mounts', 'utf8').split('\n').find((l) => l.split(' ')[1] === dir) ?? '').split(' ')[3]?.split(',') ?? [];

const asRoot = process.getuid?.() === 0 ? test : test.skip;

asRoot('crfs mount --allow-other: others list and read scalars; memory and registers are 0400 of the task (uid 0 here)', async (t) => {
  const img = await cutImage('pipeline', 0.5);
  const dir = mountDir('open');
  const m = await startMountChild(['mount', '--allow-other', img.file, dir], dir, img.c.cwd, 'stdout');
  try {
    const opts = optionsOf(dir);
    t.true(opts.includes('allow_other'), opts.join(','));
    t.true(opts.includes('default_permissions'), 'modes are enforced by the kernel');
    const vma = fs.readdirSync(path.join(dir, 'task-1', 'mm', 'vmas'))[0];
    const files = ['thread/regs', 'thread/fregs', `mm/vmas/${vma}/data`, 'comm', 'thread'].map((f) => path.join(dir, 'task-1', f));
    const st = (await runTool('stat', ['-c', '%a %u %g', ...files])).toString().trim().split('\n');
    t.deepEqual(st, ['400 0 0', '400 0 0', '400 0 0', '444 0 0', '555 0 0']);
    const other = await asNobody(`cat ${files[3]} && ls ${path.dirname(files[0])} | grep -c regs; head -c1 ${files[0]}; head -c1 ${files[2]}; echo 1 > ${files[3]}`);
    t.is(other.stdout, 'pipeline\n2\n');
    t.deepEqual(other.stderr.trim().split('\n').map((l) => /Permission denied/.test(l)), [true, true, true], other.stderr);
  } finally {
    m.child.kill('SIGTERM');
    t.is((await m.exited).status, 0);
  }
});

asRoot('crfs mount without --allow-other: no allow_other, and another user cannot look inside', async (t) => {
  const img = await cutImage('pipeline', 0.5);
  const dir = mountDir('private');
  const m = await startMountChild(['mount', img.file, dir], dir, img.c.cwd, 'stdout');
  try {
    t.false(optionsOf(dir).includes('allow_other'));
    const other = await asNobody(`ls ${dir}`);
    t.not(other.code, 0);
    t.regex(other.stderr, /Permission denied/);
    t.is(other.stdout, '');
  } finally {
    m.child.kill('SIGTERM');
    t.is((await m.exited).status, 0);
  }
});
