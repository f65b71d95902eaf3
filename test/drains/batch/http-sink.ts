// A real HTTP server for drain tests: records every request (body gunzipped
// when it came gzipped) and answers with whatever the test's handler says,
// including never (to exercise timeouts).
import http from 'node:http';
import zlib from 'node:zlib';
import pino from 'pino';
import '../../../src/drains';
import type { Drain } from '../../../src/drains/drain';
import { createDrain, parseDrainUrl } from '../../../src/drains/url';

export interface SinkRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  at: number;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** A handler returns the reply, or 'hang' to never answer. */
export type Handler = (req: SinkRequest, index: number) => Reply | 'hang';

export interface HttpSink {
  port: number;
  /** http://127.0.0.1:port */
  base: string;
  requests: SinkRequest[];
  waitForRequests(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startHttpSink(handler: Handler = () => ({ status: 200 })): Promise<HttpSink> {
  const requests: SinkRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = zlib.gunzipSync(body);
      const r: SinkRequest = { path: req.url ?? '', headers: req.headers, body, at: Date.now() };
      requests.push(r);
      const reply = handler(r, requests.length - 1);
      if (reply === 'hang') return;
      res.writeHead(reply.status, reply.headers ?? {});
      res.end(reply.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    base: `http://127.0.0.1:${port}`,
    requests,
    async waitForRequests(n, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < n) {
        if (Date.now() > deadline) throw new Error(`sink got ${requests.length} requests, expected ${n}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A drain built the way the route manager builds it, with a silent logger. */
export function makeDrain(url: string, opts: { writeTimeoutMs?: number; policy?: 'backpressure' | 'block' | 'drop'; logger?: pino.Logger } = {}): Drain {
  const d = createDrain(parseDrainUrl(url), {
    logger: opts.logger ?? pino({ level: 'silent' }),
    buffer: { policy: opts.policy ?? 'drop', bytes: 8 * 1024 * 1024, messages: 100_000, graceMs: 1000 },
    connectTimeoutMs: 2000,
    writeTimeoutMs: opts.writeTimeoutMs ?? 5000,
    services: {},
  });
  d.start();
  return d;
}

export function pushAll(d: Drain, msgs: Buffer[]): void {
  for (const m of msgs) d.push(m, 0, m.length, null);
}

/** Waits until nothing is queued or in flight. */
export async function settled(d: Drain, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await new Promise((r) => setImmediate(r));
  while (d.queued > 0) {
    if (Date.now() > deadline) throw new Error(`drain still has ${d.queued} queued`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function droppedTotal(d: Drain): number {
  return Object.values(d.stats.dropped).reduce((a, b) => a + b, 0);
}

export function syslogLines(n: number, host = 'web.1', from = 0): Buffer[] {
  const out: Buffer[] = [];
  for (let i = from; i < from + n; i++) out.push(Buffer.from(`<134>1 2026-11-22T02:44:55.123Z ${host} app 42 ID${i} [ex@1 n="${i}"] message ${i}`));
  return out;
}

/** Splits a logplex body into its octet-counted frames. */
export function logplexFrames(body: Buffer): string[] {
  const out: string[] = [];
  let p = 0;
  while (p < body.length) {
    const sp = body.indexOf(0x20, p);
    const len = Number(body.toString('latin1', p, sp));
    if (!Number.isInteger(len) || len <= 0) throw new Error(`bad frame at ${p}`);
    out.push(body.toString('utf8', sp + 1, sp + 1 + len));
    p = sp + 1 + len;
  }
  return out;
}
