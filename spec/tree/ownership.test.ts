// Who owns what in a checkpoint tree: memory and registers belong to their task's cred (0400), the rest to the mount's owner.
import test from 'ava';
import { chmodSync } from 'node:fs';
import path from 'node:path';
import { Superblock } from '../../lib/crfs/fs/superblock';
import { readImageItems } from '../../lib/crfs/image/codec';
import { TreeBuilder } from '../../lib/crfs/tree/build-tree';
import type { CheckpointModel, Obj, Rec } from '../../lib/crfs/tree/model';
import { mountImage } from '../../lib/crfs/tree/mount-image';
import { parseModel } from '../../lib/crfs/tree/parse-image';
import { buildSampleImage } from '../image/sample-image';
import { listNodes, makeTempDir, mountTemp, sh } from './helpers';

const IMAGE = buildSampleImage();
/** The sample image's one cred: uid 1000, gid 0, shared by both tasks. */
const TASK_UID = 1000;
const TASK_GID = 0;
/** The mounting user of the in-process superblocks (not this process's, so a fallback would show). */
const MOUNT_UID = 4242;
const MOUNT_GID = 4343;
const NEW_CRED = 99;

/** The sample's model with task 2 given a cred of its own (uid 2000, gid 3000); everything else still shared. */
function modelWithSecondCred(): CheckpointModel {
  const m = parseModel(readImageItems(IMAGE));
  const task2 = m.tasks?.find((t) => t.pid === 2);
  const credRef = task2?.recs.find((r) => r.spec.name === 'task_creds')?.value.cred_ref as number;
  const cred = m.objects.get(credRef) as Obj;
  const objects = new Map(m.objects);
  objects.set(NEW_CRED, { ...cred, id: NEW_CRED, rec: { ...cred.rec, value: { ...cred.rec.value, uid: 2000, gid: 3000 } } });
  const retarget = (r: Rec): Rec => (r.spec.name === 'task_creds' ? { ...r, value: { ...r.value, cred_ref: NEW_CRED, ecred_ref: NEW_CRED } } : r);
  const tasks = (m.tasks ?? []).map((t) => (t.pid === 2 ? { ...t, recs: t.recs.map(retarget) } : t));
  return { ...m, tasks, objects };
}

function superblockOf(m: CheckpointModel): Superblock {
  const b = new TreeBuilder(m);
  const sb = new Superblock(b.root, { uid: MOUNT_UID, gid: MOUNT_GID });
  b.link(sb);
  return sb;
}

const ownerAt = (sb: Superblock, p: string): string => {
  const st = sb.statOf(sb.resolve(`/${p}`));
  return `${(st.mode & 0o7777).toString(8)} ${st.uid} ${st.gid}`;
};

test('getattr: memory, registers and pipe bytes are 0400 of the task\'s uid/gid; every other file and directory is the mount owner\'s', t => {
  const sb = superblockOf(parseModel(readImageItems(IMAGE)));
  const raw: string[] = [];
  for (const [p, st] of listNodes(sb)) {
    const s = sb.statOf(sb.resolve(`/${p}`));
    if (!st.dir && (st.mode & 0o777) === 0o400) {
      raw.push(p);
      t.deepEqual([s.uid, s.gid], [TASK_UID, TASK_GID], p);
    } else {
      t.deepEqual([s.uid, s.gid], [MOUNT_UID, MOUNT_GID], p);
    }
  }
  for (const pid of [1, 2]) {
    for (const f of ['thread/regs', 'thread/fregs', 'mm/vmas/10000-13000/data', 'files/9/pipe/data']) t.true(raw.includes(`task-${pid}/${f}`), `task-${pid}/${f}`);
  }
});

test('a file shared by two tasks belongs to the first task (ascending pid), whichever place is looked up first', t => {
  for (const first of ['task-2', 'task-1']) {
    const sb = superblockOf(modelWithSecondCred());
    const lookups = first === 'task-2'
      ? ['task-2/mm/vmas/10000-13000/data', 'task-1/mm/vmas/10000-13000/data']
      : ['task-1/mm/vmas/10000-13000/data', 'task-2/mm/vmas/10000-13000/data'];
    const owners = lookups.map((p) => ownerAt(sb, p));
    t.deepEqual(owners, ['400 1000 0', '400 1000 0'], `the shared mm's memory, ${first} first`);
    t.is(sb.inodeOf(sb.resolve(`/${lookups[0]}`)), sb.inodeOf(sb.resolve(`/${lookups[1]}`)), 'one inode at both places');
    t.is(ownerAt(sb, 'task-2/files/9/pipe/data'), '400 1000 0', 'the shared pipe');
    t.is(ownerAt(sb, 'task-2/thread/regs'), '400 2000 3000', "task 2's own registers");
    t.is(ownerAt(sb, 'task-2/thread/fregs'), '400 2000 3000');
    t.is(ownerAt(sb, 'task-1/thread/regs'), '400 1000 0');
    t.is(ownerAt(sb, 'task-2/creds/uid'), `444 ${MOUNT_UID} ${MOUNT_GID}`, 'a scalar, even of the cred');
  }
});

test('stat on a real mount: regs, fregs and data are 400 of the task\'s uid; scalars and directories the mounting user\'s', async t => {
  const m = await mountTemp(IMAGE);
  t.teardown(() => m.dispose());
  const me = `${process.getuid?.() ?? 0} ${process.getgid?.() ?? 0}`;
  const r = await sh(`cd ${m.mnt} && stat -c '%a %u %g' task-1/thread/regs task-2/thread/fregs task-2/mm/vmas/10000-13000/data task-1/comm task-1/mm .`);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(r.stdout.trim().split('\n'), ['400 1000 0', '400 1000 0', '400 1000 0', `444 ${me}`, `555 ${me}`, `555 ${me}`]);
});

/** Runs `script` with bash as uid:gid (no supplementary groups). */
const as = (uid: number, gid: number, script: string) => sh(`setpriv --reuid=${uid} --regid=${gid} --clear-groups bash -c ${JSON.stringify(script)}`);

const asRoot = process.getuid?.() === 0 ? test : test.skip;

asRoot('with allow_other the kernel enforces modes and owners: only the task\'s uid reads its memory; nobody writes', async t => {
  const { dir, cleanup } = makeTempDir('crfs-own-');
  chmodSync(dir, 0o755);
  const mnt = path.join(dir, 'mnt');
  const { mounted } = await mountImage(IMAGE, mnt, { allowOther: true, registryDir: path.join(dir, 'registry') });
  t.teardown(async () => { try { await mounted.unmount(); } finally { cleanup(); } });
  const opts = (await sh(`grep ' ${mnt} ' /proc/mounts`)).stdout;
  t.regex(opts, /\bdefault_permissions\b/);
  t.regex(opts, /\ballow_other\b/);

  const owner = await as(TASK_UID, 1, `cd ${mnt} && wc -c < task-1/thread/regs && wc -c < task-2/mm/vmas/10000-13000/data && cat task-1/comm`);
  t.is(owner.code, 0, owner.stderr);
  t.deepEqual(owner.stdout.trim().split('\n'), ['248', '8192', 'init'], 'data holds the two pages the sample carries');

  const other = await as(65534, 65534, `cd ${mnt} && cat task-1/comm && ls task-1/thread | grep -c regs; cat task-1/thread/regs; cat task-2/mm/vmas/10000-13000/data; echo x > task-1/comm; touch newfile`);
  t.is(other.stdout, 'init\n2\n', 'scalars and listings (regs, fregs) are readable');
  const denied = other.stderr.trim().split('\n');
  t.is(denied.length, 4, other.stderr);
  for (const line of denied) t.regex(line, /Permission denied/);
});

asRoot('without allow_other no other user can even look at the mount', async t => {
  const m = await mountTemp(IMAGE);
  t.teardown(() => m.dispose());
  chmodSync(path.dirname(m.mnt), 0o755);
  const r = await as(TASK_UID, TASK_GID, `ls ${m.mnt}`);
  t.not(r.code, 0);
  t.regex(r.stderr, /Permission denied/);
  t.is(r.stdout, '');
});
