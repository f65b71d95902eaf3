// What an Elasticsearch _bulk response means for a batch. The HTTP status
// alone says little: a 200 can carry refused items. Rules:
//   non-2xx                 the shared status rules (classifyStatus)
//   2xx, "errors": false    ok
//   2xx, "errors": true     per item, in request order: 2xx taken; 429 and
//                           5xx (es_rejected_execution_exception, shard
//                           trouble) sent again alone; anything else (400
//                           mapper_parsing_exception, 409, ...) dropped with
//                           its "type: reason"
//   2xx we cannot read      (not JSON, items missing or not one per record)
//                           retried whole: ES may have taken some of them, so
//                           this can duplicate (at-least-once)
import type { HttpResponse } from '../batch/http-transport';
import { classifyStatus, OK, type Outcome, type RecordDrop } from '../batch/outcome';
import type { RecordBatch } from '../batch/record-batch';

/** Response bytes read from a 2xx bulk answer (filter_path keeps it small). */
export const BULK_BODY_LIMIT = 64 * 1024 * 1024;

interface BulkItemResult {
  status?: number;
  error?: { type?: string; reason?: string } | string;
}

export function classifyBulk(res: HttpResponse, b: RecordBatch, nowMs: number): Outcome {
  if (res.status < 200 || res.status >= 300) return classifyStatus(res.status, res.headers['retry-after'], nowMs);
  let doc: { errors?: boolean; items?: unknown[] };
  try {
    doc = JSON.parse(res.body.toString('utf8'));
  } catch {
    return { kind: 'retry', afterMs: null, why: 'bulk response is not JSON' };
  }
  if (doc === null || typeof doc !== 'object') return { kind: 'retry', afterMs: null, why: 'bulk response is not a JSON object' };
  if (doc.errors !== true) return OK;
  const items = doc.items;
  if (!Array.isArray(items) || items.length !== b.count) {
    return { kind: 'retry', afterMs: null, why: `bulk response has ${Array.isArray(items) ? items.length : 'no'} items for ${b.count} documents` };
  }
  const retry: number[] = [];
  const drop: RecordDrop[] = [];
  for (let i = 0; i < items.length; i++) {
    const r = itemResult(items[i]);
    const status = typeof r?.status === 'number' ? r.status : 0;
    if (status >= 200 && status < 300) continue;
    if (status === 429 || status >= 500) retry.push(i);
    else drop.push({ index: i, why: describe(r, status) });
  }
  if (retry.length === 0 && drop.length === 0) return OK;
  const first = drop.length > 0 ? drop[0].why : describe(itemResult(items[retry[0]]), itemResult(items[retry[0]])?.status ?? 0);
  return { kind: 'partial', retry, drop, why: first };
}

/** An item is {"create": {...}} (or index/update/delete: whichever action it answers). */
function itemResult(item: unknown): BulkItemResult | null {
  if (item === null || typeof item !== 'object') return null;
  for (const v of Object.values(item as Record<string, unknown>)) if (v !== null && typeof v === 'object') return v as BulkItemResult;
  return null;
}

function describe(r: BulkItemResult | null, status: number): string {
  const e = r?.error;
  if (typeof e === 'string') return `${status} ${e}`.slice(0, 300);
  if (e && typeof e === 'object') return `${status} ${e.type ?? 'error'}: ${e.reason ?? ''}`.slice(0, 300);
  return `item status ${status || 'missing'}`;
}
