// Elasticsearch _bulk body (NDJSON): per record a `create` action naming the
// index (no _id: Elasticsearch generates it, so a retried item cannot clash
// with itself) and the document:
//
//   {"create":{"_index":"<index>"}}
//   {"@timestamp": ..., "time": ..., "hostname": ..., "app": ..., "procid": ...,
//    "msgid": ..., "severity": ..., "facility": ..., "message": ...,
//    "structured_data": {...}}
//
// Fields are the JSON event of ../http/event.ts, plus "@timestamp": the
// message's timestamp in UTC with milliseconds (2026-11-22T02:44:55.123Z),
// or, without a valid one, the time the batch left the queue. Suggested
// mapping: @timestamp date; hostname, app, procid, msgid keyword; severity,
// facility byte; message text; structured_data object (or flattened).
// (logtrain's documents had "tag"; it is "app" here.)
import { recordStart, type RecordBatch } from '../batch/record-batch';
import { parseOptions, parseRecord, toEvent } from '../http/event';
import { indexForHostname, type IndexNamer } from './index-name';

export interface BulkOptions {
  /** null: each message's index is derived from its hostname. */
  index: IndexNamer | null;
}

/** Pure (given the batch's takenAt): the NDJSON body for a batch. */
export function encodeBulk(b: RecordBatch, opts: BulkOptions): Buffer {
  const lines: string[] = [];
  const byHost = new Map<string | null, string>();
  const parse = parseOptions(b.takenAt);
  const staticIndex = opts.index !== null && !opts.index.dated ? JSON.stringify({ create: { _index: opts.index.format(0) } }) : null;
  for (let i = 0; i < b.count; i++) {
    const s = recordStart(b, i);
    const e = b.ends[i];
    const m = parseRecord(b.buf, s, e, parse);
    const ms = m !== null && m.timestamp !== null ? m.timestamp.getTime() : b.takenAt;
    let action = staticIndex;
    if (action === null) {
      if (opts.index !== null) action = JSON.stringify({ create: { _index: opts.index.format(ms) } });
      else {
        const host = m === null ? null : m.hostname;
        action = byHost.get(host) ?? null;
        if (action === null) {
          action = JSON.stringify({ create: { _index: indexForHostname(host) } });
          byHost.set(host, action);
        }
      }
    }
    lines.push(action, JSON.stringify({ '@timestamp': new Date(ms).toISOString(), ...toEvent(m, b.buf, s, e) }));
  }
  lines.push('');
  return Buffer.from(lines.join('\n'));
}
