// POST /syslog: syslog over HTTP, as Heroku's HTTPS drains send it
// (application/logplex-1: octet-counted RFC 5424 frames) or as lines
// (application/syslog, text/plain: LF-separated RFC 5424 or RFC 3164).
//
// logtrain answered 200 even when it dropped. Here a request is queued whole
// or not at all, and the status says which:
//   204  every message was queued (or had no route: counted as unrouted, as
//        on every input)
//   400  a frame is bad (named by index and reason), Logplex-Msg-Count does
//        not match, or a compressed body does not decompress; nothing was queued
//   401  INGEST_TOKEN is set and the request does not carry it
//   413  the body is over HTTP_BODY_LIMIT, as sent or once decompressed
//   415  another content type, or a Content-Encoding other than gzip or
//        deflate (http-content-encoding.ts)
//   503  + Retry-After: a drain with the `block` policy is full; nothing was
//        queued. Also when the batch itself filled a block drain and the rest
//        did not fit within the hold time (the body says how many were queued).
//
// Hostname fallback (messages with a nil or missing HOSTNAME): the
// Logplex-Drain-Token header when present (it names the drain, i.e. the app,
// while the sender's address is one of a shared pool), else
// HOSTNAME_FALLBACK, else the socket's remote address (never X-Forwarded-For:
// a client must not choose its route by a header it can forge). Posts without
// Logplex-Frame-Id / Logplex-Drain-Token (Heroku Private Spaces) are accepted.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Router } from '../router/router';
import { inputStats } from '../telemetry/input-metrics';
import { decodeContentEncoding } from './http-content-encoding';
import { BatchPool } from './http-ingest-batch';
import { ingestAuth } from './http-ingest-auth';
import { countIngestRequests } from './http-ingest-metrics';
import { Submitter } from './http-ingest-submit';
import { checkMsgCount, SyslogBodyParser } from './http-syslog-body';
import type { IntakeOptions } from './intake';

export const SYSLOG_CONTENT_TYPES = ['application/logplex-1', 'application/syslog', 'text/plain'];

export interface HttpIngestOptions {
  router: Router;
  /** Route path, e.g. /syslog. */
  path: string;
  /** INGEST_TOKEN, or null for open endpoints. */
  token: string | null;
  /** Time zone, fallback hostname and MAX_MESSAGE_BYTES, as for the stream inputs. */
  intake: IntakeOptions;
  /** Retry-After on 503, in seconds. Default 1. */
  retryAfterSeconds?: number;
  /** How long a request may wait for a block drain its own batch filled, in ms. Default 5000. */
  holdMs?: number;
}

const MAX_TOKEN_FALLBACK = 255;

/** The hostname fallback for one request (see the top of this file). */
export function syslogFallback(req: FastifyRequest, fixed: Buffer | null): Buffer {
  const token = req.headers['logplex-drain-token'];
  if (typeof token === 'string' && token.length > 0 && token.length <= MAX_TOKEN_FALLBACK && /^[\x21-\x7e]+$/.test(token)) {
    return Buffer.from(token, 'latin1');
  }
  return fixed ?? Buffer.from(req.socket.remoteAddress || 'unknown', 'latin1');
}

/** Fastify plugin (register it encapsulated, i.e. not through fastify-plugin). */
export async function httpSyslog(app: FastifyInstance, opts: HttpIngestOptions): Promise<void> {
  const stats = inputStats('http_syslog');
  const parser = new SyslogBodyParser(opts.intake);
  const pool = new BatchPool();
  const fixed = opts.intake.fallbackHostname === null ? null : Buffer.from(opts.intake.fallbackHostname);
  const submitter = new Submitter(app, { router: opts.router, stats, retryAfterSeconds: opts.retryAfterSeconds ?? 1, holdMs: opts.holdMs ?? 5000 });

  countIngestRequests(app, 'syslog');
  decodeContentEncoding(app);
  const auth = ingestAuth(opts.token);
  if (auth !== null) app.addHook('onRequest', auth);

  // Raw bodies of our types only (anything else: 415 from fastify). The
  // plugin is encapsulated: the parsers of the rest of the server stay.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(SYSLOG_CONTENT_TYPES, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  const unsupported = `POST ${opts.path} takes ${SYSLOG_CONTENT_TYPES.join(', ')}`;
  app.addContentTypeParser('*', (req, _payload, done) => {
    const err = new Error(`${unsupported}; got ${req.headers['content-type'] ?? 'no content type'}`) as Error & { statusCode: number };
    err.statusCode = 415;
    done(err, undefined);
  });

  app.post(opts.path, async (req, reply) => {
    if (!Buffer.isBuffer(req.body)) {
      return submitter.fail(req, reply, 415, 'unsupported_media_type', { error: `${unsupported}; got ${req.headers['content-type'] ?? 'no content type'}` });
    }
    const body = req.body;
    stats.bytes += body.length;
    const batch = pool.take(body);
    try {
      const bad = parser.parse(batch, syslogFallback(req, fixed), new Date());
      if (bad !== null) {
        stats.parseErrors++;
        return submitter.fail(req, reply, 400, 'bad_frame', {
          error: `frame ${bad.frame} (at byte ${bad.offset}): ${bad.reason}; nothing in this request was queued`,
          frame: bad.frame,
          offset: bad.offset,
          reason: bad.reason,
        });
      }
      const mismatch = checkMsgCount(req.headers['logplex-msg-count'], batch.count);
      if (mismatch !== null) return submitter.fail(req, reply, 400, 'count_mismatch', { error: `${mismatch}; nothing in this request was queued` });
      return await submitter.submit(req, reply, batch);
    } finally {
      pool.give(batch);
    }
  });
}
