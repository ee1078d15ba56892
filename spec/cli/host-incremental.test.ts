// `crfs checkpoint PID --mode copy --parent DIR`: an incremental live checkpoint in the background host, restarted from two tars.
//
// Real processes and real FUSE mounts, in a host of a temporary CRFS_RUNTIME_DIR that after.always
// stops (SIGTERM unmounts its checkpoints).
import test, { ExecutionContext } from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CRFS_MAIN, EXAMPLES_DIR, RunOutcome, referenceEnv, runProcess } from '../examples/harness';
import { isMounted, runTool, unmountAll } from './mount-helpers';
import { alive, hostPid } from './host-helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'crfs-host-inc-'));
const RT = path.join(tmp, 'rt');
fs.mkdirSync(RT, { mode: 0o700 });
const CWD = path.join(tmp, 'work');
fs.mkdirSync(path.join(CWD, 'bin'), { recursive: true });
fs.copyFileSync(path.join(EXAMPLES_DIR, 'pipeline'), path.join(CWD, 'bin', 'pipeline'));
fs.chmodSync(path.join(CWD, 'bin', 'pipeline'), 0o755);
/** Long enough that two checkpoints are taken while it runs; it ends on its own. */
const ITEMS = '150000';
const FOREVER = '100000000';
const mounts = new Set<string>();

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, what: string, ms = 90000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}


test.after.always(async () => {
  const pid = hostPid(RT);
  if (pid !== null && alive(pid)) {
    process.kill(pid, 'SIGTERM');
    await waitFor(() => !alive(pid), 'the host to exit', 10000).catch(() => process.kill(pid, 'SIGKILL'));
  }
  await unmountAll();
  for (const d of mounts) if (isMounted(d)) await runTool('fusermount', ['-uz', d]).catch(() => undefined);
  fs.rmSync(tmp, { recursive: true, force: true });
});

function crfs(args: string[], rt = RT): Promise<RunOutcome> {
  return runProcess(process.execPath, [CRFS_MAIN, ...args], { cwd: CWD, env: { ...referenceEnv(), CRFS_RUNTIME_DIR: rt } });
}

async function boot(t: ExecutionContext, args: string[]): Promise<number> {
  const r = await crfs(['boot', ...args]);
  t.is(r.status, 0, r.stderr.toString());
  return Number(r.stdout.toString());
}

const dirOf = (label: string): string => {
  const d = path.join(tmp, label);
  mounts.add(d);
  return d;
};
const statusFile = (pid: number): string => path.join(RT, `${pid}.status`);

/** `crfs checkpoint ... --detach --json`: the report, once the mount is up. */
async function detached(t: ExecutionContext, args: string[]): Promise<{ id: number; mount: string; mode: string }> {
  const r = await crfs(['checkpoint', ...args, '--detach', '--json']);
  t.is(r.status, 0, r.stderr.toString());
  return JSON.parse(r.stdout.toString().split('\n')[1]) as { id: number; mount: string; mode: string };
}

async function done(dir: string): Promise<void> {
  fs.writeFileSync(path.join(dir, 'done'), '1\n');
  await waitFor(() => !isMounted(dir), `${dir} to unmount after done`);
}

function oneLine(t: ExecutionContext, r: RunOutcome, status: number, msg: RegExp, what: string): void {
  t.is(r.status, status, `${what}: ${r.stderr.toString()}`);
  t.regex(r.stderr.toString(), /^crfs: [^\n]+\n$/, what);
  t.regex(r.stderr.toString(), msg, what);
}

test.serial('checkpoint --mode copy --parent D1: restart from the child\'s tar with the parent\'s tar prints what one run prints', async (t) => {
  const reference = await runProcess(process.execPath, [CRFS_MAIN, 'run', 'bin/pipeline', ITEMS, '/tmp/inc.out'], { cwd: CWD, env: referenceEnv() });
  t.is(reference.status, 0, reference.stderr.toString());
  const pid = await boot(t, ['bin/pipeline', ITEMS, '/tmp/inc.out']);
  const d1 = dirOf('inc-1');
  const d2 = dirOf('inc-2');
  const r1 = await detached(t, [String(pid), '--mode', 'copy', '--mount', d1]);
  const r2 = await detached(t, [String(pid), '--mode', 'copy', '--parent', d1, '--mount', d2]);
  t.true(r2.id > r1.id);
  t.true(isMounted(d1) && isMounted(d2));
  const tar1 = path.join(tmp, 'inc-1.tar');
  const tar2 = path.join(tmp, 'inc-2.tar');
  await runTool('tar', ['cf', tar1, '-C', d1, '.']);
  await runTool('tar', ['cf', tar2, '-C', d2, '.']);
  // The parent may end first: the child's tar already holds what it needs of it as references.
  await done(d1);
  await done(d2);
  t.true(fs.statSync(tar2).size < fs.statSync(tar1).size, `child tar ${fs.statSync(tar2).size}, parent tar ${fs.statSync(tar1).size}`);
  await waitFor(() => fs.existsSync(statusFile(pid)), 'the booted program to end');
  t.is(fs.readFileSync(path.join(RT, `${pid}.out`), 'latin1'), reference.stdout.toString('latin1'), 'the checkpointed program ran on unchanged');

  const r = await crfs(['restart', tar2, '--parent', tar1]);
  t.is(r.status, reference.status, r.stderr.toString());
  const out = r.stdout.toString('latin1');
  const whole = reference.stdout.toString('latin1');
  // What was printed before the cut is in the booted program's output file, not the restart's.
  t.true(out.length > 0 && whole.endsWith(out), `restart printed ${JSON.stringify(out)}`);
  t.regex(out, /parent: expected \d+ lines\n$/);
  const alone = await crfs(['restart', tar2]);
  oneLine(t, alone, 1, new RegExp(`parent checkpoint ${r1.id} is not among the 0 parent image\\(s\\) given`), 'restart without --parent');
});

test.serial('--parent errors are one line; the container runs on and nothing is left mounted', async (t) => {
  const a = await boot(t, ['bin/pipeline', FOREVER, '/tmp/inc-a.out']);
  const b = await boot(t, ['bin/pipeline', FOREVER, '/tmp/inc-b.out']);
  const copyA = dirOf('err-copy-a');
  await detached(t, [String(a), '--mode', 'copy', '--mount', copyA]);
  const child = dirOf('err-child');
  const fail = async (args: string[], status: number, msg: RegExp, what: string): Promise<void> => {
    oneLine(t, await crfs(['checkpoint', ...args, '--mount', child, '--detach']), status, msg, what);
    t.false(isMounted(child), `${what}: nothing mounted`);
  };
  await fail([String(a), '--mode', 'copy', '--parent', path.join(tmp, 'nowhere')], 1, /--parent \S+nowhere: not a live checkpoint of this crfs host/, 'not a checkpoint');
  await fail([String(b), '--mode', 'copy', '--parent', copyA], 1, new RegExp(`--parent \\S+err-copy-a: a checkpoint of pid ${a}, not of pid ${b}`), 'another container');
  await fail([String(a), '--parent', copyA], 2, /--parent needs --mode copy/, 'without --mode copy');
  await fail([String(a), '--mode', 'lazy', '--parent', copyA], 2, /--parent needs --mode copy/, 'lazy mode');
  await done(copyA);
  await fail([String(a), '--mode', 'copy', '--parent', copyA], 1, /--parent \S+err-copy-a: that checkpoint of pid \d+ has ended/, 'an ended parent');

  // A lazy parent: b frozen under it; the request for a child is refused and b stays checkpointed as it was.
  const lazyB = dirOf('err-lazy-b');
  const lazy = await crfs(['checkpoint', String(b), '--mount', lazyB, '--detach']);
  t.is(lazy.status, 0, lazy.stderr.toString());
  await fail([String(b), '--mode', 'copy', '--parent', lazyB], 1, /--parent \S+err-lazy-b: a lazy-mode checkpoint; only a copy-mode one can be a parent/, 'a lazy parent');
  await done(lazyB);

  // Both containers ran on: a new (complete) checkpoint of each still works.
  for (const pid of [a, b]) {
    const d = dirOf(`err-after-${pid}`);
    const r = await crfs(['checkpoint', String(pid), '--mode', 'copy', '--mount', d, '--detach', '--kill']);
    t.is(r.status, 0, r.stderr.toString());
    await done(d);
    await waitFor(() => fs.existsSync(statusFile(pid)), `pid ${pid} killed by its checkpoint`);
  }
});
