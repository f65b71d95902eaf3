// http(s):// drain body: a JSON array of events (see event.ts), one per record.
import type { RecordBatch } from '../batch/record-batch';
import { recordStart } from '../batch/record-batch';
import { parseOptions, parseRecord, toEvent } from './event';

/** Pure: the JSON array for a batch. `nowMs` only matters for RFC 3164 year inference. */
export function encodeJsonBatch(b: RecordBatch, nowMs: number = b.takenAt): Buffer {
  const parts = new Array<string>(b.count);
  const opts = parseOptions(nowMs);
  for (let i = 0; i < b.count; i++) {
    const s = recordStart(b, i);
    const e = b.ends[i];
    parts[i] = JSON.stringify(toEvent(parseRecord(b.buf, s, e, opts), b.buf, s, e));
  }
  return Buffer.from('[' + parts.join(',') + ']');
}
