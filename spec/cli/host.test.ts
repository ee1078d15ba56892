// The background host: `crfs boot` starts programs in it, `crfs ps` lists them, `crfs checkpoint PID` mounts live checkpoints of them.
//
// Real processes and real FUSE mounts. Every host here lives in a temporary CRFS_RUNTIME_DIR (never the
// user's), and after.always stops it (SIGTERM, which unmounts its checkpoints; SIGKILL if it lingers).
import test, { ExecutionContext } from 'ava';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CRFS_MAIN, EXAMPLES_DIR, RunOutcome, referenceEnv, runProcess } from '../examples/harness';
import { isMounted, runTool, startMountChild, unmountAll } from './mount-helpers';
import { alive, hostPid } from './host-helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'crfs-host-'));
/** The runtime directory of the host most tests share. */
const RT = path.join(tmp, 'rt');
fs.mkdirSync(RT, { mode: 0o700 });
// startMountChild runs crfs with the test's environment: it must find this host, never a real one.
process.env.CRFS_RUNTIME_DIR = RT;
/** Where the programs are run from: only the two programs, so the containers' roots stay small. */
const CWD = path.join(tmp, 'work');
for (const prog of ['pipeline', 'sleep']) {
  fs.mkdirSync(path.join(CWD, 'bin'), { recursive: true });
  fs.copyFileSync(path.join(EXAMPLES_DIR, prog), path.join(CWD, 'bin', prog));
  fs.chmodSync(path.join(CWD, 'bin', prog), 0o755);
}
/** Runtime directories whose hosts after.always stops, and mounts it removes. */
const runtimeDirs = new Set<string>([RT]);
const detachedMounts = new Set<string>();
/** Items for a pipeline that outlives any test (it is killed, or dies with the host). */
const FOREVER = '100000000';

test.after.always(async () => {
  for (const rt of runtimeDirs) await stopHost(rt);
  await unmountAll();
  for (const d of detachedMounts) if (isMounted(d)) await runTool('fusermount', ['-uz', d]).catch(() => undefined);
  fs.rmSync(tmp, { recursive: true, force: true });
});


const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 100 ms; throws naming `what` if it does not hold within `ms`. */
async function waitFor(cond: () => boolean | Promise<boolean>, what: string, ms = 60000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Stops the host of `rt` (the one this file started there): SIGTERM, then SIGKILL after 10 s. */
async function stopHost(rt: string): Promise<void> {
  const pid = hostPid(rt);
  if (pid === null || !alive(pid)) return;
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  await waitFor(() => !alive(pid), `host ${pid} to exit`, 10000).catch(() => signal('SIGKILL'));
}

/** `crfs ARGS` from CWD with runtime directory `rt`. */
function crfsIn(rt: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunOutcome> {
  runtimeDirs.add(rt);
  return runProcess(process.execPath, [CRFS_MAIN, ...args], { cwd: CWD, env: { ...referenceEnv(), ...env, CRFS_RUNTIME_DIR: rt } });
}

function oneLine(t: ExecutionContext, r: RunOutcome, status: number, what: string): string {
  const err = r.stderr.toString();
  t.is(r.status, status, `${what}: status; stderr: ${err}`);
  t.regex(err, /^crfs: [^\n]+\n$/, `${what}: exactly one line on stderr`);
  t.notRegex(err, /\n\s+at .+:\d+:\d+/, `${what}: no stack trace`);
  t.is(r.stdout.length, 0, `${what}: nothing on stdout`);
  return err;
}

/** Boots `args` in the shared host; returns the init pid it printed. */
async function boot(t: ExecutionContext, args: string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
  const r = await crfsIn(RT, ['boot', ...args], env);
  t.is(r.status, 0, r.stderr.toString());
  t.regex(r.stdout.toString(), /^\d+\n$/);
  const pid = Number(r.stdout.toString());
  // Container n's init is 1000n + 1: unique in the host.
  t.is(pid % 1000, 1);
  t.true(r.stderr.toString().includes(path.join(RT, `${pid}.out`)), `stderr names the output file: ${r.stderr.toString()}`);
  return pid;
}

interface PsRow { pid: number; init: number; state: string; comm: string }

async function ps(rt = RT): Promise<PsRow[]> {
  const r = await crfsIn(rt, ['ps']);
  if (r.status !== 0) throw new Error(`crfs ps: ${r.stderr.toString()}`);
  const [header, ...lines] = r.stdout.toString().split('\n').filter(Boolean);
  if (!/^\s*PID\s+INIT\s+STATE\s+COMM$/.test(header ?? '')) throw new Error(`crfs ps header: ${header}`);
  return lines.map((l) => {
    const [pid, init, state, comm] = l.trim().split(/\s+/);
    return { pid: Number(pid), init: Number(init), state, comm };
  });
}

const tasksOf = async (init: number): Promise<PsRow[]> => (await ps()).filter((r) => r.init === init);
const statusFile = (rt: string, pid: number): string => path.join(rt, `${pid}.status`);
const ended = (rt: string, pid: number): boolean => fs.existsSync(statusFile(rt, pid));
const mountDir = (label: string): string => path.join(tmp, label);

/** `diff -r a b`: its status and output (1: they differ). */
function diffTrees(a: string, b: string): Promise<{ status: number; out: string }> {
  return new Promise((resolve) => {
    execFile('diff', ['-r', a, b], { maxBuffer: 1 << 28 }, (err, out) => {
      const code: unknown = err?.code;
      resolve({ status: err === null ? 0 : typeof code === 'number' ? code : 2, out: String(out) });
    });
  });
}

test.serial('without a host: ps prints only the header and starts none; checkpoint and usage errors are one line', async (t) => {
  const rt = path.join(tmp, 'rt-none');
  const p = await crfsIn(rt, ['ps']);
  t.is(p.status, 0, p.stderr.toString());
  t.regex(p.stdout.toString(), /^\s*PID\s+INIT\s+STATE\s+COMM\n$/);
  t.is(p.stderr.length, 0);
  t.false(fs.existsSync(rt), 'ps created no runtime directory');
  t.regex(oneLine(t, await crfsIn(rt, ['checkpoint', '1001']), 1, 'no host'), /no crfs host is running/);
  oneLine(t, await crfsIn(rt, ['checkpoint', 'abc']), 2, 'pid not a number');
  oneLine(t, await crfsIn(rt, ['checkpoint', '1001', '--mode', 'fast']), 2, 'bad --mode');
  oneLine(t, await crfsIn(rt, ['checkpoint']), 2, 'no pid');
  oneLine(t, await crfsIn(rt, ['boot', 'bin/no-such-program']), 127, 'boot of a missing program');
  t.false(fs.existsSync(path.join(rt, 'host.sock')), 'no host started for a program that cannot run');
  // A runtime directory other users can enter is refused, not used.
  const open = path.join(tmp, 'rt-open');
  fs.mkdirSync(open, { mode: 0o700 });
  fs.chmodSync(open, 0o755);
  t.regex(oneLine(t, await crfsIn(open, ['ps']), 1, 'ps in an open runtime dir'), /0755/);
  oneLine(t, await crfsIn(open, ['boot', 'bin/sleep']), 1, 'boot in an open runtime dir');
  t.false(fs.existsSync(path.join(open, 'host.sock')));
});

test.serial('boot runs the program in the background; ps lists its tasks; checkpoint freezes it until done, then it ends as an uninterrupted run', async (t) => {
  const args = ['bin/pipeline', '200000', '/tmp/host-test/pipeline.out'];
  const reference = runProcess(process.execPath, [CRFS_MAIN, 'run', ...args], { cwd: CWD, env: referenceEnv() });
  const pid = await boot(t, args, { CRFS_HOST_TEST_MARK: 'env-reaches-the-program-7q' });
  // The producer, filter and consumer are forked early: ps shows them under the same init.
  await waitFor(async () => (await tasksOf(pid)).length >= 4, 'the pipeline\'s children in crfs ps');
  const rows = await tasksOf(pid);
  t.true(rows.some((r) => r.pid === pid), 'init listed');
  t.true(rows.every((r) => r.comm === 'pipeline' && r.pid >= pid && r.pid < pid + 1000), JSON.stringify(rows));
  const child = rows.find((r) => r.pid !== pid)!;

  const dir = mountDir('live');
  const m = await startMountChild(['checkpoint', String(pid), '--mount', dir, '--json'], dir, CWD, 'stdout');
  const fds = (await runTool('ls', [path.join(dir, `task-${pid}`, 'fds')])).toString().split('\n').filter(Boolean);
  t.true(['0', '1', '2'].every((n) => fds.includes(n)), fds.join(' '));
  t.is((await runTool('cat', [path.join(dir, `task-${pid}`, 'comm')])).toString(), 'pipeline\n');
  // The program started in the caller's cwd, with the caller's environment (found in its stack).
  t.is((await runTool('cat', [path.join(dir, `task-${pid}`, 'fs', 'cwd')])).toString().trim(), CWD);
  const marked = (await runTool('grep', ['-rl', 'env-reaches-the-program-7q', path.join(dir, `task-${pid}`, 'mm')])).toString();
  t.true(marked.includes('/vmas/'), marked);
  t.true((await tasksOf(pid)).every((r) => r.state === 'frozen'), 'lazy: every task frozen while mounted');

  oneLine(t, await crfsIn(RT, ['checkpoint', String(pid), '--mount', mountDir('second')]), 1, 'already being checkpointed');
  t.false(isMounted(mountDir('second')));
  t.regex(oneLine(t, await crfsIn(RT, ['checkpoint', String(child.pid)]), 1, 'not an init'), /not a container's init/);
  oneLine(t, await crfsIn(RT, ['checkpoint', '999999']), 1, 'no such pid');

  fs.writeFileSync(path.join(dir, 'done'), '1\n');
  const end = await m.exited;
  t.is(end.status, 0, end.stderr.toString());
  const [printed, json] = end.stdout.toString().split('\n');
  t.is(printed, dir);
  const report = JSON.parse(json) as Record<string, unknown>;
  t.like(report, { mount: dir, mode: 'lazy', pid, ended: 'done', then: 'continue' });
  t.false(isMounted(dir));

  const ref = await reference;
  await waitFor(() => ended(RT, pid), 'the booted pipeline to end', 100000);
  t.is(fs.readFileSync(statusFile(RT, pid), 'utf8'), `${ref.status}\n`);
  t.is(fs.readFileSync(path.join(RT, `${pid}.out`), 'latin1'), ref.stdout.toString('latin1'));
  t.is(fs.readFileSync(path.join(RT, `${pid}.err`), 'latin1'), ref.stderr.toString('latin1'));
  t.false((await ps()).some((r) => r.init === pid), 'an ended program leaves ps');
  oneLine(t, await crfsIn(RT, ['checkpoint', String(pid)]), 1, 'checkpoint of an ended program');
});

test.serial('checkpoint --kill: writing done ends the program instead of thawing it', async (t) => {
  const pid = await boot(t, ['bin/pipeline', FOREVER, '/tmp/host-test/kill.out']);
  const dir = mountDir('kill');
  const m = await startMountChild(['checkpoint', String(pid), '--mount', dir, '--kill'], dir, CWD, 'stdout');
  t.true(fs.readdirSync(dir).includes(`task-${pid}`));
  fs.writeFileSync(path.join(dir, 'done'), '1\n');
  const end = await m.exited;
  t.is(end.status, 0, end.stderr.toString());
  t.is(end.stdout.toString(), `${dir}\n`);
  await waitFor(() => ended(RT, pid), 'the killed program\'s status');
  t.is(fs.readFileSync(statusFile(RT, pid), 'utf8'), '137\n');
  t.false((await ps()).some((r) => r.init === pid));
  t.false(fs.readFileSync(path.join(RT, `${pid}.out`), 'utf8').includes('last line'), 'it never reached its end');
  t.false(isMounted(dir));
});

test.serial('checkpoint --detach --json returns at once with the report; unmounting ends the checkpoint; copy mode runs on', async (t) => {
  const pid = await boot(t, ['bin/pipeline', FOREVER, '/tmp/host-test/detach.out']);
  const dir = mountDir('detach');
  detachedMounts.add(dir);
  const r = await crfsIn(RT, ['checkpoint', String(pid), '--mount', dir, '--detach', '--json']);
  t.is(r.status, 0, r.stderr.toString());
  const [printed, json] = r.stdout.toString().split('\n');
  t.is(printed, dir);
  const report = JSON.parse(json) as Record<string, unknown>;
  t.like(report, { mount: dir, mode: 'lazy', pid, ended: null, id: 1 });
  t.true(typeof report.bytes === 'number' && report.bytes > 0);
  // The command has returned; the checkpoint lives on, the program stays frozen.
  t.true(isMounted(dir));
  t.true(fs.readdirSync(dir).includes('done'));
  t.true((await tasksOf(pid)).every((row) => row.state === 'frozen'));
  oneLine(t, await crfsIn(RT, ['checkpoint', String(pid), '--mount', mountDir('detach-2'), '--detach']), 1, 'already being checkpointed');
  await runTool('fusermount', ['-u', dir]);
  await waitFor(async () => (await tasksOf(pid)).some((row) => row.state !== 'frozen'), 'the program to thaw after unmount');

  // A checkpoint that fails (here: no directory can be made there) leaves the program running as it was.
  const blocker = path.join(tmp, 'a-file');
  fs.writeFileSync(blocker, 'x');
  oneLine(t, await crfsIn(RT, ['checkpoint', String(pid), '--mount', path.join(blocker, 'sub'), '--detach']), 1, 'mount point cannot be made');
  t.true((await tasksOf(pid)).some((row) => row.state !== 'frozen'), 'not left frozen');

  const copyDir = mountDir('detach-copy');
  detachedMounts.add(copyDir);
  const c = await crfsIn(RT, ['checkpoint', String(pid), '--mount', copyDir, '--mode', 'copy', '--detach', '--json']);
  t.is(c.status, 0, c.stderr.toString());
  const copyReport = JSON.parse(c.stdout.toString().split('\n')[1]) as Record<string, unknown>;
  t.like(copyReport, { mount: copyDir, mode: 'copy', pid, ended: null });
  t.true(Number(copyReport.id) > 1, 'checkpoint ids count up per container');
  t.true(typeof copyReport.downtime_ms === 'number');
  t.true(isMounted(copyDir));
  // Copy mode thawed the tasks at once: they run while the mount shows the state of the freeze.
  t.true((await tasksOf(pid)).some((row) => row.state !== 'frozen'));
  fs.writeFileSync(path.join(copyDir, 'done'), '1\n');
  await waitFor(() => !isMounted(copyDir), 'the copy checkpoint to unmount after done');
  // Ended the way a migration would: a last checkpoint with --kill.
  const last = mountDir('detach-kill');
  detachedMounts.add(last);
  t.is((await crfsIn(RT, ['checkpoint', String(pid), '--mount', last, '--kill', '--detach'])).status, 0);
  fs.writeFileSync(path.join(last, 'done'), '1\n');
  await waitFor(() => ended(RT, pid), 'the program to be killed');
  t.is(fs.readFileSync(statusFile(RT, pid), 'utf8'), '137\n');
});

test.serial('two checkpoints of one program at different times differ (diff -r)', async (t) => {
  const pid = await boot(t, ['bin/pipeline', FOREVER, '/tmp/host-test/diff.out']);
  const first = mountDir('diff-1');
  const a = await startMountChild(['checkpoint', String(pid), '--mount', first, '--json'], first, CWD, 'stdout');
  const saved = mountDir('diff-1-saved');
  fs.mkdirSync(saved);
  const tar = path.join(tmp, 'diff-1.tar');
  await runTool('tar', ['cf', tar, '-C', first, '.']);
  await runTool('tar', ['xf', tar, '-C', saved]);
  fs.writeFileSync(path.join(first, 'done'), '1\n');
  const endA = await a.exited;
  t.is(endA.status, 0, endA.stderr.toString());
  // The program runs on between the two.
  const second = mountDir('diff-2');
  const b = await startMountChild(['checkpoint', String(pid), '--mount', second, '--json', '--kill'], second, CWD, 'stdout');
  const d = await diffTrees(saved, second);
  t.is(d.status, 1, d.out);
  // Not only the header: a task's registers moved (init itself may sleep in wait4 all along).
  t.regex(d.out, new RegExp(`task-${Math.floor(pid / 1000)}\\d{3}/thread/regs differ`), 'a task of the program changed');
  fs.writeFileSync(path.join(second, 'done'), '1\n');
  const endB = await b.exited;
  t.is(endB.status, 0, endB.stderr.toString());
  const r1 = JSON.parse(endA.stdout.toString().split('\n')[1]) as { instructions: number };
  const r2 = JSON.parse(endB.stdout.toString().split('\n')[1]) as { instructions: number };
  t.true(r2.instructions > r1.instructions, `${r1.instructions} then ${r2.instructions}`);
  await waitFor(() => ended(RT, pid), 'the program killed by the second checkpoint');
});

test.serial('a host of its own: a short program\'s output lands in its file, then the host exits by itself', async (t) => {
  const rt = path.join(tmp, 'rt-own');
  const reference = await runProcess(process.execPath, [CRFS_MAIN, 'run', 'bin/sleep'], { cwd: CWD, env: referenceEnv() });
  const r = await crfsIn(rt, ['boot', 'bin/sleep']);
  t.is(r.status, 0, r.stderr.toString());
  t.is(r.stdout.toString(), '1001\n', 'the first container of a fresh host');
  t.is(fs.statSync(rt).mode & 0o777, 0o700, 'runtime directory created private');
  const host = hostPid(rt);
  t.not(host, null);
  await waitFor(() => ended(rt, 1001), 'sleep to end');
  t.is(fs.readFileSync(statusFile(rt, 1001), 'utf8'), `${reference.status}\n`);
  t.is(fs.readFileSync(path.join(rt, '1001.out'), 'latin1'), reference.stdout.toString('latin1'));
  await waitFor(() => !alive(host!), 'the idle host to exit');
  t.false(fs.existsSync(path.join(rt, 'host.sock')), 'socket removed');
  t.false(fs.existsSync(path.join(rt, 'host.pid')), 'lock removed');
  const p = await crfsIn(rt, ['ps']);
  t.regex(p.stdout.toString(), /^\s*PID\s+INIT\s+STATE\s+COMM\n$/);
});
