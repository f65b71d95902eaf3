// HTTP-family drain delivery rate to a local receiver.
//
//   npx tsc -p . && node dist/bench/http-drain.js [--messages 200000] [--size 200]
//
// The receiver runs in a worker thread (its own event loop) and answers 200
// to everything (`{"errors":false}` for _bulk), counting bytes. Figures, in
// the same run:
//   ceiling      undici posting pre-built 500-message logplex bodies, one at a
//                time: what the transport and receiver allow, no encoding
//   logplex, json, elasticsearch  the drains with their defaults (batch 500,
//                one request in flight), messages pushed as fast as the ring takes them
//   gzip         the JSON drain with gzip=true
//   per message  batch_size=1: one request per message, as logtrain posted
// Messages/s is messages over the time from the first push to the last 2xx.
import { Worker } from 'node:worker_threads';
import pino from 'pino';
import { Pool } from 'undici';
import '../src/drains';
import type { Drain } from '../src/drains/drain';
import { batchOf } from '../src/drains/batch/record-batch';
import { encodeLogplex } from '../src/drains/logplex/encoder';
import { createDrain, parseDrainUrl } from '../src/drains/url';

const RECEIVER = `
const http = require('node:http');
const { parentPort } = require('node:worker_threads');
const server = http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    if (req.url.includes('_bulk')) { res.setHeader('content-type', 'application/json'); res.end('{"errors":false}'); }
    else { res.statusCode = 200; res.end(); }
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
parentPort.on('message', () => server.close(() => process.exit(0)));
`;

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

function messages(n: number, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const head = `<134>1 2026-11-22T03:00:00.${String(i % 1000).padStart(3, '0')}Z web.example app ${i % 97} - [meta@1 i="${i}"] `;
    out.push(Buffer.from(head + 'x'.repeat(Math.max(0, size - head.length))));
  }
  return out;
}

async function runDrain(url: string, msgs: Buffer[]): Promise<number> {
  const d: Drain = createDrain(parseDrainUrl(url), {
    logger: pino({ level: 'warn' }),
    buffer: { policy: 'block', bytes: 64 * 1024 * 1024, messages: 100_000, graceMs: 1000 },
    connectTimeoutMs: 5000,
    writeTimeoutMs: 30_000,
    services: {},
  });
  d.start();
  const t0 = process.hrtime.bigint();
  let i = 0;
  while (i < msgs.length) {
    const m = msgs[i];
    if (d.wouldRefuse(m.length, null)) {
      await new Promise((r) => setTimeout(r, 1));
      continue;
    }
    d.push(m, 0, m.length, null);
    i++;
    if ((i & 1023) === 0) await new Promise((r) => setImmediate(r));
  }
  while (d.queued > 0) await new Promise((r) => setTimeout(r, 1));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const dropped = Object.values(d.stats.dropped).reduce((a, b) => a + b, 0);
  if (d.stats.delivered !== msgs.length || dropped !== 0) throw new Error(`delivered ${d.stats.delivered}, dropped ${dropped} of ${msgs.length}`);
  await d.close(1000);
  return msgs.length / secs;
}

async function ceiling(base: string, msgs: Buffer[]): Promise<number> {
  const bodies: Buffer[] = [];
  for (let i = 0; i < msgs.length; i += 500) bodies.push(encodeLogplex(batchOf(msgs.slice(i, i + 500)), 'd.bench').body);
  const pool = new Pool(base, { connections: 1 });
  const t0 = process.hrtime.bigint();
  for (const body of bodies) {
    const r = await pool.request({ path: '/', method: 'POST', body, headers: { 'content-type': 'application/logplex-1' } });
    await r.body.dump();
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  await pool.close();
  return msgs.length / secs;
}

async function main(): Promise<void> {
  const n = arg('messages', 200_000);
  const size = arg('size', 200);
  const worker = new Worker(RECEIVER, { eval: true });
  const port: number = await new Promise((r) => worker.once('message', r));
  const base = `http://127.0.0.1:${port}`;
  const msgs = messages(n, size);
  const fmt = (x: number): string => Math.round(x).toLocaleString('en-US').padStart(12);
  console.log(`HTTP drains → local receiver (worker thread), ${n} messages of ~${size} bytes, node ${process.version}`);
  console.log(`${'ceiling (undici, pre-encoded)'.padEnd(34)}${fmt(await ceiling(base, msgs))} msg/s`);
  const cases: Array<[string, string, number]> = [
    ['syslog+http (logplex)', `syslog+${base}/`, n],
    ['http (JSON)', `${base}/`, n],
    ['elasticsearch (_bulk NDJSON)', `es+${base}/`, n],
    ['http (JSON) gzip=true', `${base}/?gzip=true`, n],
    ['http (JSON) concurrency=4', `${base}/?concurrency=4`, n],
    ['logplex, one request per message', `syslog+${base}/?batch_size=1`, Math.min(n, 20_000)],
  ];
  for (const [name, url, count] of cases) console.log(`${name.padEnd(34)}${fmt(await runDrain(url, msgs.slice(0, count)))} msg/s`);
  worker.postMessage('stop');
  await new Promise((r) => worker.once('exit', r));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
