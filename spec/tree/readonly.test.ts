// Every file and directory of a mounted image refuses every change: EROFS from crfs, or the kernel's EACCES/EPERM first.
import test from 'ava';
import { chmodSync } from 'node:fs';
import path from 'node:path';
import { mountImage } from '../../lib/crfs/tree/mount-image';
import { buildSampleImage } from '../image/sample-image';
import { makeTempDir, mountTemp, run } from './helpers';

const IMAGE = buildSampleImage();

/**
 * Tries each change on every file and directory under argv[1] and prints {op: {errno name: count}}
 * ('OK' counts a change that went through). One process, so thousands of attempts stay cheap.
 */
const TRY_CHANGES = String.raw`
import errno, json, os, sys
root = sys.argv[1]
res = {}
def note(op, fn):
    try:
        fn()
        name = 'OK'
    except OSError as e:
        name = errno.errorcode.get(e.errno, str(e.errno))
    res.setdefault(op, {})
    res[op][name] = res[op].get(name, 0) + 1
def opener(p, flags):
    def f():
        os.close(os.open(p, flags, 0o644))
    return f
for d, dirs, files in os.walk(root):
    for n in files:
        p = os.path.join(d, n)
        note('open O_WRONLY', opener(p, os.O_WRONLY))
        note('open O_RDWR', opener(p, os.O_RDWR))
        note('open O_APPEND', opener(p, os.O_WRONLY | os.O_APPEND))
        note('open O_TRUNC', opener(p, os.O_WRONLY | os.O_TRUNC))
        note('truncate', lambda: os.truncate(p, 0))
        note('chmod', lambda: os.chmod(p, 0o666))
        note('chown', lambda: os.chown(p, 1, 1))
        note('utime', lambda: os.utime(p, (0, 0)))
        note('setxattr', lambda: os.setxattr(p, 'user.crfs', b'1'))
        note('removexattr', lambda: os.removexattr(p, 'user.crfs'))
        note('link', lambda: os.link(p, p + '.link'))
        note('rename', lambda: os.rename(p, p + '.moved'))
        note('unlink', lambda: os.unlink(p))
    note('create', opener(os.path.join(d, 'new'), os.O_WRONLY | os.O_CREAT | os.O_EXCL))
    note('mkdir', lambda: os.mkdir(os.path.join(d, 'newdir')))
    note('mkfifo', lambda: os.mkfifo(os.path.join(d, 'fifo')))
    note('symlink', lambda: os.symlink('x', os.path.join(d, 'sym')))
    note('dir chmod', lambda: os.chmod(d, 0o777))
    note('dir setxattr', lambda: os.setxattr(d, 'user.crfs', b'1'))
    if d != root:
        note('rmdir', lambda: os.rmdir(d))
        note('dir rename', lambda: os.rename(d, d + '.moved'))
print(json.dumps(res))
`;

type Outcomes = Record<string, Record<string, number>>;

async function tryChanges(mnt: string, prefix: string[] = []): Promise<Outcomes> {
  const cmd = [...prefix, '/usr/bin/python3', '-c', TRY_CHANGES, mnt];
  const r = await run(cmd[0], cmd.slice(1));
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Outcomes;
}

/** Asserts every attempt of every op failed with one of `allowed`, and that each op was tried `min` times or more. */
function assertRefused(t: import('ava').ExecutionContext, got: Outcomes, allowed: readonly string[]): void {
  t.log(Object.entries(got).map(([op, by]) => `${op}: ${Object.entries(by).map(([e, n]) => `${n} ${e}`).join(', ')}`).join('; '));
  for (const [op, by] of Object.entries(got)) {
    for (const [err, n] of Object.entries(by)) t.true(allowed.includes(err), `${op}: ${n} x ${err}`);
  }
  t.true((got['open O_WRONLY']?.EROFS ?? 0) + (got['open O_WRONLY']?.EACCES ?? 0) > 500, 'every file was tried');
  t.true(Object.values(got.rmdir ?? {}).reduce((a, b) => a + b, 0) > 100, 'every directory was tried');
}

test('as the mounting user: every change to every file and directory is EROFS', async t => {
  const m = await mountTemp(IMAGE);
  t.teardown(() => m.dispose());
  const got = await tryChanges(m.mnt);
  assertRefused(t, got, ['EROFS']);
  t.is(Object.keys(got).length, 21, Object.keys(got).join(', '));
});

const asRoot = process.getuid?.() === 0 ? test : test.skip;

asRoot('as another user of an allow_other mount: EACCES or EPERM (not the owner) before crfs is asked, or EROFS', async t => {
  const { dir, cleanup } = makeTempDir('crfs-ro-');
  chmodSync(dir, 0o755);
  const { mounted } = await mountImage(IMAGE, path.join(dir, 'mnt'), { allowOther: true, registryDir: path.join(dir, 'registry') });
  t.teardown(async () => { try { await mounted.unmount(); } finally { cleanup(); } });
  const got = await tryChanges(mounted.path, ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups']);
  assertRefused(t, got, ['EROFS', 'EACCES', 'EPERM']);
  t.deepEqual(Object.keys(got.chmod), ['EPERM'], 'chmod of a file one does not own');
});
