// The background host (`crfs host`, started by the first `crfs boot`): runs booted containers, serves the control socket.
//
// Container n (counting from 1 in this host's life) gets init pid 1000*n + 1 and its children the pids
// after it, so a container's init pid names it host-wide. The host exits once it has had no container,
// no checkpoint mount and no client for IDLE_MS.
import * as fs from 'node:fs';
import * as net from 'node:net';
import { Logger } from 'pino';
import type { Kernel } from '../../emukernel/kernel';
import { bootProgram } from '../cli/run';
import { CliError, describeError } from '../cli/errors';
import { FileHostIo } from './file-host-io';
import { HostRequestError, HostedContainer } from './container';
import type { LiveCheckpoint } from '../live/live-checkpoint';
import { acquireLock, releaseLock } from './lock';
import {
  BootRequest, CheckpointRequest, LineSplitter, Reply, Request, TaskRow, encodeMessage, parseRequest,
} from './protocol';
import { RuntimeDir, programFiles } from './runtime-dir';

/** How long the host lingers with nothing to do before it exits. */
const IDLE_MS = 2000;
/** A client that connects and sends no request within this is dropped. */
const REQUEST_TIMEOUT_MS = 10000;
/** Pids per container: container n's init is PID_RANGE * n + 1. */
export const PID_RANGE = 1000;

/** One client connection: replies are best-effort (the client may be gone). */
class Client {
  constructor(private readonly sock: net.Socket) {}

  send(r: Reply): void {
    if (!this.sock.destroyed && this.sock.writable) this.sock.write(encodeMessage(r));
  }

  /** Sends `r` (if given) and closes the connection. */
  end(r?: Reply): void {
    if (r) this.send(r);
    if (!this.sock.destroyed) this.sock.end();
  }

  fail(e: unknown): void {
    const status = e instanceof HostRequestError || e instanceof CliError ? e.status : 1;
    this.end({ kind: 'error', message: describeError(e), status });
  }
}

class Host {
  private readonly containers = new Map<number, HostedContainer>();
  private seq = 0;
  private clients = 0;
  private idleTimer: NodeJS.Timeout | null = null;
  private closing = false;
  private server: net.Server | null = null;
  private socketIno = -1;
  private resolveDone!: () => void;
  readonly done = new Promise<void>((r) => { this.resolveDone = r; });

  constructor(private readonly rt: RuntimeDir, private readonly log: Logger) {}

  async start(): Promise<boolean> {
    if (!acquireLock(this.rt.lock)) return false;
    // Holding the lock: a socket left here belongs to a host that died.
    fs.rmSync(this.rt.socket, { force: true });
    const server = net.createServer((sock) => this.accept(sock));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.rt.socket, () => { server.off('error', reject); resolve(); });
    });
    fs.chmodSync(this.rt.socket, 0o600);
    this.socketIno = fs.statSync(this.rt.socket).ino;
    server.on('error', (e) => this.log.error({ err: describeError(e) }, 'control socket error'));
    const onSignal = (): void => { void this.shutdown(); };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    process.on('SIGHUP', () => undefined);
    this.log.info({ pid: process.pid, socket: this.rt.socket }, 'crfs host started');
    this.changed();
    return true;
  }

  private accept(sock: net.Socket): void {
    this.clients++;
    const client = new Client(sock);
    let seen = false;
    const timer = setTimeout(() => sock.destroy(), REQUEST_TIMEOUT_MS);
    const lines = new LineSplitter((line) => {
      if (seen) return;
      seen = true;
      clearTimeout(timer);
      let req: Request;
      try {
        req = parseRequest(line);
      } catch (e) {
        client.fail(new HostRequestError(`bad request: ${describeError(e)}`));
        return;
      }
      void this.handle(req, client);
    });
    sock.on('data', (d: Buffer) => {
      try {
        lines.push(d);
      } catch (e) {
        client.fail(new HostRequestError(`bad request: ${describeError(e)}`));
      }
    });
    sock.on('error', () => undefined);
    sock.once('close', () => {
      clearTimeout(timer);
      this.clients--;
      this.changed();
    });
  }

  private async handle(req: Request, client: Client): Promise<void> {
    if (this.closing) {
      client.fail(new HostRequestError('the crfs host is shutting down'));
      return;
    }
    try {
      switch (req.op) {
        case 'boot': client.end(await this.boot(req)); break;
        case 'ps': client.end({ kind: 'tasks', tasks: this.rows() }); break;
        case 'checkpoint': await this.checkpoint(req, client); break;
      }
    } catch (e) {
      if (!(e instanceof HostRequestError || e instanceof CliError)) this.log.error({ err: e }, 'request failed');
      client.fail(e);
    }
  }

  private async boot(req: BootRequest): Promise<Reply> {
    const n = ++this.seq;
    const pid = PID_RANGE * n + 1;
    const files = programFiles(this.rt.dir, pid);
    fs.rmSync(files.status, { force: true });
    let io: FileHostIo;
    try {
      io = new FileHostIo(files.stdout, files.stderr);
    } catch (e) {
      throw new HostRequestError(`cannot create the program's output files in ${this.rt.dir}: ${describeError(e)}`);
    }
    let kernel: Kernel;
    try {
      kernel = await bootProgram(req.elf, req.args, req.env, this.log, { hostIo: io, cwd: req.cwd, initPid: pid });
    } catch (e) {
      io.close();
      fs.rmSync(files.stdout, { force: true });
      fs.rmSync(files.stderr, { force: true });
      throw e;
    }
    const c = new HostedContainer(kernel, io, () => this.changed());
    this.containers.set(c.initPid, c);
    void c.ended.then((status) => {
      try {
        fs.writeFileSync(files.status, `${status}\n`, { mode: 0o600 });
      } catch {
        // The runtime directory went away: nobody is left to read it.
      }
      this.log.info({ pid: c.initPid, status }, 'container ended');
    });
    this.log.info({ pid: c.initPid, elf: req.elf }, 'container booted');
    return { kind: 'booted', pid: c.initPid, stdout: files.stdout, stderr: files.stderr };
  }

  private rows(): TaskRow[] {
    return [...this.containers.values()].sort((a, b) => a.initPid - b.initPid).flatMap((c) => c.rows());
  }

  private async checkpoint(req: CheckpointRequest, client: Client): Promise<void> {
    const c = this.containers.get(req.pid);
    if (!c || !c.alive) {
      const owner = [...this.containers.values()].find((x) => x.alive && x.kernel.tasks.has(req.pid));
      if (owner) throw new HostRequestError(`pid ${req.pid} is not a container's init (its container's init is ${owner.initPid})`);
      throw new HostRequestError(c ? `pid ${req.pid} has exited` : `no program booted in this host has pid ${req.pid}`);
    }
    const mounts = [...this.containers.values()].flatMap((x) => x.mountPaths);
    const parent = req.parent === null ? null : this.parentAt(req.parent, c);
    const live = await c.checkpoint({ mount: req.mount, mode: req.mode, kill: req.kill, parent }, mounts);
    this.log.info({ pid: req.pid, mount: live.mounted.path, mode: req.mode }, 'checkpoint mounted');
    client.send({ kind: 'mounted', mount: live.mounted.path, report: live.report });
    if (req.detach) {
      client.end();
      return;
    }
    const report = await live.ended;
    client.end({ kind: 'ended', report });
  }

  /** The live checkpoint of `c` mounted at `mount`. Throws HostRequestError naming what `mount` is instead. */
  private parentAt(mount: string, c: HostedContainer): LiveCheckpoint {
    const own = c.liveAt(mount);
    if (own !== null) return own;
    const other = [...this.containers.values()].find((x) => x.liveAt(mount) !== null);
    if (other) throw new HostRequestError(`--parent ${mount}: a checkpoint of pid ${other.initPid}, not of pid ${c.initPid}`);
    if (c.endedAtPath(mount)) throw new HostRequestError(`--parent ${mount}: that checkpoint of pid ${c.initPid} has ended (its pages are released)`);
    throw new HostRequestError(`--parent ${mount}: not a live checkpoint of this crfs host`);
  }

  /** Re-evaluates idleness after anything ended: forgets finished containers, arms or disarms the exit timer. */
  private changed(): void {
    for (const [pid, c] of this.containers) if (c.gone) this.containers.delete(pid);
    const idle = this.containers.size === 0 && this.clients === 0;
    if (!idle) {
      if (this.idleTimer) clearTimeout(this.idleTimer);
      this.idleTimer = null;
    } else if (!this.idleTimer && !this.closing) {
      this.idleTimer = setTimeout(() => {
        this.idleTimer = null;
        if (this.containers.size === 0 && this.clients === 0) void this.shutdown();
      }, IDLE_MS);
    }
  }

  /** Ends every live checkpoint (unmounting it), stops listening, removes the socket and the lock. Containers die with the process. */
  async shutdown(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.server?.close();
    try {
      // Only ours: a host started after we stopped listening may own the path by now.
      if (fs.statSync(this.rt.socket).ino === this.socketIno) fs.rmSync(this.rt.socket, { force: true });
    } catch {
      // already gone
    }
    await Promise.all([...this.containers.values()].map((c) => c.endCheckpoint('SIGTERM')));
    releaseLock(this.rt.lock);
    this.log.info('crfs host exiting');
    this.resolveDone();
  }
}

/**
 * Runs the host for runtime directory `rt` until it has been idle for IDLE_MS or is signalled.
 * Resolves false at once when another host holds the directory's lock.
 */
export async function runHost(rt: RuntimeDir, log: Logger): Promise<boolean> {
  const host = new Host(rt, log);
  if (!(await host.start())) return false;
  await host.done;
  return true;
}
