// `crfs info` helpers: one line per record as linux-cr's `ckptinfo -v` prints them, and a summary.
import { ImageReader } from './codec';
import { ImageError } from './errors';
import type { ParseOptions } from './parse';
import { PAGE_SIZE, type ImageItem } from './schema';

export interface ImageSummary {
  readonly tasks: readonly { pid: number; comm: string; state: string }[];
  /** Bytes of page contents the image carries. */
  readonly memoryBytes: number;
  /** Bytes mapped by all VMAs (resident or not). */
  readonly mappedBytes: number;
  readonly vmas: number;
  readonly files: number;
  readonly pipes: number;
  /** Shared objects (objref records) by type, e.g. { file: 3, mm: 1 }. */
  readonly sharedObjects: Readonly<Record<string, number>>;
  readonly records: number;
  readonly bytes: number;
  /** The message of an image recording a failed checkpoint, else null. */
  readonly failure: string | null;
}

export interface ImageDescription {
  /** `[@offset] object TYPE len N`, with ckptinfo's detail lines (tab-indented) for objref, file, vma, error. */
  readonly lines: readonly string[];
  readonly summary: ImageSummary;
  /** Set when the image is malformed: lines and summary cover what came before the bad record. */
  readonly error: ImageError | null;
}

function detail(item: ImageItem): string | null {
  if (item.kind === 'string' && item.role === 'message') return `\terror: ${item.text}`;
  if (item.kind !== 'record') return null;
  switch (item.name) {
    case 'objref': return `\t${item.value.objtype} ref ${item.value.objref}`;
    case 'file': return `\t${item.value.f_type}`;
    case 'vma': return `\t${item.value.vma_type} vmaref ${item.value.vma_objref} inoref ${item.value.ino_objref}`;
    case 'task': return `\tpid ${item.value.pid} comm ${item.value.comm}`;
    case 'parent': return `\tparent checkpoint ${item.value.parent_id} checksum 0x${item.value.parent_checksum.toString(16)} bytes ${item.value.parent_bytes}`;
    case 'pgref': return `\t${item.value.nr_pages} pages of the parent's mm of pid ${item.value.pid}`;
    default: return null;
  }
}

/**
 * Describes an in-memory image. Never throws for a bad image: reading stops at the first malformed
 * record and `error` says why.
 */
export function describeRecords(image: Uint8Array, opts: ParseOptions = {}): ImageDescription {
  const lines: string[] = [];
  const tasks: { pid: number; comm: string; state: string }[] = [];
  const shared: Record<string, number> = {};
  let memoryBytes = 0, mappedBytes = 0, vmas = 0, files = 0, pipes = 0, records = 0;
  let failure: string | null = null;
  let error: ImageError | null = null;
  try {
    for (const item of ImageReader.fromBuffer(image, opts)) {
      if (item.kind === 'pages') memoryBytes += item.len - 8;
      const at = item.offset;
      records++;
      lines.push(`[@${at}] object ${item.name} len ${item.len}`);
      const d = detail(item);
      if (d) lines.push(d);
      if (item.kind === 'string' && item.role === 'message') failure = item.text;
      if (item.kind !== 'record') continue;
      switch (item.name) {
        case 'task': tasks.push({ pid: item.value.pid, comm: item.value.comm, state: item.value.exit_state === 'none' ? item.value.state : item.value.exit_state }); break;
        case 'vma': vmas++; mappedBytes += item.value.vm_end - item.value.vm_start; break;
        case 'file': files++; break;
        case 'pipe': pipes++; break;
        case 'objref': shared[item.value.objtype] = (shared[item.value.objtype] ?? 0) + 1; break;
        default:
      }
    }
  } catch (e) {
    if (!(e instanceof ImageError)) throw e;
    error = e;
  }
  return {
    lines, error,
    summary: { tasks, memoryBytes, mappedBytes, vmas, files, pipes, sharedObjects: shared, records, bytes: image.length, failure },
  };
}

/** The summary alone; throws ImageError for a malformed image. */
export function summarizeImage(image: Uint8Array): ImageSummary {
  const d = describeRecords(image);
  if (d.error) throw d.error;
  return d.summary;
}
