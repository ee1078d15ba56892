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
  private live: LiveCheckpoint | 'starting' | null = null;
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
    return !this.running && this.live === null;
  }

  get alive(): boolean {
    return this.running && this.kernel.init?.state === 'alive';
  }

  /** The mount point of its live checkpoint, if one is mounted. */
  get mountPath(): string | null {
    return this.live !== null && this.live !== 'starting' ? this.live.mounted.path : null;
  }

  /** Its live tasks for `crfs ps`, in pid order. */
  rows(): TaskRow[] {
    const frozen = this.kernel.scheduler.frozen;
    return [...this.kernel.tasks.values()]
      .filter((t) => t.state !== 'dead')
      .sort((a, b) => a.tid - b.tid)
      .map((t) => ({ pid: t.tid, init: this.initPid, state: frozen ? 'frozen' : (STATE_NAMES[t.state] ?? t.state), comm: t.comm }));
  }

  /** Ends its live checkpoint as unmounting would, and resolves once it has ended. */
  async endCheckpoint(why: 'SIGTERM' | 'SIGINT'): Promise<void> {
    const live = this.live;
    if (live !== null && live !== 'starting') {
      live.end(why);
      await live.ended;
    }
  }

  /**
   * Starts a live checkpoint (startLiveCheckpoint) mounted at `ask.mount`, or /mnt/checkpoint-<id>.
   * `hostMounts` are the mounts this process serves: mounting at or below one of them would make this
   * process wait on its own FUSE server. Throws HostRequestError with the container as it was.
   */
  async checkpoint(ask: CheckpointAsk, hostMounts: readonly string[]): Promise<LiveCheckpoint> {
    if (!this.alive) throw new HostRequestError(`pid ${this.initPid} has exited`);
    if (this.live !== null) {
      const where = this.mountPath;
      throw new HostRequestError(`pid ${this.initPid} is already being checkpointed${where ? ` (at ${where})` : ''}`);
    }
    const mount = path.resolve(ask.mount ?? `/mnt/checkpoint-${this.ids + 1}`);
    const clash = hostMounts.find((m) => nested(mount, m));
    if (clash !== undefined) throw new HostRequestError(`${mount}: overlaps the live checkpoint mounted at ${clash}`);
    this.live = 'starting';
    try {
      await cleanStaleMounts();
      if ((await listFuseMounts()).has(mountTablePath(mount))) throw new HostRequestError(`${mount}: already a mount point`);
      // Checked again after the awaits: startLiveCheckpoint takes a checkpoint id as soon as it runs.
      if (!this.alive) throw new HostRequestError(`pid ${this.initPid} has exited`);
      const secs = Number(process.hrtime.bigint() - this.bootedAt) / 1e9;
      this.ids++;
      const live = await startLiveCheckpoint(this.kernel, { mount, mode: ask.mode, kill: ask.kill }, secs > 0 ? this.kernel.instructions / secs : 0);
      this.live = live;
      void live.ended.then(() => {
        this.live = null;
        this.onChange();
      });
      return live;
    } catch (e) {
      this.live = null;
      if (e instanceof HostRequestError) throw e;
      this.kernel.log.debug({ err: e }, 'checkpoint failed');
      throw new HostRequestError(e instanceof CheckpointError ? e.message : `${mount}: ${describeError(e)}`);
    }
  }
}
