// POST /events: JSON events (logtrain's HTTP JSON input), each turned into
// an RFC 5424 message and routed by its hostname. The body is one event, an
// array of them (application/json) or NDJSON (application/x-ndjson); the
// fields and the tag rule are in http-events-body.ts.
//
// As for /syslog, a request is queued whole or not at all: 204 when queued,
// 400 listing what is wrong (nothing queued), 401 without the ingest token,
// 413 over HTTP_BODY_LIMIT (as sent or decompressed), 415 for other content
// types or encodings, 503 + Retry-After when a `block` drain is full (nothing
// queued). Bodies may be gzip or deflate (http-content-encoding.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FastifySchemaValidationError } from 'fastify/types/schema';
import { encode5424 } from '../syslog/encode';
import { newHeaderScan, scanHeader } from '../syslog/header';
import { inputStats } from '../telemetry/input-metrics';
import { eventFields, eventsBodySchema, FACILITIES, parseNdjson, SEVERITIES, type IngestEvent } from './http-events-body';
import { decodeContentEncoding } from './http-content-encoding';
import { BatchPool } from './http-ingest-batch';
import { ingestAuth } from './http-ingest-auth';
import { countIngestRequests } from './http-ingest-metrics';
import { Submitter } from './http-ingest-submit';
import type { HttpIngestOptions } from './http-syslog';

const EMPTY = Buffer.alloc(0);
const MAX_LISTED = 20;

// The optional fields are anyOf unions, whose raw errors come one per branch:
// say once, in words, what the field takes.
const FIELD_RULES: Record<string, string> = {
  severity: `must be 0..7 or a severity name (${Object.keys(SEVERITIES).join(', ')})`,
  facility: `must be 0..23 or a facility name (${Object.keys(FACILITIES).join(', ')})`,
  time: 'must be an RFC 3339 date-time or milliseconds since the epoch',
};

/** "event 3 tag: must be string" from the schema errors (instancePath /3/tag), one line per problem. */
export function describeProblems(errors: FastifySchemaValidationError[]): string[] {
  const out: string[] = [];
  for (const e of errors) {
    const path = (e.instancePath ?? '').split('/').filter((p) => p.length > 0);
    const where = path.length === 0 ? 'body' : `event ${path[0]}${path.length > 1 ? ' ' + path.slice(1).join('.') : ''}`;
    const rule = path.length === 2 ? FIELD_RULES[path[1]] : undefined;
    const line = `${where}: ${rule ?? e.message ?? e.keyword}`;
    if (out[out.length - 1] !== line) out.push(line);
  }
  if (out.length > MAX_LISTED) return [...out.slice(0, MAX_LISTED), `... and ${out.length - MAX_LISTED} more`];
  return out;
}

/** Fastify plugin (register it encapsulated). `intake` is used for nothing but MAX_MESSAGE_BYTES here. */
export async function httpEvents(app: FastifyInstance, opts: HttpIngestOptions): Promise<void> {
  const stats = inputStats('http_events');
  const pool = new BatchPool();
  const scan = newHeaderScan();
  const submitter = new Submitter(app, { router: opts.router, stats, retryAfterSeconds: opts.retryAfterSeconds ?? 1, holdMs: opts.holdMs ?? 5000 });
  const max = opts.intake.maxMessageBytes;

  countIngestRequests(app, 'events');
  decodeContentEncoding(app);
  const auth = ingestAuth(opts.token);
  if (auth !== null) app.addHook('onRequest', auth);

  // JSON only: without this, text/plain would reach the schema as a string.
  // Bodies are counted as parsed, after any Content-Encoding, as /syslog
  // counts them (Content-Length would count compressed bytes, or none when
  // chunked).
  app.removeContentTypeParser('text/plain');
  app.removeContentTypeParser('application/json');
  const json = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    stats.bytes += Buffer.byteLength(body as string);
    json(req, body as string, done);
  });
  app.addContentTypeParser('application/x-ndjson', { parseAs: 'string' }, (_req, body, done) => {
    stats.bytes += Buffer.byteLength(body as string);
    try {
      done(null, parseNdjson(body as string));
    } catch (err) {
      (err as Error & { statusCode: number }).statusCode = 400;
      done(err as Error, undefined);
    }
  });

  app.post(opts.path, {
    schema: { body: eventsBodySchema },
    attachValidation: true,
    // One event or many: the schema and the handler see an array either way.
    preValidation: async (req: FastifyRequest) => {
      if (!Array.isArray(req.body)) req.body = [req.body];
    },
    handler: async (req, reply) => {
      if (req.validationError !== undefined) {
        stats.parseErrors++;
        const problems = describeProblems(req.validationError.validation);
        return submitter.fail(req, reply, 400, 'invalid', { error: `invalid events, nothing was queued: ${problems.join('; ')}`, problems });
      }
      const events = req.body as IngestEvent[];
      const batch = pool.take(EMPTY);
      try {
        const now = new Date();
        for (let i = 0; i < events.length; i++) {
          const f = eventFields(events[i], now);
          if (typeof f === 'string') {
            stats.parseErrors++;
            return submitter.fail(req, reply, 400, 'invalid', { error: `invalid events, nothing was queued: event ${i}: ${f}`, problems: [`event ${i}: ${f}`] });
          }
          let msg = encode5424(f);
          if (msg.length > max) {
            // Same rule as the syslog inputs: cut to MAX_MESSAGE_BYTES, count it.
            batch.oversize++;
            msg = msg.subarray(0, max);
          }
          scanHeader(msg, 0, msg.length, scan);
          batch.addCopy(msg, 0, msg.length, scan.hostStart, scan.hostEnd);
        }
        return await submitter.submit(req, reply, batch);
      } finally {
        pool.give(batch);
      }
    },
  });
}
