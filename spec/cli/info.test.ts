// `crfs info`: the summary counts what the image holds, -v lists every record as ckptinfo -v does, hostile images get one line.
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CollectSink, ImageWriter } from '../../lib/crfs/image/codec';
import { recordLabel } from '../../lib/crfs/image/schema';
import type { InfoJson } from '../../lib/crfs/cli/info';
import { recordOffsets } from '../image/image-bytes';
import { writePrologue } from '../image/sample-image';
import { hostileImages } from '../restart/hostile-images';
import { crfs, removeTmpRoot, tmpPath } from '../restart/harness';
import { assertOneLine, crfsIn, cutImage, fuseMountsUnder, parseImageErrorLine, tarOf } from '../restart/cli-fixtures';

test.after.always(removeTmpRoot);

/** Record headers found by framing alone: offset, type number, len. */
function framing(buf: Buffer): { offset: number; type: number; len: number }[] {
  return recordOffsets(buf).map((offset) => ({ offset, type: buf.readUInt32LE(offset), len: buf.readUInt32LE(offset + 4) }));
}

test('info --json: a pipeline cut mid-run holds the parent and its three children', async (t) => {
  const img = await cutImage('pipeline', 0.5);
  const r = await crfs(img.c, ['info', '--json', img.file]);
  t.is(r.status, 0, r.stderr.toString());
  const doc = JSON.parse(r.stdout.toString()) as InfoJson;
  const frames = framing(img.bytes);
  const taskRecords = frames.filter((f) => f.type === 102).length;
  const tree = frames.find((f) => f.type === 101);
  t.truthy(tree);
  t.is(doc.tasks.length, taskRecords, 'one task per task record');
  t.is(doc.tasks.length, img.bytes.readInt32LE((tree?.offset ?? 0) + 8), "the tree record's nr_tasks");
  // pipeline.c: the parent forks producer, filter and consumer, and waits for all three.
  t.deepEqual(doc.tasks.map((x) => x.pid), [1, 2, 3, 4]);
  t.deepEqual(doc.tasks.map((x) => x.ppid), [0, 1, 1, 1]);
  t.true(doc.tasks.every((x) => x.comm === 'pipeline'));
  t.is(doc.bytes, img.bytes.length);
  t.is(doc.records, frames.length);
  t.is(doc.init_pid, 1);
  t.true(doc.instructions >= img.cut, `instructions ${doc.instructions} at or past the cut ${img.cut}`);
  t.true(doc.pipes >= 2, 'producer|filter|consumer: two pipes');
  t.is(doc.shared_objects.mm, 4, 'four address spaces');
  t.true(doc.memory_bytes > 0 && doc.memory_bytes % 4096 === 0);
  t.is(doc.failure, null);
});

test('info: the text summary lists each task and the totals', async (t) => {
  const img = await cutImage('pipeline', 0.5);
  const r = await crfs(img.c, ['info', img.file]);
  t.is(r.status, 0, r.stderr.toString());
  const out = r.stdout.toString();
  t.regex(out, /^tasks: 4$/m);
  t.is(out.match(/^ {2}pid \d+ /gm)?.length, 4);
  t.regex(out, /^ {2}pid 1 ppid 0 comm pipeline state \w+/m);
  t.regex(out, new RegExp(`^image ${img.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ${img.bytes.length} bytes, \\d+ records$`, 'm'));
  t.regex(out, /^memory: \d+ bytes in pages, \d+ bytes mapped in \d+ vmas$/m);
  t.regex(out, /^shared objects: .*\bmm 4\b/m);
});

test('info -v: one "[@offset] object TYPE len N" line per record, matching the framing', async (t) => {
  const img = await cutImage('pipeline', 0.5);
  const r = await crfs(img.c, ['info', '-v', img.file]);
  t.is(r.status, 0, r.stderr.toString());
  const lines = r.stdout.toString().split('\n').filter((l) => l !== '');
  const records = lines.filter((l) => !l.startsWith('\t'));
  t.true(records.every((l) => /^\[@\d+\] object [a-z_0-9 ]+ len \d+$/.test(l)), records.find((l) => !/^\[@\d+\] object [a-z_0-9 ]+ len \d+$/.test(l)));
  const expected = framing(img.bytes).map((f) => `[@${f.offset}] object ${recordLabel(f.type)} len ${f.len}`);
  t.deepEqual(records, expected);
  t.true(lines.some((l) => /^\tpid 1 comm pipeline$/.test(l)), 'task detail lines');
});

test('info --json -v includes the record lines', async (t) => {
  const img = await cutImage('hello', 0.5);
  const r = await crfs(img.c, ['info', '--json', '-v', img.file]);
  t.is(r.status, 0, r.stderr.toString());
  const doc = JSON.parse(r.stdout.toString()) as InfoJson;
  t.is(doc.lines?.filter((l) => !l.startsWith('\t')).length, framing(img.bytes).length);
  t.deepEqual(doc.tasks.map((x) => [x.pid, x.comm]), [[1, 'hello']]);
});

test('info: a missing file, a tar and a directory are one line, exit 1', async (t) => {
  const img = await cutImage('hello', 0.5);
  t.regex(assertOneLine(t, await crfsIn('hello', ['info', tmpPath('none.img')]), 1, 'missing'), /^crfs: info: .*no such file/);
  t.regex(assertOneLine(t, await crfsIn('hello', ['info', tarOf(img.file)]), 1, 'tar'), /not a crfs tree/);
  const dir = tmpPath('dir');
  fs.mkdirSync(dir);
  t.regex(assertOneLine(t, await crfsIn('hello', ['info', dir]), 1, 'dir'), /not a crfs tree/);
});

test('hostile images: info names the record type and offset on one line, exit 1', async (t) => {
  const img = await cutImage('pipeline', 0.5);
  await Promise.all(hostileImages(img.bytes).map(async (v) => {
    const file = tmpPath('hostile.img');
    fs.writeFileSync(file, v.image);
    const r = await crfs(img.c, ['info', file]);
    const err = assertOneLine(t, r, 1, v.title);
    const named = parseImageErrorLine(err, 'info');
    if (!named) return void t.fail(`${v.title}: not "crfs: info: image: record 'R' at offset N: ...": ${err}`);
    if (v.record !== null) t.is(named[0], v.record, `${v.title}: ${err}`);
    if (v.offset !== null) t.is(named[1], v.offset, `${v.title}: ${err}`);
    else t.true(named[1] <= v.maxOffset, `${v.title}: ${err}`);
  }));
  t.deepEqual(fuseMountsUnder(path.dirname(img.file)), [], 'no FUSE mount left');
});

test('info -v on a truncated image lists the records before the cut, then one error line', async (t) => {
  const img = await cutImage('hello', 0.5);
  const frames = framing(img.bytes);
  const cutAt = frames[12].offset + 4;
  const file = tmpPath('truncated.img');
  fs.writeFileSync(file, img.bytes.subarray(0, cutAt));
  const r = await crfs(img.c, ['info', '-v', file]);
  assertOneLine(t, r, 1, 'truncated');
  const records = r.stdout.toString().split('\n').filter((l) => l !== '' && !l.startsWith('\t'));
  t.deepEqual(records, frames.slice(0, 12).map((f) => `[@${f.offset}] object ${recordLabel(f.type)} len ${f.len}`));
  t.deepEqual(parseImageErrorLine(r.stderr.toString(), 'info')?.[1], frames[12].offset);
});

test('an image recording a failed checkpoint: the summary says why, and the error record is named', async (t) => {
  const sink = new CollectSink();
  const w = new ImageWriter(sink);
  writePrologue(w);
  w.error(16, 'pid 2: task 3 is a vfork child its parent is still waiting for');
  const bytes = sink.bytes();
  const file = tmpPath('failed.img');
  fs.writeFileSync(file, bytes);
  const errorAt = framing(bytes).find((f) => f.type === 9999)?.offset ?? -1;
  const r = await crfsIn('hello', ['info', file]);
  const err = assertOneLine(t, r, 1, 'failed checkpoint');
  t.deepEqual(parseImageErrorLine(err, 'info'), ['error', errorAt]);
  t.regex(r.stdout.toString(), /^failed checkpoint: pid 2: task 3 is a vfork child/m);
  const rs = await crfsIn('hello', ['restart', file]);
  t.deepEqual(parseImageErrorLine(assertOneLine(t, rs, 1, 'restart'), 'restart'), ['error', errorAt]);
  t.is(rs.stdout.length, 0);
});
