// Optional authentication of the HTTP ingest endpoints (INGEST_TOKEN).
//
// Two ways to present the token, because the senders differ:
//   Authorization: Bearer <token>        (our own clients, curl)
//   Authorization: Basic base64(<token>:<anything>)
//                                        (logplex-style drains: the token is
//                                         the user of https://token@host/syslog;
//                                         the password is ignored)
// Runs as an onRequest hook, before the body is read, so an unauthenticated
// sender cannot make us buffer megabytes.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { safeEqual } from '../http/auth';
import { rejectReason } from './http-ingest-metrics';

const CHALLENGE = 'Basic realm="switchyard ingest", Bearer';

/** The token an Authorization header carries (Bearer, or the user of Basic), or undefined. */
export function ingestCredential(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^(Bearer|Basic)[ ]+(\S+)\s*$/i.exec(header);
  if (m === null) return undefined;
  if (m[1].toLowerCase() === 'bearer') return m[2];
  const decoded = Buffer.from(m[2], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon < 0 ? decoded : decoded.slice(0, colon);
  return user.length === 0 ? undefined : user;
}

/** The onRequest hook for a configured token; null (open endpoints) when there is none. */
export function ingestAuth(token: string | null): ((req: FastifyRequest, reply: FastifyReply) => Promise<void>) | null {
  if (token === null || token === '') return null;
  return async (req, reply) => {
    const given = ingestCredential(req.headers.authorization);
    if (given !== undefined && safeEqual(given, token)) return;
    rejectReason(req, 'unauthorized');
    // Not awaited: fastify stops the hook chain once the reply is sent.
    reply
      .code(401)
      .header('www-authenticate', CHALLENGE)
      .send({
        error:
          given === undefined
            ? 'an ingest token is required: Authorization: Bearer <token>, or Basic auth with the token as the user'
            : 'the ingest token is not valid',
      });
  };
}
