// What both ingest endpoints do once a request is parsed: admit the batch
// (503 if a `block` drain is full, nothing queued), route it all, answer.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Router } from '../router/router';
import type { InputStats } from '../telemetry/input-metrics';
import { firstRefused, routeAll, type IngestBatch } from './http-ingest-batch';
import { rejectReason, type RejectReason } from './http-ingest-metrics';

export interface SubmitOptions {
  router: Router;
  stats: InputStats;
  /** Retry-After on 503, in seconds. */
  retryAfterSeconds: number;
  /** How long a request may wait for a block drain its own batch filled, in ms. */
  holdMs: number;
}

export class Submitter {
  private closing = false;
  private readonly retryAfter: string;
  private readonly hold: { timeoutMs: number; closing: () => boolean };

  constructor(
    app: FastifyInstance,
    private readonly opts: SubmitOptions,
  ) {
    this.retryAfter = String(opts.retryAfterSeconds);
    this.hold = { timeoutMs: opts.holdMs, closing: () => this.closing };
    // A request waiting for room must not hold up shutdown: preClose runs
    // before fastify waits for in-flight requests.
    app.addHook('preClose', async () => {
      this.closing = true;
    });
  }

  /** Rejects the request: records the reason for the metrics; 503s carry Retry-After. */
  fail(req: FastifyRequest, reply: FastifyReply, status: number, reason: RejectReason, body: object): FastifyReply {
    rejectReason(req, reason);
    if (status === 503) reply.header('retry-after', this.retryAfter);
    // During shutdown the server waits for open connections: let this one go.
    if (this.closing) reply.header('connection', 'close');
    return reply.code(status).send(body);
  }

  /** Admits and routes a parsed batch; answers 204 or 503. */
  async submit(req: FastifyRequest, reply: FastifyReply, batch: IngestBatch): Promise<FastifyReply> {
    if (this.closing) return this.fail(req, reply, 503, 'closing', { error: 'shutting down; nothing in this request was queued' });
    const router = this.opts.router;
    const refused = firstRefused(router, batch);
    if (refused >= 0) {
      const host = batch.source(refused).toString('latin1', batch.hostStarts[refused], batch.hostEnds[refused]);
      return this.fail(req, reply, 503, 'full', {
        error: `a drain with the block policy for hostname ${JSON.stringify(host)} is full (message ${refused}); nothing in this request was queued, retry later`,
      });
    }
    const out = await routeAll(router, batch, this.hold);
    this.opts.stats.messages += out.routed;
    this.opts.stats.oversize += batch.oversize;
    if (out.routed < batch.count) {
      // Rare: the batch itself filled a block drain and it did not drain in time.
      // Queued messages cannot be taken back, so say exactly what was queued.
      return this.fail(req, reply, 503, 'partial', {
        error: `this request filled a drain with the block policy: messages 0..${out.routed - 1} were queued, the ${batch.count - out.routed} from message ${out.routed} on were not`,
        queued: out.routed,
        notQueued: batch.count - out.routed,
      });
    }
    return reply.code(204).send();
  }
}
