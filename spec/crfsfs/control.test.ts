// The writable `done` file, read-only everything else, laziness, and ESTALE after invalidate().
import test, { ExecutionContext } from 'ava';
import { buildToyTree, mountToy, sh, ToyTree } from './toy-tree';

async function withMount(t: ExecutionContext, tree: ToyTree = buildToyTree()): Promise<string> {
  const { m, dispose } = await mountToy(tree);
  t.teardown(dispose);
  return m.path;
}

test('echo 1 > done calls the handler once; echo 2 > done fails with EINVAL and does not', async t => {
  const tree = buildToyTree();
  const mnt = await withMount(t, tree);
  const ok = await sh(`echo 1 > ${mnt}/done`);
  t.is(ok.code, 0, ok.stderr);
  t.is(tree.doneCount(), 1);
  const noNewline = await sh(`printf 1 > ${mnt}/done`);
  t.is(noNewline.code, 0, noNewline.stderr);
  t.is(tree.doneCount(), 2);
  for (const bad of ['echo 2', 'echo 11', 'echo', 'echo 0', 'echo " 1"', '/bin/printf "1\\n\\n"']) {
    const r = await sh(`${bad} > ${mnt}/done`);
    t.not(r.code, 0, bad);
    t.regex(r.stderr, /Invalid argument/, bad);
  }
  t.is(tree.doneCount(), 2);
});

test('writes, creates, unlinks, renames, links, chmod, chown, utimes and setxattr fail with EROFS', async t => {
  const mnt = await withMount(t);
  const attempts: Array<[string, string]> = [
    ['write', `echo x > ${mnt}/task-100/comm`],
    ['append', `echo x >> ${mnt}/mem`],
    ['truncate', `truncate -s 0 ${mnt}/mem`],
    ['create', `touch ${mnt}/newfile`],
    ['mkdir', `mkdir ${mnt}/newdir`],
    ['unlink', `rm -f ${mnt}/mem`],
    ['rmdir', `rmdir ${mnt}/task-101/fds/1`],
    ['rename', `mv ${mnt}/mem ${mnt}/mem2`],
    ['link', `ln ${mnt}/mem ${mnt}/mem2`],
    ['symlink', `ln -s mem ${mnt}/mem2`],
    ['chmod', `chmod 777 ${mnt}/mem`],
    ['chown', `chown 1:1 ${mnt}/mem`],
    ['utimens', `touch -d 2020-01-01 ${mnt}/mem`],
    ['mknod', `mkfifo ${mnt}/fifo`],
    ['setxattr', `python3 -c 'import os,sys; os.setxattr(sys.argv[1], "user.x", b"1")' ${mnt}/mem`],
  ];
  for (const [what, cmd] of attempts) {
    const r = await sh(cmd);
    t.not(r.code, 0, what);
    t.regex(r.stderr, /Read-only file system/, `${what}: ${r.stderr}`);
  }
  const after = await sh(`cd ${mnt} && ls && cat task-100/comm && stat -c %a mem && md5sum < mem`);
  t.is(after.code, 0, after.stderr);
  t.regex(after.stdout, /^done\nfiles\nmem\ntask-100\ntask-101\nprog100\n444\n/, 'nothing changed');
});

test('listing one task builds nothing of the others', async t => {
  const tree = buildToyTree();
  const mnt = await withMount(t, tree);
  const r = await sh(`ls ${mnt} > /dev/null && cat ${mnt}/task-100/comm && ls ${mnt}/task-100`);
  t.is(r.code, 0, r.stderr);
  t.true(tree.built.has('task-100'));
  t.false(tree.built.has('task-101'), [...tree.built].join(' '));
  t.false(tree.built.has('task-101/fds'));
  t.false(tree.built.has('files'));
});

test('after invalidate() reads, opens and listings fail with ESTALE, including of files read before', async t => {
  const tree = buildToyTree();
  const mnt = await withMount(t, tree);
  const before = await sh(`cat ${mnt}/files/1/f_pos && ls ${mnt}/task-100`);
  t.is(before.code, 0, before.stderr);
  tree.superblock.invalidate('done written');
  t.false(tree.superblock.isValid);
  for (const cmd of [`cat ${mnt}/files/1/f_pos`, `cat ${mnt}/task-101/comm`, `ls ${mnt}/task-100`, `dd if=${mnt}/mem of=/dev/null`]) {
    const r = await sh(cmd);
    t.not(r.code, 0, cmd);
    t.regex(r.stderr, /Stale file handle/, `${cmd}: ${r.stderr}`);
    t.is(r.stdout, '', 'no data leaks out');
  }
});

test('register and memory files are 0400 and owned by the task owner given to the factory', async t => {
  const mnt = await withMount(t, buildToyTree({ uid: 1234, gid: 5678 }));
  const r = await sh(`stat -c '%a %u %g' ${mnt}/task-100/regs ${mnt}/task-100/comm`);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, `400 1234 5678\n444 ${process.getuid!()} ${process.getgid!()}\n`);
});
