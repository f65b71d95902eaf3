// Envoy access logs over gRPC → the router → a syslog drain: entries/s over
// ONE stream (Envoy sends each log's entries on one long-lived stream, so a
// single stream is the unit that must keep up).
//
//   node dist/bench/envoy.js [--entries N] [--batch N]
//
// Pieces, each in its own process so none steals the others' CPU:
//   this process   an Envoy stand-in: batches pre-encoded once (Envoy's own
//                  16 KiB-ish batches), written as fast as HTTP/2 flow
//                  control allows
//   the router     dist/src/main.js (bench/router-process.ts), Envoy input on
//   the C sink     counts what the syslog drain delivers
// Baseline in the same run: the same stream into a grpc-js server (forked
// from this file) that decodes with the same proto/ and discards: the ceiling
// grpc-js + protobufjs put on any Node ALS receiver on this machine.
// Also importable by the bench runner: `envoyAls` is a Scenario.
import { fork } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ALS_SERVICE, LOADER_OPTIONS, accessLogService, findProtoDir } from '../src/inputs/envoy/proto';
import { buildTools } from './lib/c-tools';
import { startSink } from './lib/tool-process';
import { metricSum, startRouter } from './router-process';
import { emptyResult, type RunContext, type Scenario, type ScenarioResult } from './scenarios/types';

const METHOD = `/${ALS_SERVICE}/StreamAccessLogs`;
const HOSTS = 20;
const DEFAULT_ENTRIES = 200_000;
const DEFAULT_BATCH = 40; // ≈ 16 KiB per message, Envoy's default buffer

function entry(i: number): object {
  const host = i % HOSTS;
  return {
    common_properties: {
      upstream_cluster: `outbound|80||app${host}.bench.svc.cluster.local`,
      start_time: { seconds: 1767225600 + Math.floor(i / 1000), nanos: (i % 1000) * 1e6 },
      downstream_remote_address: { socket_address: { address: '10.20.30.40', port_value: 40000 + (i % 20000) } },
      upstream_remote_address: { socket_address: { address: `10.0.${host}.7`, port_value: 8080 } },
      duration: { seconds: 0, nanos: 3_250_000 },
      tls_properties: { tls_version: 'TLSv1_3', tls_sni_hostname: `app${host}.example.com` },
    },
    protocol_version: 'HTTP2',
    request: {
      request_method: 'GET',
      authority: `app${host}.example.com`,
      path: `/api/v1/items/${i}?expand=owner`,
      user_agent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
      request_id: `9f1c2a4e-${i.toString(16).padStart(8, '0')}`,
      request_headers_bytes: 412,
      request_body_bytes: 0,
    },
    response: { response_code: { value: i % 50 === 0 ? 503 : 200 }, response_headers_bytes: 180, response_body_bytes: 1532 },
  };
}

/** Pre-encoded StreamAccessLogsMessages: a distinct set reused round-robin (encoding is not what we measure). */
function encodeBatches(batch: number): Buffer[] {
  const def = protoLoader.loadSync('envoy/service/accesslog/v3/als.proto', { ...LOADER_OPTIONS, includeDirs: [findProtoDir()] });
  const method = (def[ALS_SERVICE] as grpc.ServiceDefinition).StreamAccessLogs;
  const out: Buffer[] = [];
  for (let b = 0; b < 64; b++) {
    const entries = [];
    for (let i = 0; i < batch; i++) entries.push(entry(b * batch + i));
    out.push(method.requestSerialize({ identifier: b === 0 ? { log_name: 'bench', node: { id: 'bench-node' } } : undefined, http_logs: { log_entry: entries } }));
  }
  return out;
}

/** Streams `entries` entries on one call; resolves with the monotonic start time (ns) once the server answered. */
async function stream(port: number, entries: number, batch: number, batches: Buffer[]): Promise<{ startNs: bigint; endNs: bigint }> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const pass = (b: Buffer): Buffer => b;
  let call!: grpc.ClientWritableStream<Buffer>;
  const answered = new Promise<void>((resolve, reject) => {
    call = client.makeClientStreamRequest<Buffer, Buffer>(METHOD, pass, pass, (err) => (err ? reject(err) : resolve()));
  });
  const n = Math.ceil(entries / batch);
  const startNs = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    // The first message carries the identifier, like Envoy's.
    const buf = i === 0 ? batches[0] : batches[1 + ((i - 1) % (batches.length - 1))];
    if (!call.write(buf)) await new Promise((r) => call.once('drain', r));
  }
  call.end();
  await answered;
  const endNs = process.hrtime.bigint();
  client.close();
  return { startNs, endNs };
}

/** Forked: a decode-and-discard ALS server; reports the entry count when the stream ends. */
function decodeOnlyServer(): void {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 16 * 1024 * 1024 });
  let count = 0;
  server.addService(accessLogService(), {
    StreamAccessLogs: (call: grpc.ServerReadableStream<{ http_logs?: { log_entry?: unknown[] } }, object>, cb: grpc.sendUnaryData<object>) => {
      call.on('data', (m) => (count += m.http_logs?.log_entry?.length ?? 0));
      call.on('end', () => {
        process.send!({ count, doneNs: String(process.hrtime.bigint()) });
        cb(null, {});
      });
    },
  });
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) throw err;
    process.send!({ port });
  });
  process.on('disconnect', () => server.forceShutdown());
}

async function baseline(entries: number, batch: number, batches: Buffer[]): Promise<number> {
  const child = fork(__filename, ['--decode-only-server'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = () => new Promise<Record<string, string | number>>((r) => child.once('message', (m) => r(m as Record<string, string | number>)));
  const { port } = await next();
  const done = next();
  const { startNs } = await stream(Number(port), entries, batch, batches);
  const r = await done;
  child.disconnect();
  return (Number(r.count) * 1e9) / Number(BigInt(r.doneNs) - startNs);
}

export interface EnvoyBenchResult {
  entries: number;
  received: number;
  /** Entries delivered to the sink per second, first write → last delivery. */
  rate: number;
  /** Entries per second the input read (first write → server's answer). */
  readRate: number;
  /** Decode-only grpc-js server on the same stream. */
  ceiling: number;
  dropped: number;
}

export async function runEnvoyBench(entries = DEFAULT_ENTRIES, batch = DEFAULT_BATCH, log: (l: string) => void = console.log): Promise<EnvoyBenchResult> {
  const tools = buildTools();
  const batches = encodeBatches(batch);
  const total = Math.ceil(entries / batch) * batch;
  const ceiling = await baseline(total, batch, batches);
  log(`  ceiling (grpc-js decode only, one stream): ${Math.round(ceiling)} entries/s`);

  const sink = await startSink(tools.sink, { expect: total, idleMs: 3000 });
  const routes: Array<[string, string]> = [];
  for (let h = 0; h < HOSTS; h++) routes.push([`app${h}.bench`, `syslog+tcp://127.0.0.1:${sink.ports[0]}`]);
  const router = await startRouter({ routes, env: { ENVOY: 'true', ENVOY_MAX_MESSAGE_BYTES: '16MiB' } });
  try {
    const { startNs, endNs } = await stream(router.ports.envoy, total, batch, batches);
    const res = await sink.result;
    const metrics = await router.metrics();
    const dropped = metricSum(metrics.split('\n').filter((l) => l.includes('outcome="dropped"')).join('\n'), 'switchyard_envoy_entries_total') ?? 0;
    const rate = (res.received * 1e9) / Number(BigInt(res.last_ns) - startNs);
    const readRate = (total * 1e9) / Number(endNs - startNs);
    log(`  switchyard (one stream → syslog drain): ${Math.round(rate)} entries/s delivered, ${res.received}/${total}, input read ${Math.round(readRate)} entries/s, dropped ${dropped}`);
    return { entries: total, received: res.received, rate, readRate, ceiling, dropped };
  } finally {
    await router.stop();
    await sink.stop().catch(() => undefined);
  }
}

/** For bench/run.ts's SCENARIOS list. */
export const envoyAls: Scenario = {
  id: 10,
  title: 'Envoy ALS gRPC, one stream → syslog TCP',
  defaultMessages: DEFAULT_ENTRIES,
  async run(ctx: RunContext, messages: number): Promise<ScenarioResult> {
    const r = emptyResult(10, envoyAls.title);
    const b = await runEnvoyBench(messages, DEFAULT_BATCH, ctx.log);
    r.rate = b.rate;
    r.sent = b.entries;
    r.received = b.received;
    r.deliveredRatio = b.received / b.entries;
    r.ceiling = b.ceiling;
    r.notes.push(`ceiling = grpc-js decode-only server, ${DEFAULT_BATCH} entries per message`);
    if (b.dropped) r.notes.push(`${b.dropped} entries dropped (drain full)`);
    return r;
  },
};

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v <= 0) {
    console.error(`${name} must be a positive integer`);
    process.exit(2);
  }
  return v;
}

if (require.main === module) {
  if (process.argv.includes('--decode-only-server')) decodeOnlyServer();
  else {
    const entries = arg('--entries', DEFAULT_ENTRIES);
    const batch = arg('--batch', DEFAULT_BATCH);
    console.log(`envoy ALS bench: ${entries} entries, ${batch} per message, one stream`);
    runEnvoyBench(entries, batch).then(
      (r) => console.log(`${Math.round(r.rate)} entries/s`),
      (e) => {
        console.error(e);
        process.exit(1);
      },
    );
  }
}
