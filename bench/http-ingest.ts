// POST /syslog ingest rate, in messages per second, with logplex-1 bodies of
// 100 frames (what a busy Heroku drain sends), three ways in one run:
//
//   parse only     SyslogBodyParser + admission on a 100-frame body, in this
//                  process, no network: the cost of our code per message
//   plain HTTP     the same requests to a bare node:http server that reads
//                  the body and answers 204: the HTTP floor on this machine
//   switchyard     the router (its own process) → syslog+tcp drain → the C
//                  sink; rate = messages received ÷ (last arrival − first send)
//
// Usage: npx tsc -p . && node dist/bench/http-ingest.js [--messages 500000] [--conns 4] [--frames 100]
// The generator (bench/bin/loadgen) keeps one request in flight per
// connection, like a logplex drain, and counts non-2xx answers as errors.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { IngestBatch, firstRefused } from '../src/inputs/http-ingest-batch';
import { SyslogBodyParser } from '../src/inputs/http-syslog-body';
import { Router } from '../src/router/router';
import { buildTools } from './lib/c-tools';
import { measureThroughput, type Target } from './lib/measure';
import { runLoadgen } from './lib/tool-process';
import { freeTcpPort, metricSum, startRouter } from './router-process';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

const MESSAGES = arg('messages', 500_000);
const CONNS = arg('conns', 4);
const FRAMES = arg('frames', 100);
const HOSTS = 100;

function fmt(rate: number): string {
  return `${Math.round(rate).toLocaleString('en-US')} msg/s`;
}

/** A body shaped like loadgen's: FRAMES octet-counted RFC 5424 frames, hosts host-0.. */
function logplexBody(frames: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < frames; i++) {
    const m = `<134>1 2026-11-22T03:00:00.000000Z host-${i % HOSTS} app web.1 - - 1795316400000000000 GET /api/v1/items?page=${i} 200 12ms bytes=5120`;
    parts.push(Buffer.from(`${Buffer.byteLength(m)} ${m}`));
  }
  return Buffer.concat(parts);
}

function parseOnly(): number {
  const parser = new SyslogBodyParser({ tzOffsetMinutes: 0, fallbackHostname: null, maxMessageBytes: 64 * 1024 });
  const router = new Router(); // no routes: admission looks every hostname up and finds nothing
  const body = logplexBody(FRAMES);
  const batch = new IngestBatch();
  const fallback = Buffer.from('d.bench');
  const now = new Date();
  const rounds = Math.max(1, Math.floor(MESSAGES / FRAMES));
  for (let w = 0; w < 200; w++) {
    batch.reset(body);
    parser.parse(batch, fallback, now);
  }
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) {
    batch.reset(body);
    if (parser.parse(batch, fallback, now) !== null || firstRefused(router, batch) >= 0) throw new Error('bench body did not parse');
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  router.close();
  return (rounds * FRAMES) / s;
}

// The baseline server: read the body, answer 204, nothing else.
const PLAIN_SERVER = `
const http = require('node:http');
const s = http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => { res.statusCode = 204; res.end(); });
});
s.keepAliveTimeout = 60000;
s.listen(Number(process.argv[1]), '127.0.0.1', () => process.stdout.write('ready\\n'));
`;

async function plainHttp(tools: ReturnType<typeof buildTools>): Promise<{ rate: number; errors: number }> {
  const port = await freeTcpPort();
  const child = spawn(process.execPath, ['-e', PLAIN_SERVER, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await once(child.stdout!, 'data');
    const lg = await runLoadgen(tools.loadgen, { port, proto: 'http', format: '5424', hosts: HOSTS, frames: FRAMES, conns: CONNS, count: MESSAGES });
    return { rate: lg.rate, errors: lg.errors };
  } finally {
    child.kill('SIGTERM');
  }
}

async function main(): Promise<void> {
  const tools = buildTools();
  console.log(`POST /syslog, logplex-1 bodies of ${FRAMES} frames, ${CONNS} connections, ${MESSAGES.toLocaleString('en-US')} messages, ${HOSTS} hosts → 1 drain`);

  const parse = parseOnly();
  console.log(`  parse + admission only (in process): ${fmt(parse)}`);

  const plain = await plainHttp(tools);
  console.log(`  plain node:http, 204 without parsing: ${fmt(plain.rate)}${plain.errors ? ` (${plain.errors} errors)` : ''}`);

  const launch = async (sinkPorts: number[]): Promise<Target> => {
    const drain = `syslog+tcp://127.0.0.1:${sinkPorts[0]}`;
    const routes = Array.from({ length: HOSTS }, (_, i): [string, string] => [`host-${i}`, drain]);
    const r = await startRouter({ routes });
    return { pid: r.pid, port: r.ports.http, metrics: () => r.metrics(), stop: async () => void (await r.stop()) };
  };
  const res = await measureThroughput(tools, launch, { proto: 'http', format: '5424', hosts: HOSTS, frames: FRAMES, conns: CONNS }, MESSAGES);
  const rejected = res.metrics ? metricSum(res.metrics, 'switchyard_http_ingest_rejections_total') : undefined;
  console.log(
    `  switchyard /syslog → syslog drain → sink: ${fmt(res.rate)}` +
      ` (received ${res.received.toLocaleString('en-US')} of ${res.sent.toLocaleString('en-US')}, non-2xx ${res.loadgen.errors}` +
      `${rejected !== undefined ? `, rejections ${rejected}` : ''}` +
      `${res.cpuSeconds !== undefined ? `, ${((res.cpuSeconds / Math.max(1, res.received)) * 1e6).toFixed(2)} µs CPU/msg` : ''}` +
      `${res.peakRss !== undefined ? `, peak RSS ${Math.round(res.peakRss / 1048576)} MiB` : ''})`,
  );
  console.log(`  switchyard ÷ plain HTTP: ${(res.rate / plain.rate).toFixed(2)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
