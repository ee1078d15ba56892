// The serving process of serve-apart.ts: one child for all of a process's copy-mode checkpoints, told what to mount on stdin.
/*
 * Why one long-lived process rather than a `crfs mount` per checkpoint: starting a process from the
 * container's, which holds its guest memory, costs the container a fork of that address space and
 * a Node start on the other core every time; once a second that alone was a fifth of its speed
 * (BENCHMARKS.md, issue 5). The protocol is one JSON object per line each way:
 *
 *   in:  {"op":"mount","req":N,"file":F,"dir":D,"allowOther":B}   mount the unsealed blob in F at D,
 *                                                                 with `done`; F is removed once read
 *        {"op":"end","req":N,"why":W}                             end mount N as W would
 *   out: {"req":N,"mounted":PATH,"checksum":C}                    mounted; C is the tail's CRC
 *        {"req":N,"error":LINE}                                   or not (once per mount request)
 *        {"req":N,"ended":W}                                      mount N is gone (W: why)
 *
 * stdin reaching its end is the lifeline: the process that asked is gone, so every mount ends (as
 * 'unmounted') and this process exits; SIGTERM and SIGINT end them all the same way.
 */
import * as fs from 'node:fs';
import { describeError } from '../cli/errors';
import { controlFile } from '../fs/node';
import type { Mounted } from '../fs/fuse-adapter';
import { cleanStaleMounts } from '../fs/mount-registry';
import { sealImage } from '../image/seal';
import { mountImage } from '../tree/mount-image';
import { MountEnd, watchMount } from './mount-watch';

export interface MountRequest { op: 'mount'; req: number; file: string; dir: string; allowOther?: boolean }
export interface EndRequest { op: 'end'; req: number; why: MountEnd }
export type ServerRequest = MountRequest | EndRequest;
export type ServerReply = { req: number; mounted: string; checksum: number } | { req: number; error: string } | { req: number; ended: MountEnd };

const END_REASONS: readonly MountEnd[] = ['done', 'unmounted', 'SIGINT', 'SIGTERM'];

/** A request line, or a one-line reason it is not one. */
export function parseRequest(line: string): ServerRequest | string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return 'not JSON';
  }
  if (typeof v !== 'object' || v === null) return 'not an object';
  const r = v as Record<string, unknown>;
  if (typeof r.req !== 'number' || !Number.isSafeInteger(r.req)) return 'no request number';
  if (r.op === 'mount' && typeof r.file === 'string' && typeof r.dir === 'string') {
    return { op: 'mount', req: r.req, file: r.file, dir: r.dir, allowOther: r.allowOther === true };
  }
  if (r.op === 'end' && END_REASONS.includes(r.why as MountEnd)) return { op: 'end', req: r.req, why: r.why as MountEnd };
  return `unknown request '${String(r.op)}'`;
}

/** A reply line from the server, or null for anything else. */
export function parseReply(line: string): ServerReply | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const r = v as Record<string, unknown>;
  if (typeof r.req !== 'number') return null;
  if (typeof r.mounted === 'string' && typeof r.checksum === 'number') return { req: r.req, mounted: r.mounted, checksum: r.checksum };
  if (typeof r.error === 'string') return { req: r.req, error: r.error };
  if (END_REASONS.includes(r.ended as MountEnd)) return { req: r.req, ended: r.ended as MountEnd };
  return null;
}

interface Served { finish(why: MountEnd): void; readonly over: Promise<void> }

/**
 * Serves mount requests from stdin until it ends (or SIGTERM/SIGINT), then ends every mount and
 * resolves with 0 once all are unmounted. A request that fails is answered with its error; this
 * process carries on.
 */
export async function serveCheckpoints(input: NodeJS.ReadableStream = process.stdin, reply: (r: ServerReply) => void = (r) => {
  process.stdout.write(`${JSON.stringify(r)}\n`);
}): Promise<number> {
  await cleanStaleMounts();
  const served = new Map<number, Served>();
  let closing: MountEnd | null = null;

  const mount = async (m: MountRequest): Promise<void> => {
    let finish: (why: MountEnd) => void = () => undefined;
    // The handler runs inside FUSE's write: end only after the write has been answered.
    const done = controlFile(() => setImmediate(() => finish('done')));
    let mounted: Mounted;
    let checksum: number;
    try {
      let image: Buffer;
      try {
        image = fs.readFileSync(m.file);
      } finally {
        fs.rmSync(m.file, { force: true });
      }
      // The container's process left the checksum to us: we read every byte anyway, on another core.
      checksum = sealImage(image);
      ({ mounted } = await mountImage(image, m.dir, { allowOther: m.allowOther === true, done }));
    } catch (e) {
      reply({ req: m.req, error: `${m.dir}: ${describeError(e)}` });
      return;
    }
    const wait = watchMount(mounted.path, false);
    finish = (why) => wait.finish(why);
    const over = (async (): Promise<void> => {
      const why = await wait.ended;
      wait.stop();
      // Already gone when unmounted from outside: fusermount then fails, which is fine.
      await mounted.unmount().catch(() => undefined);
      served.delete(m.req);
      reply({ req: m.req, ended: why });
    })();
    served.set(m.req, { finish, over });
    reply({ req: m.req, mounted: mounted.path, checksum });
    if (closing !== null) finish(closing);
  };

  const pending = new Set<Promise<void>>();
  const closeAll = (why: MountEnd): void => {
    closing ??= why;
    for (const s of served.values()) s.finish(why);
  };
  const onLine = (line: string): void => {
    if (line.trim() === '') return;
    const r = parseRequest(line);
    if (typeof r === 'string') {
      process.stderr.write(`crfs: serve-checkpoints: bad request (${r})\n`);
      return;
    }
    if (r.op === 'end') {
      served.get(r.req)?.finish(r.why);
      return;
    }
    const p = mount(r).finally(() => pending.delete(p));
    pending.add(p);
  };

  let stopReading: () => void = () => undefined;
  const onInt = (): void => { closeAll('SIGINT'); stopReading(); };
  const onTerm = (): void => { closeAll('SIGTERM'); stopReading(); };
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  await new Promise<void>((resolve) => {
    stopReading = resolve;
    let buf = '';
    input.setEncoding('utf8');
    input.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        onLine(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    });
    input.on('end', resolve).on('error', () => resolve());
  });
  closeAll(closing ?? 'unmounted');
  while (pending.size > 0 || served.size > 0) {
    await Promise.all([...pending]);
    closeAll(closing ?? 'unmounted');
    await Promise.all([...served.values()].map((s) => s.over));
  }
  process.off('SIGINT', onInt);
  process.off('SIGTERM', onTerm);
  return 0;
}
