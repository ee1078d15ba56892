// Every record type survives encode then decode, and a whole image read back yields what was written.
import test from 'ava';
import fc from 'fast-check';
import { decodePayload } from '../../lib/crfs/image/decode';
import { encodePayloadInto, payloadSize, EncodeError } from '../../lib/crfs/image/encode';
import type { RecordSpec } from '../../lib/crfs/image/record-spec';
import { CollectSink, ImageReader, ImageWriter, readImageItems } from '../../lib/crfs/image/codec';
import { RECORDS, zeroRecord } from '../../lib/crfs/image/schema';
import { structArb } from './arbitrary';
import { buildSampleImage, writePrologue } from './sample-image';
import { buildIncrementalSampleImage } from './incremental-sample';

const fieldRecords = (RECORDS as readonly RecordSpec[]).filter((r) => !r.variable);

for (const spec of fieldRecords) {
  test(`record ${spec.type} '${spec.name}' round-trips any value`, (t) => {
    fc.assert(fc.property(structArb(spec.layout), (v) => {
      const out = new Uint8Array(payloadSize(spec, v));
      encodePayloadInto(spec, v, out, 0);
      t.deepEqual(decodePayload(spec, out, 0), v);
    }), { numRuns: 60 });
  });
}

test('every record type is exercised by the sample image, its incremental variant or the error image', (t) => {
  const names = new Set([...readImageItems(buildSampleImage()), ...readImageItems(buildIncrementalSampleImage())].map((i) => i.name));
  for (const r of RECORDS) if (r.name !== 'error') t.true(names.has(r.name), r.name);
});

test('a whole image reads back as written: values, strings, buffers, pages', (t) => {
  const sink = new CollectSink();
  const w = new ImageWriter(sink);
  writePrologue(w);
  const page = new Uint8Array(4096).fill(0xab);
  w.objref('mm', 1);
  w.record('mm', { ...zeroRecord('mm'), map_count: 1, brk: 0x5000 });
  w.record('vma', { ...zeroRecord('vma'), vma_type: 'anon', vm_start: 0x4000, vm_end: 0x6000, name: '[heap]' });
  w.pages([0x4000, 0x5000], [page, page.map((b) => b ^ 0xff)]);
  w.endVma();
  w.finish();
  const items = readImageItems(sink.bytes(), { validate: false });
  const strings = items.filter((i) => i.kind === 'string').map((i) => i.kind === 'string' && i.text);
  t.deepEqual(strings, ['6.1.0-emukernel', '#1 SMP emukernel', 'riscv64']);
  const vma = items.find((i) => i.name === 'vma');
  t.like(vma, { kind: 'record', value: { vma_type: 'anon', vm_start: 0x4000, vm_end: 0x6000, name: '[heap]' } });
  const pages = items.filter((i) => i.kind === 'pages');
  t.is(pages.length, 1, 'one item for the page array');
  t.deepEqual(pages.flatMap((p) => (p.kind === 'pages' ? p.addrs : [])), [0x4000, 0x5000]);
  t.deepEqual(pages.flatMap((p) => (p.kind === 'pages' ? p.pages.map((d) => d[0]) : [])), [0xab, 0x54]);
  t.is(items[items.length - 1].name, 'tail');
});

test('the fd and chunk readers yield the same items as the buffer reader', async (t) => {
  const img = buildSampleImage({ pages: 300 });
  const want = readImageItems(img).map((i) => `${i.name}@${i.offset}`);
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const file = path.join(os.tmpdir(), `crfs-image-${process.pid}.img`);
  fs.writeFileSync(file, img);
  const fd = fs.openSync(file, 'r');
  try {
    t.deepEqual([...ImageReader.fromFd(fd)].map((i) => `${i.name}@${i.offset}`), want);
  } finally {
    fs.closeSync(fd);
    fs.unlinkSync(file);
  }
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < img.length; i += 1000) yield img.subarray(i, i + 1000);
  }
  const got: string[] = [];
  for await (const i of ImageReader.fromChunks(chunks())) got.push(`${i.name}@${i.offset}`);
  t.deepEqual(got, want);
});

test('the encoder refuses values the schema cannot hold', (t) => {
  const w = new ImageWriter(new CollectSink());
  t.throws(() => w.record('file_desc', { fd_objref: 1, fd_descriptor: 2 ** 31, fd_close_on_exec: 0 }), { instanceOf: EncodeError, message: /file_desc\.fd_descriptor: 2147483648 out of range/ });
  t.throws(() => w.record('file', { ...zeroRecord('file'), f_type: 'socketx' as 'socket' }), { instanceOf: EncodeError, message: /not one of/ });
  t.throws(() => w.record('task', { ...zeroRecord('task'), comm: 'a-name-longer-than-15' }), { instanceOf: EncodeError });
  t.throws(() => w.record('vma', { ...zeroRecord('vma'), vm_start: 2 ** 60 }), { instanceOf: EncodeError });
});
