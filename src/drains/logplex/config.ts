// syslog+http(s):// drain URLs (logplex-compatible HTTPS drains):
//   syslog+https://[user:password@]host[:port]/path[?token=<drain token>&batch params]
// user:password becomes Basic auth (Heroku drain receivers usually check it).
// token: the Logplex-Drain-Token header; default "d.<uuid>" derived from the
// drain URL, so it is stable for a drain across restarts and replicas.
import { createHash } from 'node:crypto';
import type { HttpFamilyOptions } from '../batch/batch-drain';
import { batchParams, httpTarget, parseBatchParams } from '../batch/options';
import { drainUrlError } from '../url';

export interface LogplexDrainOptions extends HttpFamilyOptions {
  token: string;
}

export const logplexParams = [...batchParams, 'token'] as const;

export function parseLogplexUrl(u: URL, scheme: string): LogplexDrainOptions {
  const raw = u.toString();
  if (scheme !== 'syslog+http' && scheme !== 'syslog+https') throw drainUrlError(raw, `scheme ${scheme} is not a logplex drain`);
  const token = u.searchParams.get('token');
  if (token !== null && !/^[\x21-\x7e]{1,200}$/.test(token)) throw drainUrlError(raw, 'token must be 1-200 visible ASCII characters');
  return { target: httpTarget(u, scheme === 'syslog+https'), batch: parseBatchParams(u), token: token ?? defaultDrainToken(raw) };
}

/** "d." and a UUID-shaped digest of the URL. */
export function defaultDrainToken(url: string): string {
  const h = createHash('sha256').update(url).digest('hex');
  return `d.${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
