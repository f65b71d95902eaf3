// Query parameters every HTTP-family drain (http(s)://, syslog+http(s)://,
// Elasticsearch) understands, with their units and defaults. Parsed once when
// the URL is checked; the engine never looks at the URL again.
//
//   batch_size=N     messages per request                 default 500
//   batch_bytes=N    raw syslog bytes per request          default 1 MiB (the
//                    encoded body can be larger: JSON/NDJSON add field names)
//   batch_wait=MS    longest an idle drain holds a partial batch before it
//                    sends it                              default 250 ms
//   concurrency=N    requests in flight at once            default 1 (order holds;
//                    with more, batches may arrive out of order)
//   timeout=MS       whole-request deadline                default DRAIN_WRITE_TIMEOUT
//   retries=N        retries of a batch after its first attempt (network errors,
//                    408, 429, 5xx) before it is dropped as retries_exhausted
//                                                          default 5 (6 attempts)
//   backoff_min=MS, backoff_max=MS  exponential backoff with full jitter between
//                    retries                               default 100 / 30000 ms
//   gzip=true        gzip request bodies                   default false
//   insecure=true    skip TLS certificate checks           default false
import { boolParam, drainUrlError } from '../url';

export interface BatchOptions {
  batchSize: number;
  batchBytes: number;
  batchWaitMs: number;
  concurrency: number;
  /** null: the drain context's writeTimeoutMs. */
  timeoutMs: number | null;
  retries: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  gzip: boolean;
  insecure: boolean;
}

export const BATCH_DEFAULTS: Readonly<Omit<BatchOptions, 'timeoutMs' | 'gzip' | 'insecure'>> = {
  batchSize: 500,
  batchBytes: 1024 * 1024,
  batchWaitMs: 250,
  concurrency: 1,
  retries: 5,
  backoffMinMs: 100,
  backoffMaxMs: 30_000,
};

export const batchParams = [
  'batch_size',
  'batch_bytes',
  'batch_wait',
  'concurrency',
  'timeout',
  'retries',
  'backoff_min',
  'backoff_max',
  'gzip',
  'insecure',
] as const;

/** Reads the batch parameters of `u`; throws SY_ERR_DRAIN_URL naming the bad one. */
export function parseBatchParams(u: URL): BatchOptions {
  const q = u.searchParams;
  const raw = u.toString();
  const int = (key: string, min: number, max: number, dflt: number): number => {
    const v = q.get(key);
    if (v === null) return dflt;
    const n = Number(v);
    if (v === '' || !Number.isInteger(n) || n < min || n > max) throw drainUrlError(raw, `${key} must be an integer from ${min} to ${max}`);
    return n;
  };
  const d = BATCH_DEFAULTS;
  const timeout = q.get('timeout');
  const o: BatchOptions = {
    batchSize: int('batch_size', 1, 100_000, d.batchSize),
    batchBytes: int('batch_bytes', 1024, 256 * 1024 * 1024, d.batchBytes),
    batchWaitMs: int('batch_wait', 0, 60_000, d.batchWaitMs),
    concurrency: int('concurrency', 1, 64, d.concurrency),
    timeoutMs: timeout === null ? null : int('timeout', 1, 3_600_000, 0),
    retries: int('retries', 0, 100, d.retries),
    backoffMinMs: int('backoff_min', 1, 3_600_000, d.backoffMinMs),
    backoffMaxMs: int('backoff_max', 1, 3_600_000, d.backoffMaxMs),
    gzip: boolParam(u, 'gzip', false),
    insecure: boolParam(u, 'insecure', false),
  };
  if (o.backoffMaxMs < o.backoffMinMs) throw drainUrlError(raw, 'backoff_max must be at least backoff_min');
  return o;
}

/** Where requests go, without credentials: those become an Authorization header. */
export interface HttpTarget {
  /** scheme://host[:port], what the connection pool is keyed by. */
  origin: string;
  /** Request path (with a leading slash). */
  path: string;
  /** The Authorization header value, or null. Never logged. */
  authorization: string | null;
}

/**
 * The http(s) origin and path of a drain URL whose scheme may be an alias
 * (`syslog+https`, `es+http`, ...), with user:password as Basic auth.
 */
export function httpTarget(u: URL, secure: boolean): HttpTarget {
  const raw = u.toString();
  if (!u.hostname) throw drainUrlError(raw, 'a host is required');
  if (u.port !== '' && !(Number(u.port) > 0 && Number(u.port) < 65536)) throw drainUrlError(raw, 'port must be 1-65535');
  const origin = `${secure ? 'https' : 'http'}://${u.host}`;
  let authorization: string | null = null;
  if (u.username !== '' || u.password !== '') {
    authorization = 'Basic ' + Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64');
  }
  return { origin, path: u.pathname === '' ? '/' : u.pathname, authorization };
}
