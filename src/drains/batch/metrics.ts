// Request-level metrics of the HTTP-family drains, read at scrape time from
// plain counters on each drain (as telemetry/drain-metrics.ts does for the
// per-message ones, through scraped()), so a removed drain's series disappear
// with it.
import { scraped } from '../../telemetry/metrics';

export type RequestResult = 'ok' | 'partial' | 'retry' | 'rejected' | 'split';
const RESULTS: RequestResult[] = ['ok', 'partial', 'retry', 'rejected', 'split'];

export interface RequestCounting {
  readonly label: string;
  readonly kind: string;
  readonly requests: Record<RequestResult, number>;
}

const live = new Set<RequestCounting>();

export function trackRequests(d: RequestCounting): void {
  live.add(d);
}

export function untrackRequests(d: RequestCounting): void {
  live.delete(d);
}

export function newRequestCounts(): Record<RequestResult, number> {
  return { ok: 0, partial: 0, retry: 0, rejected: 0, split: 0 };
}

scraped(
  'counter',
  'switchyard_drain_http_requests_total',
  'Requests of HTTP-family drains by what the answer meant: ok (2xx), partial (some items refused or retried), retry (network error, timeout, 408, 429, 5xx), rejected (other 4xx), split (413).',
  ['drain', 'kind', 'result'],
  (emit) => {
    for (const d of live) for (const r of RESULTS) if (d.requests[r] > 0) emit({ drain: d.label, kind: d.kind, result: r }, d.requests[r]);
  },
);
