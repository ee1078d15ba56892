// The host's control protocol: one JSON object per line over the unix socket, one request per connection.
//
//   client → host   a Request
//   host → client   boot: `booted` | ps: `tasks` | checkpoint: `mounted` then (unless detached) `ended`
//                   any request: `error` instead, after which the host closes the connection.
import { StringDecoder } from 'node:string_decoder';
import type { LiveMode, LiveReport } from '../live/live-checkpoint';

export interface BootRequest {
  op: 'boot';
  /** As the user typed it, relative to `cwd`. */
  elf: string;
  args: string[];
  /** The caller's environment, as envp strings. */
  env: string[];
  /** The caller's cwd: `elf` is relative to it and the program starts in it. */
  cwd: string;
}

export interface PsRequest {
  op: 'ps';
}

export interface CheckpointRequest {
  op: 'checkpoint';
  /** A container's init pid. */
  pid: number;
  /** Absolute mount point, or null for the default /mnt/checkpoint-<id>. */
  mount: string | null;
  mode: LiveMode;
  kill: boolean;
  detach: boolean;
  /** Incremental: the absolute mount point of a live copy-mode checkpoint of the same container, or null. */
  parent: string | null;
}

export type Request = BootRequest | PsRequest | CheckpointRequest;

/** One line of `crfs ps`. */
export interface TaskRow {
  pid: number;
  /** Init pid of the task's container. */
  init: number;
  state: string;
  comm: string;
}

export type Reply =
  | { kind: 'booted'; pid: number; stdout: string; stderr: string }
  | { kind: 'tasks'; tasks: TaskRow[] }
  | { kind: 'mounted'; mount: string; report: LiveReport }
  | { kind: 'ended'; report: LiveReport }
  | { kind: 'error'; message: string; status: number };

/** Longest line either side accepts (an environment is a few KiB; this only bounds a confused peer). */
export const MAX_LINE = 16 * 1024 * 1024;

export class ProtocolError extends Error {}

export function encodeMessage(m: Request | Reply): string {
  return `${JSON.stringify(m)}\n`;
}

type Obj = Record<string, unknown>;

function object(line: string): Obj {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new ProtocolError('not JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ProtocolError('not a JSON object');
  return v as Obj;
}

function str(o: Obj, k: string): string {
  const v = o[k];
  if (typeof v !== 'string') throw new ProtocolError(`'${k}' must be a string`);
  return v;
}

function int(o: Obj, k: string): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new ProtocolError(`'${k}' must be an integer`);
  return v;
}

function bool(o: Obj, k: string): boolean {
  const v = o[k];
  if (typeof v !== 'boolean') throw new ProtocolError(`'${k}' must be a boolean`);
  return v;
}

function strings(o: Obj, k: string): string[] {
  const v = o[k];
  if (!Array.isArray(v) || !v.every((s): s is string => typeof s === 'string')) throw new ProtocolError(`'${k}' must be a list of strings`);
  return v;
}

function report(o: Obj): LiveReport {
  const r = o.report;
  if (typeof r !== 'object' || r === null || typeof (r as Obj).mount !== 'string') throw new ProtocolError("'report' must be a checkpoint report");
  // The host builds it from startLiveCheckpoint's LiveReport; the client only prints it.
  return r as LiveReport;
}

/** Decodes a client's line. Throws ProtocolError naming what is wrong. */
export function parseRequest(line: string): Request {
  const o = object(line);
  switch (o.op) {
    case 'boot':
      return { op: 'boot', elf: str(o, 'elf'), args: strings(o, 'args'), env: strings(o, 'env'), cwd: str(o, 'cwd') };
    case 'ps':
      return { op: 'ps' };
    case 'checkpoint': {
      const mode = str(o, 'mode');
      if (mode !== 'lazy' && mode !== 'copy') throw new ProtocolError("'mode' must be lazy or copy");
      const mount = o.mount === null ? null : str(o, 'mount');
      // Absent from an older client's request: a complete checkpoint.
      const parent = o.parent === undefined || o.parent === null ? null : str(o, 'parent');
      return { op: 'checkpoint', pid: int(o, 'pid'), mount, mode, kill: bool(o, 'kill'), detach: bool(o, 'detach'), parent };
    }
    default:
      throw new ProtocolError(`unknown op ${JSON.stringify(o.op)}`);
  }
}

/** Decodes a host's line. Throws ProtocolError naming what is wrong. */
export function parseReply(line: string): Reply {
  const o = object(line);
  switch (o.kind) {
    case 'booted':
      return { kind: 'booted', pid: int(o, 'pid'), stdout: str(o, 'stdout'), stderr: str(o, 'stderr') };
    case 'tasks': {
      const rows = o.tasks;
      if (!Array.isArray(rows)) throw new ProtocolError("'tasks' must be a list");
      const tasks = rows.map((r: unknown): TaskRow => {
        if (typeof r !== 'object' || r === null) throw new ProtocolError('a task must be an object');
        const t = r as Obj;
        return { pid: int(t, 'pid'), init: int(t, 'init'), state: str(t, 'state'), comm: str(t, 'comm') };
      });
      return { kind: 'tasks', tasks };
    }
    case 'mounted':
      return { kind: 'mounted', mount: str(o, 'mount'), report: report(o) };
    case 'ended':
      return { kind: 'ended', report: report(o) };
    case 'error':
      return { kind: 'error', message: str(o, 'message'), status: int(o, 'status') };
    default:
      throw new ProtocolError(`unknown reply ${JSON.stringify(o.kind)}`);
  }
}

/** Splits a byte stream into lines (without the newline); `onLine` gets each whole line. */
export class LineSplitter {
  private buf = '';
  // A UTF-8 character may be split across chunks.
  private readonly decoder = new StringDecoder('utf8');

  constructor(private readonly onLine: (line: string) => void) {}

  /** Throws ProtocolError when a line grows past MAX_LINE. */
  push(chunk: Buffer): void {
    this.buf += this.decoder.write(chunk);
    let i: number;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 1);
      this.onLine(line);
    }
    if (this.buf.length > MAX_LINE) throw new ProtocolError('line too long');
  }
}
