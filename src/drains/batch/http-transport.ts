// One keep-alive connection pool per drain (undici Pool on the drain's
// origin), and the single thing the engine does with it: POST a body within a
// deadline and hand back status, headers and (when asked) the response body.
// The origin never carries credentials; those travel in a header the kind
// builds, so undici's errors cannot leak them.
import type { Pool } from 'undici';
import { SwitchyardError } from '../../errors';

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body when the caller asked for it (up to its limit), else empty. */
  body: Buffer;
}

export interface TransportOptions {
  origin: string;
  connections: number;
  insecure: boolean;
  connectTimeoutMs: number;
}

export class HttpTransport {
  private readonly pool: Pool;
  private readonly inFlight = new Set<AbortController>();
  private closed = false;

  constructor(opts: TransportOptions) {
    // Loaded on first use: undici is a large module, and a router without
    // HTTP drains should not carry it in memory.
    const { Pool: UndiciPool } = require('undici') as typeof import('undici');
    this.pool = new UndiciPool(opts.origin, {
      connections: opts.connections,
      pipelining: 1,
      connect: { rejectUnauthorized: !opts.insecure, timeout: opts.connectTimeoutMs },
    });
  }

  /**
   * POSTs `body`. Rejects on network errors and when `timeoutMs` passes before
   * the response body is read. `bodyLimit(status)` says how many body bytes to
   * keep (0: discard it); more than that is cut off.
   */
  async post(path: string, headers: Record<string, string>, body: Buffer, timeoutMs: number, bodyLimit: (status: number) => number): Promise<HttpResponse> {
    if (this.closed) throw new Error('transport closed');
    const ac = new AbortController();
    this.inFlight.add(ac);
    const timer = setTimeout(() => ac.abort(new DrainTimeoutError(timeoutMs)), timeoutMs);
    try {
      const res = await this.pool.request({
        path,
        method: 'POST',
        headers,
        body,
        signal: ac.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const limit = bodyLimit(res.statusCode);
      let out: Buffer = EMPTY;
      if (limit <= 0) {
        await res.body.dump();
      } else {
        const chunks: Buffer[] = [];
        let n = 0;
        for await (const chunk of res.body) {
          const c = chunk as Buffer;
          if (n + c.length > limit) {
            chunks.push(c.subarray(0, limit - n));
            n = limit;
            res.body.destroy();
            break;
          }
          chunks.push(c);
          n += c.length;
        }
        out = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, n);
      }
      return { status: res.statusCode, headers: res.headers, body: out };
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(ac);
    }
  }

  /** Aborts requests in flight and closes every connection. Idempotent. */
  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    for (const ac of this.inFlight) ac.abort(new SwitchyardError('SY_ERR_DRAIN_CLOSED', 'drain closed'));
    this.inFlight.clear();
    this.pool.destroy().catch(() => {});
  }
}

const EMPTY = Buffer.alloc(0);

/** The whole-request deadline passed (the request is aborted and retried). */
export class DrainTimeoutError extends SwitchyardError {
  constructor(ms: number) {
    super('SY_ERR_DRAIN_TIMEOUT', `no complete response within ${ms} ms`);
  }
}
