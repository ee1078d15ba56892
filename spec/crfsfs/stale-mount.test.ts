// A server killed with SIGKILL leaves an ENOTCONN mount; cleanStaleMounts() clears it and only it.
import test from 'ava';
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { cleanStaleMounts, listFuseMounts } from '../../lib/crfs/fs/mount-registry';
import { buildToyTree, makeTempDir, mountToy, sh } from './toy-tree';

test('the sweeper lazily unmounts the mount of a SIGKILLed server and keeps live ones', async t => {
  const { dir, cleanup } = makeTempDir();
  const mnt = path.join(dir, 'dead');
  const registry = path.join(dir, 'registry');
  const child = spawn(process.execPath, [path.join(__dirname, 'mount-child.js'), mnt, registry], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()));
  t.teardown(async () => {
    child.kill('SIGKILL');
    await exited;
    await sh(`fusermount -uz ${mnt} 2>/dev/null; true`);
    cleanup();
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('mounted')) resolve(); });
    child.once('exit', code => reject(new Error(`child exited ${code}`)));
  });
  // A live mount of this process in the same registry, which the sweeper must leave alone.
  const live = await mountToy(buildToyTree(), { registryDir: registry });
  t.teardown(live.dispose);

  t.is((await sh(`cat ${mnt}/task-100/comm`)).stdout, 'prog100\n');
  t.is((await cleanStaleMounts(registry)).length, 0, 'nothing is stale while the server lives');
  child.kill('SIGKILL');
  await exited;
  const dead = await sh(`ls ${mnt}`);
  t.regex(dead.stderr, /Transport endpoint is not connected/);

  const cleaned = await cleanStaleMounts(registry);
  t.deepEqual(cleaned, [await fsp.realpath(mnt)]);
  const after = await sh(`ls -A ${mnt}`);
  t.is(after.code, 0, after.stderr);
  t.is(after.stdout, '', 'the mount point is an empty directory again');
  const mounts = await listFuseMounts();
  t.false(mounts.has(await fsp.realpath(mnt)));
  t.true(mounts.has(live.m.path), 'the live mount stays');
  t.is((await fsp.readdir(registry)).length, 1, 'only the live record remains');
  t.is((await sh(`cat ${live.m.path}/files/1/f_pos`)).stdout, '4096\n');
});
