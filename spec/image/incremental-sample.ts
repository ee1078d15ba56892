// An incremental variant of the sample image: a parent record, and the first page array turned into a pgref.
import { CollectSink, readImageItems } from '../../lib/crfs/image/codec';
import { encodeItems } from '../../lib/crfs/image/encode-items';
import type { ImageItem } from '../../lib/crfs/image/schema';
import { buildSampleImage } from './sample-image';

/** The sample image as a child of a (made-up) parent checkpoint 7: it decodes, but restarts only with that parent. */
export function buildIncrementalSampleImage(): Buffer {
  const out: ImageItem[] = [];
  let converted = false;
  let skipPages = false;
  for (const it of readImageItems(buildSampleImage())) {
    if (skipPages && it.kind === 'pages') { skipPages = false; continue; }
    if (!converted && it.kind === 'record' && it.name === 'pgarr' && it.value.nr_pages > 0) {
      out.push({ kind: 'record', name: 'pgref', type: 407, offset: it.offset, len: 24, value: { nr_pages: it.value.nr_pages, pid: 1 } });
      converted = true;
      skipPages = true;
      continue;
    }
    out.push(it);
    if (it.kind === 'record' && it.name === 'container') {
      out.push({ kind: 'record', name: 'parent', type: 9, offset: it.offset, len: 24, value: { parent_id: 7, parent_checksum: 0x12345678, parent_bytes: 8192 } });
    }
  }
  const sink = new CollectSink();
  encodeItems(out, sink);
  return sink.bytes();
}
