// The client side of the host's control socket: connect (starting the host when asked), one request, its replies.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { CliError, EXIT_FAILURE, describeError } from '../cli/errors';
import { LineSplitter, ProtocolError, Reply, Request, encodeMessage, parseReply } from './protocol';
import { RuntimeDir, RuntimeDirError, openRuntimeDir } from './runtime-dir';

/** The CLI entry point the host is started from (this file is lib/crfs/host/client.js). */
const CRFS_MAIN = path.resolve(__dirname, '..', 'cli', 'main.js');
/** How long a `crfs boot` waits for a host it started to listen. */
const START_TIMEOUT_MS = 20000;
const POLL_MS = 50;

/** The runtime directory (see runtime-dir.ts), as a CliError when it is unsafe; null when it does not exist and `create` is false. */
export function runtimeDirOrFail(create: boolean): RuntimeDir | null {
  try {
    return openRuntimeDir(create);
  } catch (e) {
    if (e instanceof RuntimeDirError) throw new CliError(e.message, EXIT_FAILURE);
    throw e;
  }
}

/** One connection to the host. Replies are queued as they arrive; `next()` takes them in order. */
export class HostLink {
  private readonly replies: Reply[] = [];
  private waiter: (() => void) | null = null;
  private closed = false;
  private failure: Error | null = null;

  private constructor(private readonly sock: net.Socket) {
    const lines = new LineSplitter((line) => {
      try {
        this.replies.push(parseReply(line));
      } catch (e) {
        this.failure ??= e instanceof Error ? e : new ProtocolError(String(e));
        sock.destroy();
      }
      this.wake();
    });
    sock.on('data', (d: Buffer) => {
      try {
        lines.push(d);
      } catch (e) {
        this.failure ??= e instanceof Error ? e : new ProtocolError(String(e));
        sock.destroy();
        this.wake();
      }
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** Connects to the host listening at `socket`; null when none listens there (no socket file, or a dead host's). */
  static connect(socket: string): Promise<HostLink | null> {
    return new Promise((resolve, reject) => {
      const sock = net.createConnection(socket);
      const onError = (e: NodeJS.ErrnoException): void => {
        if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') resolve(null);
        else reject(new CliError(`cannot reach the crfs host at ${socket}: ${describeError(e)}`, EXIT_FAILURE));
      };
      sock.once('error', onError);
      sock.once('connect', () => {
        sock.off('error', onError);
        resolve(new HostLink(sock));
      });
    });
  }

  send(req: Request): void {
    this.sock.write(encodeMessage(req));
  }

  /** The next reply, or null once the host closed the connection. Throws CliError for a reply that cannot be decoded. */
  async next(): Promise<Reply | null> {
    for (;;) {
      const r = this.replies.shift();
      if (r) return r;
      if (this.failure) throw new CliError(`bad reply from the crfs host: ${describeError(this.failure)}`, EXIT_FAILURE);
      if (this.closed) return null;
      await new Promise<void>((resolve) => { this.waiter = resolve; });
    }
  }

  close(): void {
    this.sock.destroy();
  }
}

/** Starts `crfs host` detached from this process (its own session, stdio to the host log, cwd /). */
function spawnHost(rt: RuntimeDir): { exited: () => number | null } {
  const log = fs.openSync(rt.log, 'a', 0o600);
  let code: number | null = null;
  try {
    const child = spawn(process.execPath, [CRFS_MAIN, 'host'], { detached: true, stdio: ['ignore', log, log], cwd: '/', env: process.env });
    child.on('exit', (c) => { code = c ?? 1; });
    child.on('error', () => { code = 1; });
    child.unref();
  } finally {
    fs.closeSync(log);
  }
  return { exited: () => code };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A connection to the host of `rt`, starting one first if none listens. A host that loses the start
 * race (another host holds the lock, or one is just exiting) exits 0 and is started again. Throws
 * CliError when no host listens within START_TIMEOUT_MS or the host exits with a failure.
 */
export async function connectOrStartHost(rt: RuntimeDir): Promise<HostLink> {
  const first = await HostLink.connect(rt.socket);
  if (first) return first;
  const deadline = Date.now() + START_TIMEOUT_MS;
  let child = spawnHost(rt);
  while (Date.now() < deadline) {
    await sleep(POLL_MS);
    const link = await HostLink.connect(rt.socket);
    if (link) return link;
    const code = child.exited();
    if (code === null) continue;
    if (code !== 0) throw new CliError(`the crfs host failed to start (exit ${code}; see ${rt.log})`, EXIT_FAILURE);
    child = spawnHost(rt);
  }
  throw new CliError(`the crfs host did not start listening within ${START_TIMEOUT_MS / 1000} s (see ${rt.log})`, EXIT_FAILURE);
}
