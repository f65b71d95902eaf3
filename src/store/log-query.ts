// GET /logs/:key query parameters → a typed request, or the reason it is
// wrong (a 400). Pure: the API and its tests share it.
import { parseRfc3339 } from '../syslog/timestamp';

export type LogsFormat = 'text' | 'ndjson' | 'json';

export interface LogsQuery {
  /** Only the last N lines of the selection (after since/until). */
  tail: number | null;
  /** At most N lines in the response (counted after tail). */
  limit: number | null;
  /** Arrival-time bounds, inclusive, normalised to RFC 3339 UTC. */
  since: string | null;
  until: string | null;
  format: LogsFormat;
  /** Keep the response open and stream lines as they are stored. */
  follow: boolean;
}

const MAX_COUNT = 1_000_000_000;

/**
 * `query` as fastify parsed it (repeated parameters arrive as arrays: rejected).
 * The format comes from ?format= first, else Accept: application/json → json,
 * application/x-ndjson → ndjson, anything else → text.
 */
export function parseLogsQuery(query: Record<string, unknown>, accept: string | undefined): LogsQuery | { error: string } {
  const known = ['tail', 'limit', 'since', 'until', 'format', 'follow'];
  for (const k of Object.keys(query)) {
    if (!known.includes(k)) return { error: `unknown parameter "${k}" (known: ${known.join(', ')})` };
    if (typeof query[k] !== 'string') return { error: `parameter "${k}" is given more than once` };
  }
  const q = query as Record<string, string | undefined>;
  const count = (k: 'tail' | 'limit'): number | null | string => {
    const v = q[k];
    if (v === undefined) return null;
    if (!/^\d+$/.test(v) || Number(v) > MAX_COUNT) return `${k} must be a whole number from 0 to ${MAX_COUNT}`;
    return Number(v);
  };
  const tail = count('tail');
  if (typeof tail === 'string') return { error: tail };
  const limit = count('limit');
  if (typeof limit === 'string') return { error: limit };
  const time = (k: 'since' | 'until'): string | null | { error: string } => {
    const v = q[k];
    if (v === undefined) return null;
    const b = Buffer.from(v, 'utf8');
    const ms = parseRfc3339(b, 0, b.length, null);
    if (Number.isNaN(ms)) return { error: `${k} must be an RFC 3339 date-time with a zone, like 2026-01-02T03:04:05Z` };
    return new Date(ms).toISOString();
  };
  const since = time('since');
  if (since !== null && typeof since === 'object') return since;
  const until = time('until');
  if (until !== null && typeof until === 'object') return until;
  let follow = false;
  if (q.follow !== undefined) {
    if (q.follow === 'true' || q.follow === '1' || q.follow === '') follow = true;
    else if (q.follow !== 'false' && q.follow !== '0') return { error: 'follow must be true or false' };
  }
  let format: LogsFormat;
  if (q.format !== undefined) {
    if (q.format !== 'text' && q.format !== 'ndjson' && q.format !== 'json') return { error: 'format must be text, ndjson or json' };
    format = q.format;
  } else {
    format = formatFromAccept(accept);
    // Accept: application/json with follow: records one per line is the only way to stream them.
    if (follow && format === 'json') format = 'ndjson';
  }
  if (follow && until !== null) return { error: 'follow cannot be combined with until (a followed response never reaches it)' };
  if (follow && format === 'json') return { error: 'follow streams records one per line: ask for format=ndjson (a JSON array would never close)' };
  return { tail, limit, since, until, format, follow };
}

function formatFromAccept(accept: string | undefined): LogsFormat {
  if (accept === undefined) return 'text';
  const a = accept.toLowerCase();
  if (a.includes('application/x-ndjson') || a.includes('application/ndjson')) return 'ndjson';
  if (a.includes('application/json')) return 'json';
  return 'text';
}
