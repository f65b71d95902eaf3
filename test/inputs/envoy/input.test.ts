// End to end: an Envoy stand-in (grpc-js client on Envoy's official protos)
// → EnvoyInput → the real router → a real syslog drain → a TCP receiver.
import t from 'tap';
import { fork } from 'node:child_process';
import path from 'node:path';
import pino from 'pino';
import * as grpc from '@grpc/grpc-js';
import { EnvoyInput, envoyDefaults, type EnvoyInputOptions } from '../../../src/inputs/envoy';
import { metricValue } from '../../helpers/metrics';
import { startTestRouter } from '../../helpers/router';
import { startSyslogReceiver } from '../../helpers/syslog-receiver';
import { httpEntry, openAlsStream, tcpEntry } from './als-client';
import { parseLine, parseReceived, type Received } from './syslog-line';

const logger = pino({ level: 'silent' });

async function setup(
  t: { teardown(fn: () => unknown): void },
  routes: string[],
  opts: Partial<EnvoyInputOptions> = {},
): Promise<{ input: EnvoyInput; receivers: Map<string, Awaited<ReturnType<typeof startSyslogReceiver>>> }> {
  const receivers = new Map<string, Awaited<ReturnType<typeof startSyslogReceiver>>>();
  for (const host of routes) receivers.set(host, await startSyslogReceiver({ framing: 'octet' }));
  const tr = await startTestRouter({ routes: routes.map((h) => [h, receivers.get(h)!.url] as [string, string]) });
  const input = new EnvoyInput({ ...envoyDefaults, host: '127.0.0.1', port: 0, ...opts }, tr.router, logger);
  await input.start();
  t.teardown(async () => {
    await input.close();
    await tr.close();
    for (const r of receivers.values()) await r.close();
  });
  return { input, receivers };
}

function received(r: { messages: Buffer[] }): Received[] {
  return r.messages.map(parseReceived);
}


/** Waits for a condition the server reaches asynchronously (no timing is asserted). */
async function until(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const T0 = 1767225600; // 2026-01-01T00:00:00Z

t.test('one stream, HTTP and TCP batches, identifier only first: every entry reaches its drain', async (t) => {
  const { input, receivers } = await setup(t, ['api.default', 'pg.data', 'edge-als']);
  const httpBefore = await metricValue('switchyard_envoy_entries_total', { type: 'http', outcome: 'accepted' });
  const fbBefore = await metricValue('switchyard_envoy_hostname_fallbacks_total', { reason: 'not_outbound' });
  const streamsBefore = await metricValue('switchyard_envoy_streams_total');
  const endsBefore = await metricValue('switchyard_envoy_stream_ends_total', { reason: 'client_end' });
  const s = openAlsStream(input.port);
  const api = 'outbound|80||api.default.svc.cluster.local';
  const pg = 'outbound|5432||pg.data.svc.cluster.local';
  await s.send({
    identifier: { node: { id: 'sidecar~10.0.0.1~pod.ns' }, log_name: 'edge-als' },
    http_logs: {
      log_entry: [
        httpEntry({ cluster: api, path: '/ok', status: 200, startSeconds: T0 }),
        httpEntry({ cluster: api, path: '/missing', status: 404, startSeconds: T0 + 1, method: 'POST' }),
        httpEntry({ cluster: api, path: '/boom', status: 503, startSeconds: T0 + 2 }),
      ],
    },
  });
  await s.send({ tcp_logs: { log_entry: [tcpEntry({ cluster: pg, startSeconds: T0 + 3 }), tcpEntry({ cluster: pg, startSeconds: T0 + 4, periodic: true })] } });
  await s.send({
    http_logs: {
      log_entry: [
        httpEntry({ cluster: 'inbound|8080||', path: '/inbound', status: 201, startSeconds: T0 + 5 }),
        httpEntry({ cluster: 'blackhole', path: '/plain', startSeconds: T0 + 6, extra: { intermediate_log_entry: true } }),
      ],
    },
  });
  await s.send({ tcp_logs: { log_entry: [tcpEntry({ cluster: pg, startSeconds: T0 + 7, termination: 'rbac_access_denied_matched_policy[none]' })] } });
  s.call.end();
  t.same(await s.done, { code: grpc.status.OK, details: '' }, 'the server answers OK when Envoy half-closes');
  s.client.close();

  const apiR = receivers.get('api.default')!;
  const pgR = receivers.get('pg.data')!;
  const edgeR = receivers.get('edge-als')!;
  await apiR.waitFor(3);
  await pgR.waitFor(3);
  await edgeR.waitFor(2);

  const a = received(apiR);
  t.same(a.map((m) => m.hostname), ['api.default', 'api.default', 'api.default']);
  t.same(a.map((m) => m.timestamp), ['2026-01-01T00:00:00.250Z', '2026-01-01T00:00:01.250Z', '2026-01-01T00:00:02.250Z']);
  t.same(a.map((m) => m.severity), [6, 4, 3], 'severity from status');
  t.ok(a.every((m) => m.facility === 16 && m.appName === 'envoy'), 'local0, app name envoy');
  const f = a.map((m) => parseLine(m.msg));
  t.same(f.map((x) => x.get('path')), ['/ok', '/missing', '/boom']);
  t.same(f.map((x) => x.get('status')), ['200', '404', '503']);
  t.same(f.map((x) => x.get('method')), ['GET', 'POST', 'GET']);
  t.equal(f[0].get('authority'), 'svc.example.com');
  t.equal(f[0].get('protocol'), 'HTTP/1.1');
  t.equal(f[0].get('bytes_in'), '15');
  t.equal(f[0].get('bytes_out'), '27');
  t.equal(f[0].get('duration_ms'), '42.000');
  t.equal(f[0].get('upstream_host'), '10.0.0.5:8080');
  t.equal(f[0].get('upstream_cluster'), api);
  t.equal(f[0].get('request_id'), 'rid-/ok');
  t.equal(f[0].get('user_agent'), 'envoy-test/1.0 (switchyard)');
  t.equal(f[0].get('client'), '192.0.2.10:40001');

  const p = received(pgR);
  t.same(p.map((m) => m.timestamp), ['2026-01-01T00:00:03.000Z', '2026-01-01T00:00:04.000Z', '2026-01-01T00:00:07.000Z']);
  t.same(p.map((m) => m.severity), [6, 6, 4], 'TCP: info, warning when Envoy terminated the connection');
  const pf = p.map((m) => parseLine(m.msg));
  t.same(pf.map((x) => x.get('protocol')), ['tcp', 'tcp', 'tcp']);
  t.same(pf.map((x) => x.get('intermediate')), [undefined, 'true', undefined]);
  t.equal(pf[0].get('bytes_in'), '1000');
  t.equal(pf[0].get('bytes_out'), '2000');
  t.equal(pf[2].get('termination'), 'rbac_access_denied_matched_policy[none]');

  const e = received(edgeR);
  t.same(e.map((m) => m.hostname), ['edge-als', 'edge-als'], 'odd cluster names fall back to the log_name of the first message');
  t.same(e.map((m) => parseLine(m.msg).get('path')), ['/inbound', '/plain']);
  t.equal(parseLine(e[1].msg).get('intermediate'), 'true');

  t.equal(input.stats.count('http', 'accepted'), 5);
  t.equal(input.stats.count('tcp', 'accepted'), 3);
  t.equal(input.stats.fallback('not_outbound'), 1);
  t.equal(input.stats.fallback('no_pipes'), 1);
  t.equal(input.stats.messages, 4);
  await until('the stream to be counted as ended', () => input.stats.ended('client_end') === 1);
  t.equal(input.stats.streamsActive, 0);
  t.equal((await metricValue('switchyard_envoy_entries_total', { type: 'http', outcome: 'accepted' })) - httpBefore, 5, 'metric follows the stats');
  t.equal((await metricValue('switchyard_envoy_hostname_fallbacks_total', { reason: 'not_outbound' })) - fbBefore, 1);
  t.equal((await metricValue('switchyard_envoy_streams_total')) - streamsBefore, 1);
  t.equal((await metricValue('switchyard_envoy_stream_ends_total', { reason: 'client_end' })) - endsBefore, 1);
  t.equal(await metricValue('switchyard_envoy_streams_active'), 0);
});

t.test('AKKERIS mode: name-namespace hostnames and the akkeris/router app name', async (t) => {
  const { input, receivers } = await setup(t, ['api-default'], { akkeris: true, appName: 'akkeris/router' });
  const s = openAlsStream(input.port);
  await s.send({ http_logs: { log_entry: [httpEntry({ cluster: 'outbound|80||api.default.svc.cluster.local', status: 200, startSeconds: T0 })] } });
  const r = receivers.get('api-default')!;
  await r.waitFor(1);
  const m = received(r)[0];
  t.equal(m.hostname, 'api-default');
  t.equal(m.appName, 'akkeris/router');
  s.call.end();
  await s.done;
  s.client.close();
});

t.test('unrouted and unroutable entries are counted, never crash the stream', async (t) => {
  const { input, receivers } = await setup(t, ['known.ns']);
  const s = openAlsStream(input.port);
  // No identifier at all: entries whose cluster gives no hostname have nowhere to go.
  await s.send({ http_logs: { log_entry: [httpEntry({ cluster: 'plain', startSeconds: T0 }), httpEntry({ startSeconds: T0 })] } });
  await s.send({ tcp_logs: { log_entry: [tcpEntry({ cluster: 'outbound|1||nobody.home' })] } });
  await s.send({ http_logs: { log_entry: [httpEntry({ cluster: 'outbound|1||known.ns', path: '/still-alive' })] } });
  const r = receivers.get('known.ns')!;
  await r.waitFor(1);
  t.equal(parseLine(received(r)[0].msg).get('path'), '/still-alive');
  t.equal(input.stats.count('http', 'unroutable'), 2);
  t.equal(input.stats.count('tcp', 'unrouted'), 1);
  t.equal(input.stats.count('http', 'accepted'), 1);
  t.equal(input.stats.fallback('no_cluster'), 1);
  s.call.end();
  t.equal((await s.done).code, grpc.status.OK);
  s.client.close();
});

t.test('malformed entries: no common_properties, no timestamps, huge fields', async (t) => {
  const { input, receivers } = await setup(t, ['als-fallback', 'api.default'], { maxReceiveMessageBytes: 512 * 1024 });
  const s = openAlsStream(input.port);
  const before = Date.now();
  await s.send({
    identifier: { node: { id: 'n1' }, log_name: 'als-fallback' },
    http_logs: {
      log_entry: [
        { request: { path: '/no-common', request_method: 'GET' }, response: { response_code: { value: 500 } } },
        httpEntry({ cluster: 'outbound|80||api.default.svc.cluster.local', path: '/no-time' }),
        {},
      ],
    },
  });
  await s.send({ tcp_logs: { log_entry: [{}, { connection_properties: { received_bytes: '1' } }] } });
  const huge = 'x'.repeat(200 * 1024);
  await s.send({
    http_logs: {
      log_entry: [
        httpEntry({
          cluster: 'outbound|80||api.default.svc.cluster.local',
          path: '/' + huge,
          startSeconds: T0,
          extra: { upstream_transport_failure_reason: 'line1\nline2 "q"' },
        }),
      ],
    },
  });
  const fb = receivers.get('als-fallback')!;
  const api = receivers.get('api.default')!;
  await fb.waitFor(4);
  await api.waitFor(2);
  const after = Date.now();

  const f = received(fb);
  const noCommon = f.find((m) => parseLine(m.msg).get('path') === '/no-common')!;
  t.ok(noCommon, 'an entry without common_properties still arrives');
  t.equal(noCommon.severity, 3);
  const ts = Date.parse(noCommon.timestamp);
  t.ok(ts >= before - 1 && ts <= after + 1, 'no start_time: stamped with the time of receipt');
  t.equal(f.filter((m) => m.msg === '').length, 1, 'an empty HTTP entry is an empty line, still delivered');
  t.same(
    f.filter((m) => m.msg.startsWith('protocol=tcp')).map((m) => m.msg),
    ['protocol=tcp', 'protocol=tcp bytes_in=1 bytes_out=0'],
  );

  const a = received(api);
  t.ok(Date.parse(a[0].timestamp) >= before - 1, 'absent timestamp → receipt time');
  const big = parseLine(a[1].msg);
  t.equal(big.get('truncated'), 'true');
  t.equal(big.get('path')!.length, 1024);
  t.equal(big.get('upstream_failure'), 'line1\nline2 "q"', 'control characters escaped, never a second line');
  t.notOk(a[1].msg.includes('\n'));
  t.equal(input.stats.receiveTimeUsed, 5);

  // Larger than maxReceiveMessageBytes: grpc-js ends this call; Envoy would reconnect.
  const tooBig = httpEntry({ cluster: 'outbound|80||api.default.svc.cluster.local', path: '/' + 'y'.repeat(600 * 1024) });
  s.call.write({ http_logs: { log_entry: [tooBig] } });
  const end = await s.done;
  t.equal(end.code, grpc.status.RESOURCE_EXHAUSTED);
  s.client.close();
  await until('the oversize stream to end', () => input.stats.streamsActive === 0);
  const s2 = openAlsStream(input.port);
  await s2.send({ http_logs: { log_entry: [httpEntry({ cluster: 'outbound|80||api.default.svc.cluster.local', path: '/after' })] } });
  await api.waitFor(3);
  t.equal(parseLine(received(api)[2].msg).get('path'), '/after', 'a new stream works after the refused one');
  s2.call.end();
  await s2.done;
  s2.client.close();
});

t.test('a client that disconnects mid-stream: what it sent arrives, the stream is released', async (t) => {
  const { input, receivers } = await setup(t, ['api.default']);
  const r = receivers.get('api.default')!;
  const cluster = 'outbound|80||api.default.svc.cluster.local';

  // 1. The client cancels its call (RST_STREAM).
  const s = openAlsStream(input.port);
  await s.send({ identifier: { log_name: 'x' }, http_logs: { log_entry: [httpEntry({ cluster, path: '/a' })] } });
  await s.send({ http_logs: { log_entry: [httpEntry({ cluster, path: '/b' })] } });
  await r.waitFor(2);
  s.call.cancel();
  t.equal((await s.done).code, grpc.status.CANCELLED);
  s.client.close();
  await until('the cancelled stream to be released', () => input.stats.ended('cancelled') === 1);
  t.equal(input.stats.streamsActive, 0);

  // 2. The client process dies (its TCP connection just goes away).
  const child = fork(path.join(__dirname, 'als-child.js'), [String(input.port), cluster], { silent: true, execArgv: [] });
  await new Promise<void>((resolve) => child.once('message', () => resolve()));
  await r.waitFor(5);
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  await until('the dead client stream to be released', () => input.stats.streamsActive === 0 && input.stats.ended('cancelled') === 2);
  t.same(received(r).map((m) => parseLine(m.msg).get('path')), ['/a', '/b', '/child-0', '/child-1', '/child-2']);
  t.equal(input.stats.streamsTotal, 2);
});

t.test('max stream age: the stream is ended with OK so Envoy reconnects', async (t) => {
  const { input, receivers } = await setup(t, ['api.default'], { maxStreamAgeMs: 200 });
  const r = receivers.get('api.default')!;
  const cluster = 'outbound|80||api.default.svc.cluster.local';
  const s = openAlsStream(input.port);
  await s.send({ http_logs: { log_entry: [httpEntry({ cluster, path: '/first' })] } });
  t.same(await s.done, { code: grpc.status.OK, details: '' }, 'ended by the server with OK while the client still had it open');
  t.equal(input.stats.ended('max_age'), 1);
  s.client.close();
  // Like Envoy: a new stream for the next entries.
  const s2 = openAlsStream(input.port);
  await s2.send({ http_logs: { log_entry: [httpEntry({ cluster, path: '/second' })] } });
  await r.waitFor(2);
  t.same(received(r).map((m) => parseLine(m.msg).get('path')), ['/first', '/second']);
  s2.call.end();
  await s2.done;
  s2.client.close();
});

t.test('close() ends open streams with OK, refuses new ones, and is idempotent', async (t) => {
  const { input } = await setup(t, ['api.default']);
  const s = openAlsStream(input.port);
  await s.send({ identifier: { log_name: 'x' } });
  await until('the stream to open', () => input.stats.streamsActive === 1);
  const closing = input.close();
  t.equal(input.close(), closing, 'second close returns the same promise');
  t.same(await s.done, { code: grpc.status.OK, details: '' });
  s.client.close();
  await closing;
  t.equal(input.stats.ended('shutdown'), 1);
  t.equal(input.stats.emptyMessages, 1);
  const s2 = openAlsStream(input.port, { channelOptions: { 'grpc.initial_reconnect_backoff_ms': 50 } });
  s2.call.write({ identifier: { log_name: 'x' } });
  s2.call.end();
  t.equal((await s2.done).code, grpc.status.UNAVAILABLE, 'nothing listens any more');
  s2.client.close();
  input.destroy();
  input.destroy();
});
