// One program booted in the background host: its own Kernel, run in the host's event loop, checkpointed on request.
import * as path from 'node:path';
import type { Kernel } from '../../emukernel/kernel';
import { CheckpointError } from '../../emukernel/checkpoint/context';
import { cleanStaleMounts, listFuseMounts } from '../fs/mount-registry';
import { LiveCheckpoint, LiveMode, startLiveCheckpoint } from '../live/live-checkpoint';
import { mountTablePath } from '../live/mount-watch';
import { describeError } from '../cli/errors';
import type { FileHostIo } from './file-host-io';
import type { TaskRow } from './protocol';

/** A request the host refuses: one line for the client, and the status it exits with. */
export class HostRequestError extends Error {
  constructor(message: string, readonly status = 1) {
    super(message.replace(/\s*\n\s*/g, ' '));
  }
}

export interface CheckpointAsk {
  /** Absolute, or null for /mnt/checkpoint-<id>. */
  mount: string | null;
  mode: LiveMode;
  kill: boolean;
  /** Incremental: a live copy-mode checkpoint of this container (HostedContainer.liveAt) the new one is a child of. */
  parent?: LiveCheckpoint | null;
}

const STATE_NAMES: Record<string, string> = { runnable: 'running', blocked: 'sleeping', stopped: 'stopped' };

/** Whether `a` and `b` are the same path or one lies below the other (lexically: both are absolute and resolved). */
function nested(a: string, b: string): boolean {
  return a === b || a.startsWith(b.endsWith('/') ? b : `${b}/`) || b.startsWith(a.endsWith('/') ? a : `${a}/`);
}

export class HostedContainer {
  readonly initPid: number;
  /** Resolves with init's shell status (128 + signal when killed) once the container has ended. */
  readonly ended: Promise<number>;
  private running = true;
  /** Its live checkpoints: more than one only while incremental children of a copy-mode parent live. */
  private readonly lives = new Set<LiveCheckpoint>();
  private starting = false;
  /** Mount points of its checkpoints that have ended, so that `--parent` can say so. */
  private readonly endedAt = new Set<string>();
  /** Checkpoint ids this container's kernel has handed out (startLiveCheckpoint takes the next). */
  private ids = 0;
  private readonly bootedAt = process.hrtime.bigint();

  /** `onChange` is called whenever the container ends or a checkpoint of it ends. */
  constructor(readonly kernel: Kernel, readonly io: FileHostIo, private readonly onChange: () => void) {
    const init = kernel.init;
    if (!init) throw new Error('container without init');
    this.initPid = init.pid;
    this.ended = this.run();
  }

  private async run(): Promise<number> {
    let status: number;
    try {
      status = (await this.kernel.runToCompletion()).status;
    } catch (e) {
      // As `crfs run` would print it on its stderr (a deadlock, an emulator failure): the program's stderr here.
      this.io.write(2, Buffer.from(`crfs: ${describeError(e)}\n`));
      this.kernel.log.error({ pid: this.initPid, err: describeError(e) }, 'container failed');
      status = 70;
    }
    this.running = false;
    this.io.close();
    this.onChange();
    return status;
  }

  /** Gone: ended, and no checkpoint of it lives on (a copy-mode mount may outlast the program). */
  get gone(): boolean {
    return !this.running && this.lives.size === 0 && !this.starting;
  }

  get alive(): boolean {
    return this.running && this.kernel.init?.state === 'alive';
  }

  /** The mount points of its live checkpoints. */
  get mountPaths(): string[] {
    return [...this.lives].map((l) => l.mounted.path);
  }

  /** Its live checkpoint mounted at `mount`, if any. */
  liveAt(mount: string): LiveCheckpoint | null {
    for (const l of this.lives) if (l.mounted.path === mount) return l;
    return null;
  }

  /** Whether a checkpoint of it was mounted at `mount` and has ended. */
  endedAtPath(mount: string): boolean {
    return this.endedAt.has(mount) && this.liveAt(mount) === null;
  }

  /** Its live tasks for `crfs ps`, in pid order. */
  rows(): TaskRow[] {
    const frozen = this.kernel.scheduler.frozen;
    return [...this.kernel.tasks.values()]
      .filter((t) => t.state !== 'dead')
      .sort((a, b) => a.tid - b.tid)
      .map((t) => ({ pid: t.tid, init: this.initPid, state: frozen ? 'frozen' : (STATE_NAMES[t.state] ?? t.state), comm: t.comm }));
  }

  /** Ends its live checkpoints as unmounting would, and resolves once they have ended. */
  async endCheckpoint(why: 'SIGTERM' | 'SIGINT'): Promise<void> {
    const lives = [...this.lives];
    for (const l of lives) l.end(why);
    await Promise.all(lives.map((l) => l.ended));
  }

  /**
   * Starts a live checkpoint (startLiveCheckpoint) mounted at `ask.mount`, or /mnt/checkpoint-<id>.
   * `hostMounts` are the mounts this process serves: mounting at or below one of them would make this
   * process wait on its own FUSE server. Throws HostRequestError with the container as it was.
   */
  async checkpoint(ask: CheckpointAsk, hostMounts: readonly string[]): Promise<LiveCheckpoint> {
    if (!this.alive) throw new HostRequestError(`pid ${this.initPid} has exited`);
    const parent = ask.parent ?? null;
    // A second checkpoint alongside a live one only as its incremental child: that is what the parent's pins are kept for.
    if (this.starting || (this.lives.size > 0 && parent === null)) {
      const where = this.mountPaths[0];
      throw new HostRequestError(`pid ${this.initPid} is already being checkpointed${where ? ` (at ${where})` : ''}`);
    }
    if (parent !== null) {
      if (!this.lives.has(parent)) throw new HostRequestError(`--parent ${parent.mounted.path}: not a live checkpoint of pid ${this.initPid}`);
      if (parent.report.mode !== 'copy') throw new HostRequestError(`--parent ${parent.mounted.path}: a lazy-mode checkpoint; only a copy-mode one can be a parent`);
      if (ask.mode !== 'copy') throw new HostRequestError('--parent needs --mode copy');
    }
    const mount = path.resolve(ask.mount ?? `/mnt/checkpoint-${this.ids + 1}`);
    const clash = hostMounts.find((m) => nested(mount, m));
    if (clash !== undefined) throw new HostRequestError(`${mount}: overlaps the live checkpoint mounted at ${clash}`);
    this.starting = true;
    try {
      await cleanStaleMounts();
      if ((await listFuseMounts()).has(mountTablePath(mount))) throw new HostRequestError(`${mount}: already a mount point`);
      // Checked again after the awaits: startLiveCheckpoint takes a checkpoint id as soon as it runs.
      if (!this.alive) throw new HostRequestError(`pid ${this.initPid} has exited`);
      const secs = Number(process.hrtime.bigint() - this.bootedAt) / 1e9;
      this.ids++;
      if (parent !== null && parent.report.ended !== null) throw new HostRequestError(`--parent ${parent.mounted.path}: checkpoint ${parent.report.id} has ended (its pages are released)`);
      const live = await startLiveCheckpoint(this.kernel, { mount, mode: ask.mode, kill: ask.kill, parent }, secs > 0 ? this.kernel.instructions / secs : 0);
      this.starting = false;
      this.lives.add(live);
      void live.ended.then(() => {
        this.lives.delete(live);
        this.endedAt.add(live.mounted.path);
        this.onChange();
      });
      return live;
    } catch (e) {
      this.starting = false;
      if (e instanceof HostRequestError) throw e;
      this.kernel.log.debug({ err: e }, 'checkpoint failed');
      throw new HostRequestError(e instanceof CheckpointError ? e.message : `${mount}: ${describeError(e)}`);
    }
  }
}
