// For the CLI mount tests: `crfs mount` / `crfs run --mount` in a child process, waiting for the mount, tar, teardown.
import { ChildProcess, execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CRFS_MAIN, RunOutcome, referenceEnv } from '../examples/harness';
import { tmpPath } from '../restart/harness';
import type { CutImage } from '../restart/cli-fixtures';

/** A crfs child serving a mount, with what it has printed so far. */
export interface MountChild {
  child: ChildProcess;
  dir: string;
  stdout: Buffer[];
  stderr: Buffer[];
  /** Resolves with the child's outcome once it exits. */
  exited: Promise<RunOutcome>;
}

const started = new Set<string>();

/** Whether a FUSE filesystem is mounted at exactly `dir` (an absolute, resolved path). */
export function isMounted(dir: string): boolean {
  return fs.readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => /\bfuse/.test(l) && l.split(' ')[1] === dir);
}

/**
 * Spawns `crfs ARGS` (cwd `cwd`, stdin /dev/null) and resolves once `dir` is a FUSE mount and the
 * child printed it on `stream`. Rejects if the child exits first or nothing appears within 60 s.
 */
export function startMountChild(args: string[], dir: string, cwd: string, stream: 'stdout' | 'stderr'): Promise<MountChild> {
  started.add(dir);
  const child = spawn(process.execPath, [CRFS_MAIN, ...args], { cwd, env: referenceEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: Buffer[] = [], stderr: Buffer[] = [];
  child.stdout?.on('data', (d: Buffer) => stdout.push(d));
  child.stderr?.on('data', (d: Buffer) => stderr.push(d));
  const exited = new Promise<RunOutcome>((resolve) => {
    child.on('close', (code, signal) => resolve({
      stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr), status: code ?? (signal === 'SIGTERM' ? 143 : 128),
    }));
  });
  let gone = false;
  void exited.then(() => { gone = true; });
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 60000;
    const poll = (): void => {
      const printed = Buffer.concat(stream === 'stdout' ? stdout : stderr).toString().split('\n').includes(dir);
      if (printed && isMounted(dir)) return resolve({ child, dir, stdout, stderr, exited });
      if (gone) return reject(new Error(`crfs ${args.join(' ')} exited before mounting: ${Buffer.concat(stderr).toString()}`));
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        return reject(new Error(`crfs ${args.join(' ')}: no mount at ${dir} after 60 s`));
      }
      setTimeout(poll, 50);
    };
    poll();
  });
}

/** Runs `cmd args` asynchronously (the mount is served by another process, but never block the loop); resolves with stdout. */
export function runTool(cmd: string, args: string[], cwd?: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, encoding: 'buffer', maxBuffer: 1 << 30 }, (err, out, errOut) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${err.message} ${errOut.toString()}`));
      else resolve(out);
    });
  });
}

/** Lazily unmounts every directory a test here mounted (teardown: never leave mounts behind). */
export async function unmountAll(): Promise<void> {
  for (const dir of started) {
    if (isMounted(dir)) await runTool('fusermount', ['-uz', dir]).catch(() => undefined);
  }
}

const tars = new Map<string, Promise<string>>();

/** `tar c` of a `crfs mount` of `img` (made once per image file, then shared by the tests of a file). */
export function tarOfMountedImage(img: CutImage): Promise<string> {
  let p = tars.get(img.file);
  if (!p) {
    p = (async () => {
      const dir = path.resolve(tmpPath('mnt'));
      const m = await startMountChild(['mount', img.file, dir], dir, img.c.cwd, 'stdout');
      const tar = tmpPath('tree.tar');
      try {
        await runTool('tar', ['cf', tar, '-C', dir, '.']);
      } finally {
        m.child.kill('SIGTERM');
        await m.exited;
      }
      return tar;
    })();
    tars.set(img.file, p);
  }
  return p;
}
