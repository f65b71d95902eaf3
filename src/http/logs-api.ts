// GET /logs/:key (prefix PERSISTENT_PATH): what persistent://<key> drains stored.
//
//   text/plain (default)    the RFC 5424 lines, LF-terminated, in arrival order
//   ?format=ndjson, Accept: application/x-ndjson   one JSON record per line
//   ?format=json, Accept: application/json         a JSON array of records
//   ?tail=N   the last N lines     ?limit=N   at most N lines
//   ?since= / ?until=   RFC 3339 bounds on the arrival time (inclusive)
//   ?follow=true        stay open and stream lines as they are stored
//
// A key is known when a persistent drain registered it (log_keys, written when
// the drain starts) or when it has stored lines: unknown → 404, known and
// empty → 200 with an empty body. Retention forgets a key whose lines all
// expired once its registration is older than PERSISTENT_MAX_AGE (see
// store/retention.ts): it is then unknown again. Behind the admin token (adminAuth).
//
// Responses stream with constant memory: keyset pages of `pageSize` rows by
// id, written to the raw socket one page at a time, waiting for 'drain' when
// the client reads slower than the database answers. A follower waits for the
// store's "appended" signal (writes by this process) or a poll interval
// (writes by other routers sharing the database), and stops when the client
// goes away or the server closes.
import type { FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';
import { jsonArrayChunk, ndjsonChunk, textChunk } from '../store/log-format';
import { parseLogsQuery, type LogsQuery } from '../store/log-query';
import { storeStats } from '../store/log-metrics';
import { keyProblem, type LogRow, type LogStore, type ReadRange } from '../store/log-store';
import { adminAuth } from './auth';

export interface LogsApiOptions {
  store: LogStore;
  /** Admin bearer token; without one only loopback clients are allowed. */
  token?: string;
  /** Path prefix (PERSISTENT_PATH), default /logs/. */
  path?: string;
  /** Rows per database page. */
  pageSize?: number;
  /** How often a follower looks for lines written by other processes, ms. */
  followPollMs?: number;
}

const CONTENT_TYPE = {
  text: 'text/plain; charset=utf-8',
  ndjson: 'application/x-ndjson',
  json: 'application/json; charset=utf-8',
} as const;

export default async function logsApi(app: FastifyInstance, opts: LogsApiOptions): Promise<void> {
  const { store } = opts;
  const pageSize = opts.pageSize ?? 1000;
  const pollMs = opts.followPollMs ?? 1000;
  let prefix = opts.path ?? '/logs/';
  if (!prefix.endsWith('/')) prefix += '/';
  /** Open responses → ends them (server closing). */
  const open = new Map<ServerResponse, () => void>();

  app.addHook('onRequest', adminAuth({ token: opts.token }));
  // Followed responses never end by themselves: end them so close() can finish.
  app.addHook('preClose', async () => {
    for (const stop of open.values()) stop();
  });

  // A wildcard, not `:key`: fastify caps parametric segments at 100 characters
  // (maxParamLength) and keys may have 128. keyProblem() rejects any "/".
  app.get<{ Params: { '*': string }; Querystring: Record<string, unknown> }>(`${prefix}*`, async (req, reply) => {
    const key = req.params['*'];
    const problem = keyProblem(key);
    if (problem !== null) return reply.code(400).send({ error: `invalid key: ${problem}` });
    const q = parseLogsQuery(req.query, req.headers.accept);
    if ('error' in q) return reply.code(400).send({ error: q.error });
    let known: boolean;
    let after = '0';
    // Without follow the response is a snapshot: lines stored while it streams
    // are left out, so a busy key cannot keep a plain GET going forever.
    let throughId: string | null = null;
    try {
      known = await store.keyExists(key);
      if (known && !q.follow) throughId = (await store.lastId(key)) ?? '0';
      if (known && q.tail !== null) after = await store.tailStart(key, q.tail, { afterId: '0', since: q.since, until: q.until, throughId });
    } catch (err) {
      req.log.warn({ err: (err as Error).message }, 'GET /logs: the log store is unavailable');
      return reply.code(503).send({ error: 'the log store is unavailable; try again later' });
    }
    if (!known) return reply.code(404).send({ error: `no logs are stored under the key "${key}"` });

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': CONTENT_TYPE[q.format], 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    // Now, not with the first line: a follower of a quiet key must see 200 at once.
    res.flushHeaders();
    if (req.method === 'HEAD') {
      // fastify answers HEAD with the GET handler: status and headers are the whole answer.
      res.end();
      return;
    }
    if (q.follow) storeStats.followers++;
    try {
      await stream(store, key, q, { afterId: after, since: q.since, until: q.until, throughId }, res, pageSize, pollMs, (stop) => open.set(res, stop));
    } catch (err) {
      // Headers are out: all we can do is cut the response short.
      req.log.warn({ err: (err as Error).message, key }, 'GET /logs: reading the log store failed mid-response; the response is cut short');
      res.destroy();
    } finally {
      open.delete(res);
      if (q.follow) storeStats.followers--;
    }
  });
}

async function stream(
  store: LogStore,
  key: string,
  q: LogsQuery,
  range: ReadRange,
  res: ServerResponse,
  pageSize: number,
  pollMs: number,
  onStop: (stop: () => void) => void,
): Promise<void> {
  let gone = res.destroyed;
  let stopped = false;
  let wake: (() => void) | null = null;
  let signalled = false;
  const onGone = () => {
    gone = true;
    wake?.();
  };
  res.on('close', onGone);
  // Server shutdown: finish the response normally at the next turn of the loop.
  onStop(() => {
    stopped = true;
    wake?.();
  });
  // Subscribed before the first read, so a batch committed meanwhile is not missed.
  const unsubscribe = q.follow
    ? store.onAppend((k) => {
        if (k !== key) return;
        signalled = true;
        wake?.();
      })
    : null;
  let left = q.limit ?? Infinity;
  let first = true;
  try {
    if (q.format === 'json') res.write('[');
    while (!gone && !stopped && left > 0) {
      const want = Math.min(pageSize, left);
      signalled = false;
      const rows = await store.readPage(key, range, want);
      if (gone) break;
      if (rows.length > 0) {
        range.afterId = rows[rows.length - 1]!.id;
        left -= rows.length;
        if (!res.write(chunk(q, rows, first))) await drained(res);
        first = false;
      }
      if (rows.length < want) {
        if (!q.follow) break;
        if (signalled) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, pollMs);
          function done(): void {
            clearTimeout(timer);
            wake = null;
            resolve();
          }
          wake = done;
        });
      }
    }
    if (!gone) res.end(q.format === 'json' ? (first ? ']\n' : '\n]\n') : undefined);
  } finally {
    res.off('close', onGone);
    unsubscribe?.();
  }
}

function chunk(q: LogsQuery, rows: LogRow[], first: boolean): Buffer {
  if (q.format === 'text') return textChunk(rows);
  if (q.format === 'ndjson') return ndjsonChunk(rows);
  return jsonArrayChunk(rows, first);
}

/** Resolves on 'drain' or when the response is closed (client gone). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
