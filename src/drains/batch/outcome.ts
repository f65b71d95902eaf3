// What a response (or a failed request) means for a batch. Every HTTP-family
// kind maps its responses onto these; the batch engine alone acts on them, so
// retries, backoff and drop accounting are the same for all of them.
//
//   ok       every record was taken.
//   retry    nothing was taken, try the whole batch again (network error,
//            timeout, 408, 429, 5xx), after `afterMs` if the server said so
//            (Retry-After), else after the drain's backoff.
//   drop     nothing was taken and trying again cannot help (other 4xx, 3xx):
//            the records are dropped and counted as 'rejected'.
//   partial  some records were taken; `retry` lists the indexes (within the
//            batch) to send again alone, `drop` those refused for good.
//   split    the request was too large (413): send each half separately.

export interface RecordDrop {
  index: number;
  /** Short cause for the log line (e.g. "mapper_parsing_exception: failed to parse"). */
  why: string;
}

export type Outcome =
  | { kind: 'ok' }
  | { kind: 'retry'; afterMs: number | null; why: string }
  | { kind: 'drop'; why: string }
  | { kind: 'partial'; retry: number[]; drop: RecordDrop[]; why: string }
  | { kind: 'split' };

export const OK: Outcome = Object.freeze({ kind: 'ok' });
export const SPLIT: Outcome = Object.freeze({ kind: 'split' });

/** Longest Retry-After the engine honours; a server asking for more gets this. */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;

/**
 * Retry-After (RFC 9110 10.2.3): delay-seconds or an HTTP-date. Returns the
 * wait in ms (0 for a date in the past), capped at MAX_RETRY_AFTER_MS, or null
 * when absent or unreadable.
 */
export function parseRetryAfter(value: string | string[] | undefined | null, nowMs: number): number | null {
  if (Array.isArray(value)) value = value[0];
  if (value === undefined || value === null) return null;
  const v = value.trim();
  if (v === '') return null;
  if (/^\d+$/.test(v)) return Math.min(Number(v) * 1000, MAX_RETRY_AFTER_MS);
  // HTTP-date: IMF-fixdate, or the obsolete RFC 850 / asctime forms, which Date.parse reads.
  if (!/[a-z]/i.test(v)) return null;
  // Every HTTP-date is GMT; asctime() form does not say so, and Date.parse would read it as local time.
  const at = Date.parse(/GMT|UTC|[+-]\d{4}$/.test(v) ? v : v + ' GMT');
  if (Number.isNaN(at)) return null;
  return Math.min(Math.max(0, at - nowMs), MAX_RETRY_AFTER_MS);
}

/**
 * The status-code rules shared by every HTTP-family drain (logplex semantics):
 * 2xx ok; 413 split; 408, 429 and 5xx retry (honouring Retry-After); anything
 * else (1xx, 3xx, other 4xx) is a refusal that retrying cannot fix.
 */
export function classifyStatus(status: number, retryAfter: string | string[] | undefined | null, nowMs: number): Outcome {
  if (status >= 200 && status < 300) return OK;
  if (status === 413) return SPLIT;
  if (status === 408 || status === 429 || (status >= 500 && status < 600)) {
    return { kind: 'retry', afterMs: parseRetryAfter(retryAfter, nowMs), why: `HTTP ${status}` };
  }
  return { kind: 'drop', why: `HTTP ${status}` };
}

/** A request that got no response (connection refused/reset, TLS failure, timeout). */
export function networkFailure(err: unknown): Outcome {
  const e = err as { code?: string; message?: string; name?: string };
  const what = e?.code ?? e?.name ?? 'error';
  return { kind: 'retry', afterMs: null, why: `${what}: ${e?.message ?? String(err)}` };
}
