// Content-Encoding on the HTTP ingest endpoints: log shippers (Vector,
// logplex-style drains) compress their bodies. A preParsing hook swaps the
// request stream for a decompressing one before fastify's body parsers read it.
//
// Accepted: gzip (and x-gzip), deflate (the zlib format, as RFC 9110 defines
// it), identity. Anything else is a 415 naming what we take. A body that does
// not decompress is a 400.
//
// HTTP_BODY_LIMIT bounds both the bytes on the wire and the bytes after
// decompression, and the second is checked as the bytes come out of zlib: a
// small body that inflates to gigabytes (a zip bomb) is stopped at the limit
// with a 413, never inflated whole. Once stopped, the rest of the request is
// read and discarded and the connection closed after the answer, so a sender
// cannot keep us inflating.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { Transform, type Readable } from 'node:stream';
import zlib from 'node:zlib';
import { SwitchyardError } from '../errors';
import { rejectReason, type RejectReason } from './http-ingest-metrics';

export const CONTENT_ENCODINGS = ['gzip', 'deflate', 'identity'];

type Coding = 'gzip' | 'deflate';

/** A request the ingest endpoints refuse because of its encoding; `statusCode` is the answer fastify gives. */
export class EncodingError extends SwitchyardError {
  constructor(
    code: string,
    message: string,
    readonly statusCode: number,
    readonly reason: RejectReason,
  ) {
    super(code, message);
  }
}

/**
 * The coding of a Content-Encoding header: null for none (or identity only),
 * else gzip or deflate; an EncodingError (415) for anything else, including
 * stacked codings ("gzip, gzip"), which no shipper sends.
 */
export function contentCoding(header: string | string[] | undefined): Coding | null {
  if (header === undefined) return null;
  const raw = Array.isArray(header) ? header.join(',') : header;
  const codings = raw
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c.length > 0 && c !== 'identity');
  if (codings.length === 0) return null;
  if (codings.length === 1) {
    if (codings[0] === 'gzip' || codings[0] === 'x-gzip') return 'gzip';
    if (codings[0] === 'deflate') return 'deflate';
  }
  return unsupported(raw);
}

function unsupported(raw: string): never {
  throw new EncodingError('SY_ERR_CONTENT_ENCODING', `Content-Encoding ${JSON.stringify(raw)} is not supported; send one of ${CONTENT_ENCODINGS.join(', ')}`, 415, 'unsupported_encoding');
}

const tooLarge = (limit: number, what: string): EncodingError =>
  new EncodingError('SY_ERR_BODY_TOO_LARGE', `the request body is over HTTP_BODY_LIMIT (${limit} bytes) ${what}; nothing in this request was queued`, 413, 'too_large');

/** The body of `raw` decompressed, erroring (EncodingError) once more than `limit` bytes come in or out. */
export function decodedBody(raw: Readable, coding: Coding, limit: number): Readable & { receivedEncodedLength: number } {
  const inflate = coding === 'gzip' ? zlib.createGunzip() : zlib.createInflate();
  let decoded = 0;
  let stopped = false;
  const stop = (err: EncodingError): void => {
    if (stopped) return;
    stopped = true;
    raw.unpipe(inflate);
    raw.removeListener('data', onRaw);
    inflate.destroy();
    out.destroy(err);
    // Discard the rest of the request; the caller closes the connection.
    raw.resume();
  };
  const out = Object.assign(
    new Transform({
      transform(chunk: Buffer, _enc, done) {
        decoded += chunk.length;
        if (decoded > limit) {
          done();
          stop(tooLarge(limit, 'once decompressed'));
          return;
        }
        done(null, chunk);
      },
    }),
    // Fastify checks Content-Length against the bytes on the wire through this.
    { receivedEncodedLength: 0 },
  );
  const onRaw = (chunk: Buffer): void => {
    out.receivedEncodedLength += chunk.length;
    if (out.receivedEncodedLength > limit) stop(tooLarge(limit, 'as sent'));
  };
  raw.on('data', onRaw);
  inflate.on('error', (err) => stop(new EncodingError('SY_ERR_CONTENT_ENCODING', `the body is not valid ${coding}: ${err.message}; nothing in this request was queued`, 400, 'bad_encoding')));
  raw.pipe(inflate).pipe(out);
  return out;
}

/** Adds the decoding hook to an (encapsulated) ingest plugin. */
export function decodeContentEncoding(app: FastifyInstance): void {
  app.addHook('preParsing', async (req: FastifyRequest, reply: FastifyReply, payload) => {
    let coding: Coding | null;
    try {
      coding = contentCoding(req.headers['content-encoding']);
    } catch (err) {
      rejectReason(req, (err as EncodingError).reason);
      throw err;
    }
    if (coding === null) return payload;
    const out = decodedBody(payload, coding, req.routeOptions.bodyLimit);
    out.once('error', (err) => {
      if (err instanceof EncodingError) rejectReason(req, err.reason);
      reply.header('connection', 'close');
    });
    return out as unknown as IncomingMessage;
  });
}
