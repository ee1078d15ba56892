// Child process for the stale-mount test: mounts a toy tree at argv[2] (registry argv[3]) and waits to be killed.
import { mountTree } from '../../lib/crfs/fs/fuse-adapter';
import { buildToyTree } from './toy-tree';

async function main(): Promise<void> {
  const [mnt, registryDir] = process.argv.slice(2);
  const tree = buildToyTree();
  await mountTree(tree.root, mnt, { superblock: tree.superblock, registryDir, autoUnmount: false });
  process.stdout.write('mounted\n');
  setInterval(() => undefined, 1 << 30);
}

main().catch(err => { process.stderr.write(`${String(err)}\n`); process.exit(1); });
