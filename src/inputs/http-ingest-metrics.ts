// Per-request metrics of the HTTP ingest endpoints. Counted once per request
// in an onResponse hook, so answers fastify gives by itself (413 over the body
// limit, 415, a JSON syntax error) are counted like ours. Messages, bytes and
// parse errors go to the shared per-input counters (inputStats).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter } from 'prom-client';
import { registry } from '../telemetry/metrics';

export type IngestEndpoint = 'syslog' | 'events';

/**
 * Why a request was not accepted: unauthorized (401), too_large (413),
 * unsupported_media_type (415), unsupported_encoding (415: Content-Encoding),
 * bad_encoding (400: the body does not decompress), bad_frame (a frame
 * without a valid PRI or broken framing), count_mismatch (Logplex-Msg-Count), invalid (JSON or
 * schema), full (a block drain is full: nothing queued), partial (the batch
 * filled a block drain and the rest did not fit in time), closing.
 */
export type RejectReason =
  | 'unauthorized'
  | 'too_large'
  | 'unsupported_media_type'
  | 'unsupported_encoding'
  | 'bad_encoding'
  | 'bad_frame'
  | 'count_mismatch'
  | 'invalid'
  | 'full'
  | 'partial'
  | 'closing'
  | 'other';

const requests = new Counter({
  name: 'switchyard_http_ingest_requests_total',
  help: 'HTTP ingest requests answered, per endpoint (syslog, events) and status code.',
  labelNames: ['endpoint', 'status'],
  registers: [registry],
});

const rejections = new Counter({
  name: 'switchyard_http_ingest_rejections_total',
  help: 'HTTP ingest requests not accepted, per endpoint and reason (unauthorized, too_large, unsupported_media_type, unsupported_encoding, bad_encoding, bad_frame, count_mismatch, invalid, full, partial, closing).',
  labelNames: ['endpoint', 'reason'],
  registers: [registry],
});

const reasons = new WeakMap<FastifyRequest, RejectReason>();

/** Records why this request is being rejected; the onResponse hook counts it. */
export function rejectReason(req: FastifyRequest, reason: RejectReason): void {
  reasons.set(req, reason);
}

function reasonForStatus(status: number): RejectReason {
  switch (status) {
    case 401:
      return 'unauthorized';
    case 413:
      return 'too_large';
    case 415:
      return 'unsupported_media_type';
    case 400:
      return 'invalid';
    case 503:
      return 'full';
    default:
      return 'other';
  }
}

/** Adds the counting hook to an (encapsulated) ingest plugin. */
export function countIngestRequests(app: FastifyInstance, endpoint: IngestEndpoint): void {
  app.addHook('onResponse', async (req: FastifyRequest, reply: FastifyReply) => {
    const status = reply.statusCode;
    requests.inc({ endpoint, status: String(status) });
    if (status >= 400) rejections.inc({ endpoint, reason: reasons.get(req) ?? reasonForStatus(status) });
  });
}
