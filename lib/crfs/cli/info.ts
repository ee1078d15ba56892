// `crfs info [-v] [--json] FILE|-`: what a checkpoint image holds, like linux-cr's ckptinfo and CRIU's crit show.
import { Command } from 'commander';
import type { ImageSummary } from '../image/describe';
import { CliError, EXIT_FAILURE } from './errors';
import { readImageSource } from './image-source';
import { ImageDetail, TaskDetail, collectImageDetail } from './info-detail';

export interface InfoOptions {
  verbose?: boolean;
  json?: boolean;
}

/** The --json document: describe.ts's summary in snake_case, the head and per-task detail, and with -v the record lines. */
export interface InfoJson {
  bytes: number;
  records: number;
  checkpoint_id: number;
  init_pid: number;
  instructions: number;
  kernel: ImageDetail['kernel'];
  tasks: TaskDetail[];
  memory_bytes: number;
  mapped_bytes: number;
  vmas: number;
  files: number;
  pipes: number;
  shared_objects: Readonly<Record<string, number>>;
  /** The message of a failed checkpoint's error record, else null. */
  failure: string | null;
  /** An incremental image's parent checkpoint and the pages taken from it; null for a complete image. */
  parent: ImageDetail['parent'];
  /** With -v: one `[@offset] object TYPE len N` line per record (detail lines start with a tab). */
  lines?: readonly string[];
}

function signalList(sigs: readonly number[]): string {
  return sigs.length === 0 ? '' : sigs.join(',');
}

function taskLine(t: TaskDetail): string {
  let s = `  pid ${t.pid}`;
  if (t.tgid !== t.pid) s += ` (thread of ${t.tgid})`;
  s += ` ppid ${t.ppid} comm ${t.comm} state ${t.state}`;
  if (t.exit_status !== null) s += ` status 0x${t.exit_status.toString(16)}`;
  if (t.syscall) s += ` in ${t.syscall}`;
  if (t.pending.length) s += ` pending ${signalList(t.pending)}`;
  if (t.shared_pending.length) s += ` group-pending ${signalList(t.shared_pending)}`;
  return s;
}

/** The human summary: head, tasks, memory, files and shared objects, one fact per line. */
export function formatSummary(name: string, s: ImageSummary, d: ImageDetail): string[] {
  const objs = Object.entries(s.sharedObjects).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const lines = [
    `image ${name}: ${s.bytes} bytes, ${s.records} records`,
    `checkpoint ${d.checkpoint_id} of init pid ${d.init_pid} at instruction ${d.instructions}`,
    `kernel: ${d.kernel.release} ${d.kernel.version} ${d.kernel.machine}`,
    `tasks: ${d.tasks.length}`,
    ...d.tasks.map(taskLine),
    `memory: ${s.memoryBytes} bytes in pages, ${s.mappedBytes} bytes mapped in ${s.vmas} vmas`,
    `files: ${s.files}`,
    `pipes: ${s.pipes}`,
    `shared objects: ${objs.length === 0 ? 'none' : objs.map(([k, v]) => `${k} ${v}`).join(', ')}`,
  ];
  if (d.parent !== null) {
    const p = d.parent;
    lines.push(`parent: checkpoint ${p.id}, checksum 0x${p.checksum.toString(16)}, ${p.bytes} bytes; ${p.pages} unchanged pages taken from it (restart needs it: --parent)`);
  }
  if (s.failure !== null) lines.push(`failed checkpoint: ${s.failure}`);
  return lines;
}

/**
 * Prints what the image in `source` holds on stdout. Resolves with 0. Throws CliError (exit 1) with
 * one line naming the record type and offset for a malformed image (after printing, with -v, the
 * records before it) and for an image that records a failed checkpoint (after printing its summary).
 */
export async function showImageInfo(source: string, opts: InfoOptions): Promise<number> {
  const image = await readImageSource(source, 'info');
  const { describeRecords } = await import('../image/describe');
  const desc = describeRecords(image);
  const name = source === '-' ? 'stdin' : source;
  if (desc.error) {
    if (opts.verbose && !opts.json) process.stdout.write(desc.lines.map((l) => `${l}\n`).join(''));
    throw new CliError(`info: ${desc.error.message}`, EXIT_FAILURE);
  }
  const s = desc.summary;
  const d = collectImageDetail(image);
  if (opts.json) {
    const doc: InfoJson = {
      bytes: s.bytes, records: s.records, checkpoint_id: d.checkpoint_id, init_pid: d.init_pid, instructions: d.instructions,
      kernel: d.kernel, tasks: d.tasks, memory_bytes: s.memoryBytes, mapped_bytes: s.mappedBytes, vmas: s.vmas, files: s.files,
      pipes: s.pipes, shared_objects: s.sharedObjects, failure: s.failure, parent: d.parent,
      ...(opts.verbose ? { lines: desc.lines } : {}),
    };
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  } else {
    const out = opts.verbose ? [...desc.lines] : formatSummary(name, s, d);
    process.stdout.write(out.map((l) => `${l}\n`).join(''));
  }
  if (s.failure !== null) {
    const errLine = desc.lines.find((l) => /^\[@\d+\] object error /.test(l));
    const at = errLine ? /^\[@(\d+)\]/.exec(errLine)?.[1] : undefined;
    throw new CliError(`info: image: record 'error' at offset ${at ?? '?'}: records a failed checkpoint: ${s.failure}`, EXIT_FAILURE);
  }
  return 0;
}

/** Adds the `info` subcommand to `program`; `finish(status)` receives the exit status. */
export function registerInfoCommand(program: Command, finish: (status: number) => void): void {
  program
    .command('info')
    .description('summarise a checkpoint image: tasks, memory, files, shared objects')
    .option('-v, --verbose', 'one line per record: [@offset] object TYPE len N')
    .option('--json', 'machine-readable output')
    .argument('<image>', 'checkpoint blob file, or - to read it from stdin')
    .action(async (source: string, opts: InfoOptions) => {
      finish(await showImageInfo(source, opts));
    });
}
