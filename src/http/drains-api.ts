// /drains: manage routes over HTTP. Every write goes to the drains table, so
// its NOTIFY trigger reaches every router sharing the database, this one
// included — the API never touches the running route table directly.
// Endpoints in responses are masked (no passwords over the wire or in logs).
import type { FastifyInstance } from 'fastify';
import type { Db } from '../store/db';
import { adminAuth } from './auth';

export interface DrainsApiOptions {
  db: Db;
  /** Admin bearer token; without one only loopback clients are allowed. */
  token?: string;
  /** null when the endpoint URL is acceptable, otherwise the reason it is not. */
  validateEndpoint(url: string): string | null;
  /** The endpoint as it may be shown: password masked. */
  maskEndpoint(url: string): string;
}

interface DrainRow {
  id: string;
  hostname: string;
  endpoint: string;
  created: Date | string;
  updated: Date | string;
}

const COLUMNS = 'drain::text AS id, hostname, endpoint, created, updated';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const fields = {
  hostname: { type: 'string', minLength: 1, maxLength: 1024 },
  endpoint: { type: 'string', minLength: 1, maxLength: 8192 },
} as const;

/** The request schemas, exported for the validator's tests. */
export const drainSchemas = {
  listQuery: { type: 'object', properties: { hostname: { type: 'string' } } },
  idParams: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
  create: { type: 'object', properties: fields, required: ['hostname', 'endpoint'], additionalProperties: false },
  update: { type: 'object', properties: fields, minProperties: 1, additionalProperties: false },
} as const;
const idParams = drainSchemas.idParams;

/** Connection-level failures (refused, reset, admin shutdown, too many clients): the caller may retry. */
function databaseUnavailable(err: { code?: unknown }): boolean {
  const code = typeof err.code === 'string' ? err.code : '';
  return /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|08...|57P0.|53300)$/.test(code) || /timeout exceeded when trying to connect|Connection terminated/i.test(String((err as Error).message));
}

export default async function drainsApi(app: FastifyInstance, opts: DrainsApiOptions): Promise<void> {
  const { db, validateEndpoint, maskEndpoint } = opts;
  // Registered inside this plugin, so the hook and the error handler cover only these routes.
  app.addHook('onRequest', adminAuth({ token: opts.token }));
  app.setErrorHandler((err: Error & { code?: unknown; statusCode?: number; validation?: unknown }, req, reply) => {
    if (err.validation !== undefined || (err.statusCode !== undefined && err.statusCode < 500)) {
      return reply.code(err.statusCode ?? 400).send({ error: err.message });
    }
    if (databaseUnavailable(err)) {
      req.log.warn({ err: err.message, db: db.description }, 'a /drains request failed: the database is unreachable; the client may retry');
      return reply.code(503).header('retry-after', '5').send({ error: 'the route database is unreachable; try again shortly' });
    }
    req.log.error({ err }, 'a /drains request failed');
    return reply.code(500).send({ error: 'internal error' });
  });

  const present = (r: DrainRow) => ({
    id: r.id,
    hostname: r.hostname,
    endpoint: maskEndpoint(r.endpoint),
    created: r.created,
    updated: r.updated,
  });
  const notFound = { error: 'no drain with that id' };

  app.get<{ Querystring: { hostname?: string } }>(
    '/drains',
    { schema: { querystring: drainSchemas.listQuery } },
    async (req) => {
      const res =
        req.query.hostname !== undefined
          ? await db.query<DrainRow>(`SELECT ${COLUMNS} FROM drains WHERE hostname = $1 ORDER BY created, drain`, [req.query.hostname])
          : await db.query<DrainRow>(`SELECT ${COLUMNS} FROM drains ORDER BY created, drain`);
      return res.rows.map(present);
    },
  );

  app.get<{ Params: { id: string } }>('/drains/:id', { schema: { params: idParams } }, async (req, reply) => {
    if (!UUID.test(req.params.id)) return reply.code(404).send(notFound);
    const res = await db.query<DrainRow>(`SELECT ${COLUMNS} FROM drains WHERE drain = $1`, [req.params.id]);
    const row = res.rows[0];
    if (row === undefined) return reply.code(404).send(notFound);
    return present(row);
  });

  app.post<{ Body: { hostname: string; endpoint: string } }>(
    '/drains',
    {
      schema: { body: drainSchemas.create },
    },
    async (req, reply) => {
      const reason = validateEndpoint(req.body.endpoint);
      if (reason !== null) return reply.code(422).send({ error: 'the endpoint is not a valid drain URL', reason });
      const res = await db.query<DrainRow>(`INSERT INTO drains (hostname, endpoint) VALUES ($1, $2) RETURNING ${COLUMNS}`, [
        req.body.hostname,
        req.body.endpoint,
      ]);
      return reply.code(201).send(present(res.rows[0]!));
    },
  );

  // PUT takes either field or both; what is left out keeps its value.
  app.put<{ Params: { id: string }; Body: { hostname?: string; endpoint?: string } }>(
    '/drains/:id',
    {
      schema: { params: idParams, body: drainSchemas.update },
    },
    async (req, reply) => {
      if (!UUID.test(req.params.id)) return reply.code(404).send(notFound);
      const { hostname, endpoint } = req.body;
      if (endpoint !== undefined) {
        const reason = validateEndpoint(endpoint);
        if (reason !== null) return reply.code(422).send({ error: 'the endpoint is not a valid drain URL', reason });
      }
      const res = await db.query<DrainRow>(
        `UPDATE drains SET hostname = COALESCE($2, hostname), endpoint = COALESCE($3, endpoint) WHERE drain = $1 RETURNING ${COLUMNS}`,
        [req.params.id, hostname ?? null, endpoint ?? null],
      );
      const row = res.rows[0];
      if (row === undefined) return reply.code(404).send(notFound);
      return present(row);
    },
  );

  app.delete<{ Params: { id: string } }>('/drains/:id', { schema: { params: idParams } }, async (req, reply) => {
    if (!UUID.test(req.params.id)) return reply.code(404).send(notFound);
    const res = await db.query(`DELETE FROM drains WHERE drain = $1`, [req.params.id]);
    if (res.rowCount === 0) return reply.code(404).send(notFound);
    return reply.code(204).send();
  });
}
