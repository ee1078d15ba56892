// Items back to image bytes: the blob an ItemWriter's capture (or a decoded image) stands for, pgref records included.
import { ImageWriter } from './codec';
import type { FieldRecordName, ImageItem, RecordValue } from './schema';
import type { ImageSink } from './sinks';

/**
 * Writes `items` (as an ItemWriter captured them or readImageItems decoded them) through an
 * ImageWriter, so the bytes and the tail's checksum are those the push walk would have written.
 * Unlike the tree's emitModel it needs no tree layout, so it also takes incremental images.
 * `sealed: false`: the tail's checksum is left to sealImage (see ImageWriter).
 */
export function encodeItems(items: readonly ImageItem[], sink: ImageSink, opts: { sealed?: boolean } = {}): void {
  const w = new ImageWriter(sink, opts);
  let refPid: number | null = null;
  for (const it of items) {
    switch (it.kind) {
      case 'record':
        // w.pages and w.pageRefs write these records themselves, with the buffers after them.
        if (it.name === 'pgarr' && it.value.nr_pages > 0) break;
        if (it.name === 'pgref') { refPid = it.value.pid; break; }
        if (it.name === 'tail') { w.finish(); return; }
        w.record(it.name as FieldRecordName, it.value as RecordValue<FieldRecordName>);
        break;
      case 'string': w.string(it.text, it.name); break;
      case 'buffer': w.buffer(it.data); break;
      case 'addresses':
        if (refPid !== null) w.pageRefs(refPid, it.addrs);
        refPid = null;
        break;
      case 'pages': w.pages(it.addrs, it.pages); break;
    }
  }
  w.finish();
}
