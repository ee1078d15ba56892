// Issue 4: a live checkpoint of a container with many tasks: tar and find over its many small files, and ls latency.
import * as path from 'node:path';
import { bootUntilReady, buildGuestProgram, Container } from '../guest';
import { collectGarbage, HostProbe } from '../host-probe';
import { endLive, fmtMs, Mirror, mirrorOf, scratchDir, targetLine, timedLiveCheckpoint, timedTrivialMount } from '../live-mounts';
import { BenchContext, BenchSection } from '../section';

const TAR = (dir: string): string => `tar cf - -C '${dir}' . | wc -c`;
const FIND = (dir: string): string => `find '${dir}' -type f | wc -l`;
const LS = (dir: string): string => `ls '${dir}'`;

interface WalkRow { tool: 'tar' | 'find'; crfsMs: number; trivialMs: number; out: string }
interface TasksResult {
  tasks: number;
  files: number;
  dirs: number;
  bytes: number;
  visibleMs: number;
  walks: WalkRow[];
  repeats: number;
}

/** tar and find, each on a fresh lazy checkpoint and then on the trivial fs holding the same paths and sizes; best of `repeats`. */
async function measureWalks(ctx: BenchContext, c: Container, tasks: number, repeats: number, dir: string, probe: HostProbe): Promise<TasksResult> {
  const mount = path.join(dir, 'tasks');
  const walks: WalkRow[] = [];
  let mirror: Mirror | null = null;
  let visibleMs = Infinity;
  for (const [tool, script] of [['tar', TAR], ['find', FIND]] as const) {
    const row: WalkRow = { tool, crfsMs: Infinity, trivialMs: Infinity, out: '' };
    for (let i = 0; i < repeats; i++) {
      ctx.log(`live-tasks: ${tool} of ${tasks} tasks`);
      collectGarbage();
      const { lc, timing } = await timedLiveCheckpoint(c, 'lazy', mount, probe);
      visibleMs = Math.min(visibleMs, timing.visibleMs);
      const crfs = await probe.run(script(mount));
      mirror ??= mirrorOf(lc.mounted.superblock);
      await endLive(lc);
      const t = await timedTrivialMount(mirror.tree, path.join(dir, 'trivial'), 'done', probe);
      const trivial = await probe.run(script(t.m.path));
      await t.m.unmount();
      row.crfsMs = Math.min(row.crfsMs, crfs.ms);
      row.trivialMs = Math.min(row.trivialMs, trivial.ms);
      row.out = crfs.out === trivial.out ? crfs.out : `${crfs.out} (trivial: ${trivial.out})`;
    }
    walks.push(row);
  }
  const m = mirror as Mirror;
  return { tasks, files: m.files, dirs: m.dirs, bytes: m.bytes, visibleMs, walks, repeats };
}

/** `ls DIR/task-<last pid>/fds` as a child process on a fresh lazy checkpoint (cold caches); best of `repeats`. */
async function lsLatency(c: Container, dir: string, probe: HostProbe, repeats: number): Promise<{ coldMs: number; warmMs: number; pid: number }> {
  const mount = path.join(dir, 'ls');
  const pid = Math.max(...c.k.tasks.keys());
  let coldMs = Infinity, warmMs = Infinity;
  for (let i = 0; i < repeats; i++) {
    const { lc } = await timedLiveCheckpoint(c, 'lazy', mount, probe);
    const fds = path.join(mount, `task-${pid}`, 'fds');
    coldMs = Math.min(coldMs, (await probe.run(LS(fds))).ms);
    warmMs = Math.min(warmMs, (await probe.run(LS(fds))).ms);
    await endLive(lc);
  }
  return { coldMs, warmMs, pid };
}

export const liveTasksSection: BenchSection = {
  title: 'Live checkpoint mounts of many tasks (issue 4)',
  async run(ctx: BenchContext): Promise<string> {
    const forker = buildGuestProgram('forker');
    const many = ctx.quick ? 100 : 1000;
    const dir = scratchDir('crfs-bench-tasks-');
    const probe = new HostProbe();
    try {
      await probe.ready();
      ctx.log(`live-tasks: booting ${many} tasks`);
      collectGarbage();
      const big = await bootUntilReady(forker, [String(many)]);
      // 1,000 tasks are about 550,000 files: a tar of them takes minutes, so the full run does it once.
      const walks = await measureWalks(ctx, big, many, ctx.quick ? 2 : 1, dir.path, probe);
      ctx.log('live-tasks: ls latency');
      const lsMany = await lsLatency(big, dir.path, probe, ctx.repeats + 1);
      const one = await bootUntilReady(forker, ['1']);
      const lsOne = await lsLatency(one, dir.path, probe, ctx.repeats + 1);
      return report(walks, [{ tasks: 1, ...lsOne }, { tasks: many, ...lsMany }], ctx.repeats + 1);
    } finally {
      probe.close();
      await dir.remove();
    }
  },
};

interface LsRow { tasks: number; coldMs: number; warmMs: number; pid: number }

function report(r: TasksResult, ls: LsRow[], lsRepeats: number): string {
  const out: string[] = [
    `\`bench/programs/forker.c\`: ${r.tasks} tasks (init and ${r.tasks - 1} children blocked reading a pipe), checkpointed in`,
    `lazy mode: ${r.files} files in ${r.dirs} directories, ${r.bytes} bytes of file contents; visible after ${fmtMs(r.visibleMs)}.`,
    `Each walk runs from a small child process (bench/host-probe.ts) on a fresh mount (cold kernel caches), best of ${r.repeats}; the trivial fs`,
    '(bench/trivial-fs.ts) serves the same paths with files of the same sizes (no hard links: tar reads every place of a shared',
    'file there, where on crfs it stores a link).',
    '',
    '| walk | crfs | crfs rate | trivial fs | trivial rate | crfs vs trivial (target ≥ 0.8) | output |',
    '|---|---|---|---|---|---|---|',
  ];
  const entries = r.files + r.dirs;
  for (const w of r.walks) {
    const cmd = w.tool === 'tar' ? '`tar cf - . \\| wc -c`' : '`find -type f \\| wc -l`';
    out.push(`| ${cmd} | ${fmtMs(w.crfsMs)} | ${(entries / w.crfsMs).toFixed(1)} k entries/s | ${fmtMs(w.trivialMs)} | ` +
      `${(entries / w.trivialMs).toFixed(1)} k entries/s | ${(w.trivialMs / w.crfsMs).toFixed(2)} | ${w.out} |`);
  }
  out.push('', targetLine('tar and find of crfs ≥ 0.8× the trivial fs', r.walks.every((w) => w.trivialMs / w.crfsMs >= 0.8)));
  out.push(
    '', '### ls latency', '',
    `\`ls DIR/task-<last pid>/fds\` as a child process, the first on a fresh mount (cold) and again (warm); best of ${lsRepeats}.`,
    '',
    '| tasks | cold | warm |',
    '|---|---|---|',
  );
  for (const l of ls) out.push(`| ${l.tasks} (task-${l.pid}) | ${fmtMs(l.coldMs)} | ${fmtMs(l.warmMs)} |`);
  const [a, b] = ls;
  out.push('', targetLine(`cold ls with ${b.tasks} tasks within 2× of 1 task: ${(b.coldMs / a.coldMs).toFixed(2)}×`, b.coldMs <= 2 * a.coldMs && a.coldMs <= 2 * b.coldMs));
  return `${out.join('\n')}\n`;
}
