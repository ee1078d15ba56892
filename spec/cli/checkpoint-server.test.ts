// `crfs serve-checkpoints`, the child that serves copy-mode checkpoints for another process: its protocol, seen from outside.
import test from 'ava';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CollectSink, readImageItems } from '../../lib/crfs/image/codec';
import { encodeItems } from '../../lib/crfs/image/encode-items';
import { parseReply, ServerReply } from '../../lib/crfs/live/checkpoint-server';
import { plain, pushAt } from '../checkpoint/incremental-harness';
import { CRFS_MAIN, makeTempDir } from '../examples/harness';
import { isMounted } from './mount-helpers';
import { runTool } from './mount-helpers';

const dir = makeTempDir('checkpoint-server');
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The server as a child, its replies as they come, and a way to wait for the next ones. */
function startServer(): { send(line: string): void; next(n?: number): Promise<ServerReply[]>; close(): void; stderr(): string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CRFS_MAIN, 'serve-checkpoints'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const replies: ServerReply[] = [];
  let err = '';
  let wake: () => void = () => undefined;
  let buf = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const r = parseReply(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      if (r !== null) replies.push(r);
    }
    wake();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; wake(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { wake(); resolve(code); }));
  let taken = 0;
  return {
    send: (line) => child.stdin.write(`${line}\n`),
    async next(n = 1): Promise<ServerReply[]> {
      while (replies.length < taken + n && child.exitCode === null) await new Promise<void>((resolve) => { wake = resolve; });
      const got = replies.slice(taken, taken + n);
      taken += got.length;
      return got;
    },
    close: () => child.stdin.end(),
    stderr: () => err,
    exited,
  };
}

test('mounts an unsealed blob and answers its checksum, survives bad requests, and ends every mount when its stdin closes', async (t) => {
  const run = await plain('pipeline', ['300', '/tmp/out']);
  const image = await pushAt('pipeline', ['300', '/tmp/out'], Math.floor(run.instructions / 2), 7);
  const unsealed = new CollectSink();
  encodeItems(readImageItems(image), unsealed, { sealed: false });
  const files = ['a.img', 'b.img'].map((f) => path.join(dir, f));
  for (const f of files) fs.writeFileSync(f, unsealed.bytes());
  const mounts = ['m1', 'm2'].map((m) => path.join(dir, m));
  const s = startServer();
  try {
    s.send('this is not json');
    s.send(JSON.stringify({ op: 'launch', req: 9 }));
    s.send(JSON.stringify({ op: 'mount', req: 1, file: files[0], dir: mounts[0] }));
    const [first] = await s.next();
    t.deepEqual(first, { req: 1, mounted: mounts[0], checksum: image.readUInt32LE(image.length - 4) }, 'mounted, with the CRC push mode wrote');
    t.regex(s.stderr(), /^crfs: serve-checkpoints: bad request \(not JSON\)\ncrfs: serve-checkpoints: bad request \(unknown request 'launch'\)\n$/);
    t.false(fs.existsSync(files[0]), 'the blob file is removed once read');
    t.true((await runTool('ls', [mounts[0]])).toString().split('\n').includes('done'));
    s.send(JSON.stringify({ op: 'mount', req: 2, file: path.join(dir, 'missing.img'), dir: path.join(dir, 'm3') }));
    const [bad] = await s.next();
    t.is(bad.req, 2);
    t.true('error' in bad && /^.*m3: .*ENOENT/.test(bad.error), JSON.stringify(bad));
    s.send(JSON.stringify({ op: 'mount', req: 3, file: files[1], dir: mounts[1] }));
    t.like((await s.next())[0], { req: 3, mounted: mounts[1] });
    s.send(JSON.stringify({ op: 'end', req: 1, why: 'done' }));
    t.deepEqual(await s.next(), [{ req: 1, ended: 'done' }]);
    t.false(isMounted(mounts[0]));
    t.true(isMounted(mounts[1]));
    s.close();
    t.deepEqual(await s.next(), [{ req: 3, ended: 'unmounted' }], 'the lifeline ends what is left');
    t.is(await s.exited, 0);
    t.false(isMounted(mounts[1]));
  } finally {
    s.close();
  }
});
