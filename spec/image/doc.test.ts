// docs/IMAGE-FORMAT.md is generated from the schema; this fails when the committed file differs.
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderImageFormatDoc } from '../../lib/crfs/image/doc';

const docPath = path.resolve(__dirname, '../../../docs/IMAGE-FORMAT.md');

test('docs/IMAGE-FORMAT.md matches the schema', (t) => {
  const want = renderImageFormatDoc();
  if (process.env.CRFS_WRITE_DOC === '1') fs.writeFileSync(docPath, want);
  const have = fs.existsSync(docPath) ? fs.readFileSync(docPath, 'utf8') : '';
  t.true(have === want, 'docs/IMAGE-FORMAT.md is stale: run CRFS_WRITE_DOC=1 npx ava dist/spec/image/doc.test.js');
});

test('the doc names every record number and field', (t) => {
  const doc = renderImageFormatDoc();
  t.regex(doc, /### 402 `vma`/);
  t.regex(doc, /\| 24 \| `vm_start` \| u64 \|/);
  t.regex(doc, /### 9001 `tail`/);
});
