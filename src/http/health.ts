// /healthz: the process is alive. /readyz: listeners are bound and a route set
// is loaded; 503 with the reasons otherwise (e.g. the database is unreachable
// and no cached routes exist), so a load balancer can wait for it.
// /metrics: Prometheus text exposition.
import type { FastifyInstance } from 'fastify';
import { Readable } from 'node:stream';
import { metricsContentType, metricsPieces } from '../telemetry/metrics';

export interface Readiness {
  /** Empty when ready; otherwise what is missing, in words. */
  notReady(): string[];
}

export async function healthRoutes(app: FastifyInstance, opts: { readiness: Readiness }): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const missing = opts.readiness.notReady();
    if (missing.length > 0) return reply.code(503).send({ status: 'not ready', missing });
    return { status: 'ready' };
  });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', metricsContentType);
    return reply.send(Readable.from(metricsPieces()));
  });
}
