// Looking at a mount from outside the process that serves it: async children only (a synchronous
// one would deadlock against our own FUSE server), timed with the clock every process shares.
import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import * as fs from 'node:fs';

/** CLOCK_MONOTONIC in ns: process.hrtime reads the same clock in every process on the machine. */
export const nowNs = (): bigint => process.hrtime.bigint();
export const msSince = (t: bigint): number => Number(nowNs() - t) / 1e6;

export interface ShellRun {
  ms: number;
  out: string;
}

// The probe's side, one JSON request per line: {id, op: 'when', arg: path} stats the path every
// millisecond until that succeeds and answers the monotonic ns it did; {id, op: 'run', arg: script}
// runs it with bash and answers its wall time (measured here) and stdout.
const PROBE_SCRIPT = `
const fs = require('fs');
const { spawn } = require('child_process');
const reply = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
let buf = '';
process.stdin.on('data', (d) => {
  buf += d;
  for (let i; (i = buf.indexOf('\\n')) >= 0; buf = buf.slice(i + 1)) handle(JSON.parse(buf.slice(0, i)));
});
function handle({ id, op, arg }) {
  if (op === 'when') {
    const poll = () => fs.stat(arg, (err) => err ? setTimeout(poll, 1) : reply({ id, ns: String(process.hrtime.bigint()) }));
    return poll();
  }
  const t0 = process.hrtime.bigint();
  const c = spawn('bash', ['-c', arg], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  c.stdout.on('data', (d) => { out += d; });
  c.stderr.on('data', (d) => { err += d; });
  c.on('close', (code) => reply({ id, ms: Number(process.hrtime.bigint() - t0) / 1e6, out, err, code }));
}`;

interface ProbeReply { id: number; ns?: string; ms?: number; out?: string; err?: string; code?: number | null }

/**
 * A small child process that looks at mounts for us. Commands run from it, not from this process:
 * forking a process holding gigabytes (this one, with a big container) costs tens to hundreds of
 * milliseconds, which would be timed along with the command. Started once; Node's start-up is not
 * part of any measurement.
 */
export class HostProbe {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting = new Map<number, (r: ProbeReply) => void>();
  private nextId = 1;
  private buf = '';

  constructor() {
    this.child = spawn(process.execPath, ['-e', PROBE_SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (d: Buffer) => {
      this.buf += d.toString();
      for (let i; (i = this.buf.indexOf('\n')) >= 0; this.buf = this.buf.slice(i + 1)) {
        const r = JSON.parse(this.buf.slice(0, i)) as ProbeReply;
        this.waiting.get(r.id)?.(r);
        this.waiting.delete(r.id);
      }
    });
  }

  private ask(op: 'when' | 'run', arg: string): Promise<ProbeReply> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.stdin.write(`${JSON.stringify({ id, op, arg })}\n`);
    });
  }

  /** Resolves once the probe answers. */
  async ready(): Promise<void> {
    await this.when('/');
  }

  /** Starts polling `p` at once; resolves with the monotonic ns at which a stat of it first succeeded. */
  async when(p: string): Promise<bigint> {
    return BigInt((await this.ask('when', p)).ns ?? '0');
  }

  /** Runs `script` with bash from the probe; its wall time as the probe measured it. Rejects on a non-zero exit. */
  async run(script: string): Promise<ShellRun> {
    const r = await this.ask('run', script);
    if (r.code !== 0) throw new Error(`${script}: exit ${String(r.code)}: ${(r.err ?? '').trim().split('\n')[0] ?? ''}`);
    return { ms: r.ms ?? NaN, out: (r.out ?? '').trim() };
  }

  close(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}

/**
 * A full GC (with --expose-gc), so what the last measurement left behind is gone: a bigger process
 * forks more slowly, and libfuse forks it to mount, Node to spawn.
 */
export function collectGarbage(): void {
  global.gc?.();
}

/** Samples this process's RSS every few ms between start() and stop(); stop() gives the peak above the start. */
export class RssPeak {
  private base = 0;
  private peak = 0;
  private timer: NodeJS.Timeout | null = null;

  start(): void {
    collectGarbage();
    this.base = process.memoryUsage.rss();
    this.peak = this.base;
    this.timer = setInterval(() => { this.peak = Math.max(this.peak, process.memoryUsage.rss()); }, 5);
  }

  /** Peak RSS growth in bytes since start(). */
  stop(): number {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.peak = Math.max(this.peak, process.memoryUsage.rss());
    return this.peak - this.base;
  }
}

/** The kernel's backing-device directory of mount point `dir` (from /proc/self/mountinfo, never touching the mount). */
export function bdiDir(dir: string): string | null {
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    if (f[4] === dir) return `/sys/class/bdi/${f[2]}`;
  }
  return null;
}

/** Median and nearest-rank percentiles of a sample. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
