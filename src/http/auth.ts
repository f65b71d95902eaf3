// Admin authentication for the management endpoints (/drains, ...). With a
// token configured every request needs `Authorization: Bearer <token>`;
// without one, only clients on this machine (loopback) may manage routes, so
// a fresh install is not an open relay configurator.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Constant-time string comparison. Both sides are hashed first so the
 * comparison takes the same time whatever the lengths (timingSafeEqual needs
 * equal-length inputs and would otherwise leak the token's length).
 */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}

/** 127.0.0.0/8, ::1 and IPv4-mapped loopback (::ffff:127.x.y.z). */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  if (address === '::1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

function bearer(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return m === null ? undefined : m[1];
}

// The hooks reply without awaiting: fastify stops the chain once reply.sent is set.
export function adminAuth(opts: { token?: string }): (req: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const token = opts.token !== undefined && opts.token !== '' ? opts.token : undefined;
  if (token !== undefined) {
    return async (req, reply) => {
      const given = bearer(req.headers.authorization);
      if (given === undefined || !safeEqual(given, token)) {
        reply
          .code(401)
          .header('www-authenticate', 'Bearer')
          .send({ error: given === undefined ? 'an admin bearer token is required' : 'the admin token is not valid' });
      }
    };
  }
  return async (req, reply) => {
    // The socket's address, not req.ip: X-Forwarded-For must not open the door.
    if (!isLoopback(req.socket.remoteAddress)) {
      reply.code(403).send({ error: 'no admin token is configured, so management is only allowed from this machine (loopback)' });
    }
  };
}
