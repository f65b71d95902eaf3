// The App as a whole: /healthz, /readyz and /metrics (per-input and per-drain
// series) on its HTTP port, and graceful shutdown: app.close() flushes what is
// queued to a slow-but-alive drain, and counts as 'shutdown' drops exactly
// what a dead drain could not deliver within SHUTDOWN_GRACE.
import t from 'tap';
import { inputStats } from '../src/telemetry/input-metrics';
import { startTestRouter } from './helpers/router';
import { startSyslogReceiver } from './helpers/syslog-receiver';
import { accounted, drainsOf, octet, sendTcp, sendUdp, until } from './inputs/stream-helpers';

const line = (host: string, i: number): string => `<14>1 2024-05-01T10:00:00Z ${host} app - - - ${i} ${'z'.repeat(150)}`;

/** The value of one series in Prometheus text, or undefined. */
function metric(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const l of text.split('\n')) {
    if (!l.startsWith(name + '{')) continue;
    const want = Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`));
    if (want) return Number(l.slice(l.lastIndexOf(' ') + 1));
  }
  return undefined;
}

t.test('/healthz, /readyz and /metrics', async (t) => {
  const rx = await startSyslogReceiver();
  const r = await startTestRouter({ routes: [['metered', `${rx.url}?name=metered-drain`]] });
  t.teardown(async () => {
    await r.close();
    await rx.close();
  });
  const base = `http://127.0.0.1:${r.ports.http}`;
  const h = await fetch(`${base}/healthz`);
  t.equal(h.status, 200);
  t.same(await h.json(), { status: 'ok' });
  const ready = await fetch(`${base}/readyz`);
  t.equal(ready.status, 200);
  t.same(await ready.json(), { status: 'ready' });

  const frames: Buffer[] = [];
  for (let i = 0; i < 25; i++) frames.push(octet(line('metered', i)));
  frames.push(octet(line('nowhere', 0)));
  await sendTcp(r.ports.tcp, frames);
  await sendUdp(r.ports.udp, [line('metered', 25), 'garbage']);
  await rx.waitFor(26);
  const [d] = drainsOf(r.app, 'metered');
  await until(() => d.queued === 0, 'drain idle');
  await until(() => inputStats('udp').parseErrors >= 1, 'udp garbage seen');

  const res = await fetch(`${base}/metrics`);
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /text\/plain/);
  const text = await res.text();
  t.equal(metric(text, 'switchyard_input_messages_total', { input: 'tcp' }), inputStats('tcp').messages);
  t.ok(inputStats('tcp').messages >= 26);
  t.equal(metric(text, 'switchyard_input_messages_total', { input: 'udp' }), inputStats('udp').messages);
  t.equal(metric(text, 'switchyard_input_parse_errors_total', { input: 'udp' }), inputStats('udp').parseErrors);
  t.equal(metric(text, 'switchyard_input_connections_total', { input: 'tcp' }), inputStats('tcp').connectionsTotal);
  t.equal(metric(text, 'switchyard_input_connections_rejected_total', { input: 'tcp', reason: 'limit' }), 0);
  t.equal(metric(text, 'switchyard_drain_messages_delivered_total', { drain: 'metered-drain', kind: 'syslog' }), 26);
  t.ok(metric(text, 'switchyard_drain_bytes_delivered_total', { drain: 'metered-drain' })! > 26 * 150);
  t.equal(metric(text, 'switchyard_drain_queue_messages', { drain: 'metered-drain' }), 0);
  t.equal(metric(text, 'switchyard_drain_connected', { drain: 'metered-drain' }), 1);
  t.equal(metric(text, 'switchyard_drain_messages_dropped_total', { drain: 'metered-drain', reason: 'overflow' }), 0);
  t.match(text, /^switchyard_messages_unrouted_total [1-9]\d*$/m, 'the unrouted message is counted');
  t.match(text, /^# TYPE switchyard_input_connections gauge$/m);
  t.match(text, /^# TYPE switchyard_input_paused_connections gauge$/m);
});

t.test('app.close() flushes a slow-but-alive drain within the grace period', async (t) => {
  const rx = await startSyslogReceiver();
  const r = await startTestRouter({ routes: [['slowpoke', `${rx.url}?buffer_bytes=${64 << 20}`]], env: { SHUTDOWN_GRACE: '20s' } });
  t.teardown(async () => {
    rx.unstall();
    await r.close();
    await rx.close();
  });
  const [d] = drainsOf(r.app, 'slowpoke');
  rx.stall();
  const N = 50_000; // ~9 MB: more than the kernel buffers hold, so the ring has a backlog
  const frames: Buffer[] = [];
  for (let i = 0; i < N; i++) frames.push(octet(line('slowpoke', i)));
  await sendTcp(r.ports.tcp, frames);
  t.ok(d.ring.count > 0, `a backlog is queued when shutdown starts (${d.ring.count} messages)`);
  const closing = r.app.close();
  setTimeout(() => rx.unstall(), 300);
  await closing;
  t.equal(d.stats.dropped.shutdown, 0, 'nothing dropped at shutdown');
  t.equal(d.stats.delivered, N);
  t.equal(d.queued, 0);
  await rx.waitFor(N);
  t.ok(rx.lines().every((l, i) => l === line('slowpoke', i)), 'everything arrived, in order');
  const after = await fetch(`http://127.0.0.1:${r.ports.http}/healthz`).then(
    () => 'answered',
    () => 'refused',
  );
  t.equal(after, 'refused', 'the HTTP server is closed');
});

t.test('app.close() with a dead drain: what is left after SHUTDOWN_GRACE is counted as shutdown drops', async (t) => {
  const rx = await startSyslogReceiver();
  await rx.close(); // nothing listens on its port any more
  const r = await startTestRouter({ routes: [['deadend', rx.url]], env: { SHUTDOWN_GRACE: '300ms' } });
  const [d] = drainsOf(r.app, 'deadend');
  const frames: Buffer[] = [];
  for (let i = 0; i < 700; i++) frames.push(octet(line('deadend', i)));
  await sendTcp(r.ports.tcp, frames);
  await until(() => d.queued === 700, 'all queued');
  await r.close();
  t.equal(d.stats.delivered, 0);
  t.equal(d.stats.dropped.shutdown, 700, 'every queued message counted as dropped at shutdown');
  t.equal(d.queued, 0);
  t.equal(accounted(d), 700);
});
