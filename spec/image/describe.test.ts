// crfs info helpers: ckptinfo -v style lines and the summary.
import test from 'ava';
import { describeRecords, summarizeImage } from '../../lib/crfs/image/describe';
import { ImageError } from '../../lib/crfs/image/errors';
import { buildErrorImage, buildSampleImage } from './sample-image';
import { recordOffsets } from './image-bytes';

test('one line per record, at its offset, with ckptinfo detail lines', (t) => {
  const img = buildSampleImage();
  const d = describeRecords(img);
  const heads = d.lines.filter((l) => l.startsWith('['));
  t.deepEqual(heads.map((l) => Number(/^\[@(\d+)\]/.exec(l)?.[1])), recordOffsets(img));
  t.is(heads[0], '[@0] object head len 80');
  t.true(d.lines.includes('\tanon vmaref 0 inoref 0'));
  t.true(d.lines.includes('\tfile ref 7'));
  t.is(d.error, null);
});

test('the summary counts tasks, memory, files and shared objects', (t) => {
  const s = summarizeImage(buildSampleImage({ pages: 3 }));
  t.deepEqual(s.tasks.map((x) => x.pid), [1, 2]);
  t.is(s.memoryBytes, 3 * 4096);
  t.is(s.files, 3);
  t.is(s.pipes, 1);
  t.is(s.sharedObjects.file, 3);
  t.is(s.sharedObjects.mm, 1);
  t.is(s.failure, null);
});

test('a failed checkpoint shows its message; a bad image gives its error', (t) => {
  const e = describeRecords(buildErrorImage());
  t.is(e.summary.failure, 'fd 5 of pid 1: unsupported file type socket');
  t.true(e.lines.some((l) => l === '\terror: fd 5 of pid 1: unsupported file type socket'));
  const bad = describeRecords(buildSampleImage().subarray(0, 5000));
  t.true(bad.error instanceof ImageError);
  t.true(bad.lines.length > 10);
  t.throws(() => summarizeImage(buildSampleImage().subarray(0, 5000)), { instanceOf: ImageError });
});
