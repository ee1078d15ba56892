// Renders docs/IMAGE-FORMAT.md from the schema, so the document cannot drift from the code.
import type { Field, StructLayout } from './fields';
import { OBJ_TYPES, RecordSpec } from './record-spec';
import {
  ARCH_RISCV64, FORMAT_VERSION, KERNEL_CONSTANTS, MAGIC_HEAD, MAGIC_TAIL, MAX_BUFFER, MAX_PAGES_PER_ARRAY, MAX_STRING,
  PAGE_SIZE, RECORDS, RESERVED,
} from './schema';

function typeOf(f: Field): string {
  switch (f.kind) {
    case 'x64': return 'u64 (full range)';
    case 'bytes': return `u8[${f.size}]`;
    case 'chars': return `char[${f.size}]`;
    case 'pad': return `pad[${f.size}]`;
    case 'objref': return `objref → ${f.objtype}`;
    case 'enum': return `${f.width} enum: ${Object.entries(f.values).map(([k, v]) => `${k}=${v}`).join(', ')}`;
    case 'array': return `struct[${f.count}]`;
    default: return f.kind;
  }
}

function treeOf(f: Field): string {
  if (f.tree === null) return '—';
  const how = { dec: 'decimal', hex: 'hex', name: 'name', text: 'text', raw: 'raw', link: 'hard link', dir: 'directory' }[f.render];
  return `\`${f.tree}\` (${how})`;
}

function fieldRows(layout: StructLayout, prefix: string, out: string[]): void {
  for (const p of layout.fields) {
    const f = p.field;
    out.push(`| ${prefix}${p.offset} | \`${f.name}\` | ${typeOf(f)} | ${treeOf(f)} | ${f.meaning} |`);
    if (p.element) fieldRows(p.element, `${prefix}${p.offset}+i·${p.element.stride}+`, out);
  }
}

function recordSection(r: RecordSpec): string[] {
  const out = [`### ${r.type} \`${r.name}\``, '', r.meaning + '.', ''];
  const facts: string[] = [];
  if (r.objtype) facts.push(`shared object of type \`${r.objtype}\` (announced by an \`objref\` record)`);
  if (r.tree) facts.push(`tree: \`${r.tree}\``);
  if (r.variable) facts.push(r.variable === 'string' ? 'payload: UTF-8 bytes and a terminating NUL' : 'payload: raw bytes');
  else facts.push(`payload: ${r.layout.trailing < 0 ? `${r.layout.fixedSize} bytes` : `${r.layout.trailingOffset} bytes + the trailing array`}`);
  out.push(...facts.map((f) => `- ${f}`));
  for (const f of r.followedBy) {
    const len = f.length ? ` of ${f.length.field} × ${f.length.unit === 'page' ? 'page_size' : f.length.unit} bytes (omitted when 0)` : '';
    out.push(`- followed by a \`${f.record}\` record, \`${f.role}\`${len}: ${f.meaning}`);
  }
  if (r.fields.length) {
    out.push('', '| offset | field | type | tree file | meaning |', '|---|---|---|---|---|');
    fieldRows(r.layout, '', out);
  }
  out.push('');
  return out;
}

/** The whole of docs/IMAGE-FORMAT.md as a string. */
export function renderImageFormatDoc(): string {
  const out = [
    '# The crfs image format',
    '',
    '<!-- Generated from lib/crfs/image/schema.ts by renderImageFormatDoc(); spec/image/doc.test.ts fails when this file differs. Regenerate: CRFS_WRITE_DOC=1 npx ava dist/spec/image/doc.test.js -->',
    '',
    `Format version ${FORMAT_VERSION}. The layout follows linux-cr's final one (user-cr \`include/linux/checkpoint_hdr.h\`): its record numbers, its field order, then crfs's fields appended.`,
    '',
    '## Framing',
    '',
    '- Every record is `struct ckpt_hdr { u32 type; u32 len; }` then its payload; little-endian; `len` counts the 8-byte header and the payload.',
    '- Zero bytes pad each record to a multiple of 8, so every header is 8-aligned. `len` does not count the padding.',
    '- Field offsets below are within the payload and follow C natural alignment, as the linux-cr structs do.',
    `- The first record is \`head\` (magic ${'`'}0x${MAGIC_HEAD.toString(16).padStart(16, '0')}${'`'}, arch id ${ARCH_RISCV64} = riscv64, page size ${PAGE_SIZE}); the last is \`tail\` (magic \`0x${MAGIC_TAIL.toString(16).padStart(16, '0')}\`, the count of records before it, and the CRC-32 (ISO-HDLC, zlib's) of every byte before it). Nothing follows the tail.`,
    '- Strings and buffers are records of their own and get their meaning from the record before them (`followed by` below); one never appears on its own.',
    '- A shared object (a file shared by dup or fork, an mm shared by threads, a file table, sighand, a pipe) is announced by an `objref` record (objtype, objref) immediately followed by the record that defines it. Objrefs count up from 1 in order of first sight; an object is defined once, before the first record that refers to it; later references carry only the number. An objref field of 0 means none.',
    '- Memory: each `vma` is followed by page arrays: a `pgarr` (nr_pages), a buffer of nr_pages u64 addresses (ascending, inside the VMA), a buffer of the pages themselves. A `pgarr` with nr_pages 0 ends the VMA.',
    "- Incremental images: a `parent` record after `container` names the parent image (its checkpoint id, tail checksum and length). Among a private anonymous VMA's page arrays, a `pgref` (nr_pages, pid) and a buffer of addresses say those pages hold the parent's pages at the same addresses in the parent's mm of task pid (the first task in the parent's image order using it); a parent's page may itself be a pgref, resolved through its own parent. Restart needs the whole chain. Without a `parent` record an image is complete and holds no `pgref`.",
    '- A failed checkpoint writes `error`, a string with the message, and the tail.',
    `- Limits a reader enforces: strings ≤ ${MAX_STRING} bytes, buffers ≤ ${MAX_BUFFER} bytes, ≤ ${MAX_PAGES_PER_ARRAY} pages per array.`,
    '',
    '## Record order',
    '',
    '```',
    'head, string release, string version, string machine, head_arch, container, [parent], sched',
    '[objref uts_ns, uts_ns, objref ns, ns]',
    'tree',
    'per task, in tree order:',
    '  task, task_ns, [objref … cred], task_creds,',
    '  [objref file_table, file_table, per fd: [objref file, file, file_name, [objref inode, pipe, buffer]], file_desc],',
    '  [objref mm, mm, mm_exe, [string exe_path], per vma: [objref inode, shm], vma, (pgarr, buffer, buffer | pgref, buffer)*, pgarr 0; mm_context],',
    '  [objref fs, fs, string root, string cwd], [objref sighand, sighand], [objref signal, signal, sigpending],',
    '  task_objs, restart_block, thread, cpu, signal_task, sigpending',
    'tail',
    '```',
    '',
    'Brackets hold objects written only where first seen. A `pipe` is written before the first file that refers to it; a `shm` segment before the first vma that maps it.',
    '',
    '## Shared object types',
    '',
    Object.entries(OBJ_TYPES).map(([k, v]) => `${v} \`${k}\``).join(', ') + '.',
    '',
    '## Kernel constants carried by the head',
    '',
    Object.entries(KERNEL_CONSTANTS).map(([k, v]) => `\`${k}\` = ${v}`).join(', ') + '.',
    '',
    '## Records',
    '',
    '| number | name | meaning |',
    '|---|---|---|',
    ...(RECORDS as readonly RecordSpec[]).map((r) => `| ${r.type} | \`${r.name}\` | ${r.meaning} |`),
    '',
    'Reserved numbers (never written; a reader rejects them):',
    '',
    ...RESERVED.map((r) => `- ${r.type} \`${r.name}\`: ${r.why}`),
    '',
    ...(RECORDS as readonly RecordSpec[]).flatMap(recordSection),
  ];
  return out.join('\n').replace(/\n+$/, '\n');
}
