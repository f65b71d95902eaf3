// The shared engine against real HTTP servers: batching, retries and their
// limit, timeouts, Retry-After, refusals, 413 splitting, gzip, auth, close.
// The logplex kind is used because its frames and Logplex-Frame-Id make every
// request's content and identity visible to the server.
import pino from 'pino';
import t, { type Test } from 'tap';
import { parseDrainUrl } from '../../../src/drains/url';
import type { Drain } from '../../../src/drains/drain';
import { metricsText } from '../../../src/telemetry/metrics';
import { droppedTotal, logplexFrames, makeDrain, pushAll, settled, startHttpSink, syslogLines } from './http-sink';

const FAST = 'backoff_min=1&backoff_max=5';

// The drain's invariant: delivered + queued + dropped = pushed + L10 notices.
function accountFor(t: Test, d: Drain, pushed: number): void {
  t.equal(d.queued, 0, 'nothing left queued');
  t.equal(d.stats.delivered + droppedTotal(d), pushed + d.notices, 'delivered + dropped = pushed (+ L10 notices)');
}

t.test('healthy server: batches by count, every message once and in order', async (t) => {
  const sink = await startHttpSink();
  const d = makeDrain(`syslog+${sink.base}/logs?batch_size=100&batch_wait=10`);
  const msgs = syslogLines(1000);
  pushAll(d, msgs);
  await settled(d);
  const frames = sink.requests.flatMap((r) => logplexFrames(r.body));
  t.same(frames, msgs.map(String), 'all frames arrived, in order, once');
  t.ok(sink.requests.length >= 10, 'at least 10 requests');
  for (const r of sink.requests) {
    const n = logplexFrames(r.body).length;
    t.ok(n <= 100, 'no batch over batch_size');
    if (Number(r.headers['logplex-msg-count']) !== n) t.fail('Logplex-Msg-Count matches the frames');
    if (r.path !== '/logs') t.fail('posted to the URL path');
  }
  t.equal(new Set(sink.requests.map((r) => r.headers['logplex-frame-id'])).size, sink.requests.length, 'a frame id per batch');
  t.equal(d.stats.delivered, 1000);
  t.equal(d.stats.deliveredBytes, msgs.reduce((a, m) => a + m.length, 0), 'delivered bytes are the raw message bytes');
  t.equal(d.stats.retried, 0);
  accountFor(t, d, 1000);
  await d.close(1000);
  await sink.close();
});

t.test('batch_bytes bounds the raw bytes of a request', async (t) => {
  const sink = await startHttpSink();
  const d = makeDrain(`syslog+${sink.base}/?batch_bytes=1024&batch_size=1000&batch_wait=10`);
  const msgs = syslogLines(100);
  pushAll(d, msgs);
  await settled(d);
  for (const r of sink.requests) {
    const raw = logplexFrames(r.body).reduce((a, f) => a + Buffer.byteLength(f), 0);
    if (raw > 1024) t.fail(`a request carried ${raw} raw bytes`);
  }
  t.ok(sink.requests.length >= 6, `split into ${sink.requests.length} requests`);
  t.equal(d.stats.delivered, 100);
  await d.close(1000);
  await sink.close();
});

t.test('500: retried `retries` times with the same frame id, then dropped as retries_exhausted', async (t) => {
  const sink = await startHttpSink(() => ({ status: 500 }));
  const d = makeDrain(`syslog+${sink.base}/?retries=3&${FAST}&batch_size=10&batch_wait=1`);
  pushAll(d, syslogLines(10));
  await settled(d);
  t.equal(sink.requests.length, 4, 'first attempt + 3 retries');
  t.equal(new Set(sink.requests.map((r) => r.headers['logplex-frame-id'])).size, 1, 'same frame id on every retry');
  t.equal(d.stats.dropped.retries_exhausted, 10);
  t.equal(d.stats.retried, 3);
  t.equal(d.stats.errors, 4);
  t.equal(d.stats.delivered, 0);
  accountFor(t, d, 10);
  await d.close(1000);
  await sink.close();
});

t.test('500 then recovery: delivered once the server recovers, count exact', async (t) => {
  const sink = await startHttpSink((_r, i) => ({ status: i < 2 ? 503 : 204 }));
  const d = makeDrain(`syslog+${sink.base}/?${FAST}&batch_size=50&batch_wait=1`);
  const msgs = syslogLines(50);
  pushAll(d, msgs);
  await settled(d);
  t.equal(sink.requests.length, 3);
  t.same(logplexFrames(sink.requests[2].body), msgs.map(String));
  t.equal(d.stats.delivered, 50);
  t.equal(d.stats.retried, 2);
  accountFor(t, d, 50);
  await d.close(1000);
  await sink.close();
});

t.test('slow server: a request past the timeout is abandoned and retried', async (t) => {
  const sink = await startHttpSink((_r, i) => (i === 0 ? 'hang' : { status: 200 }));
  const d = makeDrain(`syslog+${sink.base}/?timeout=200&${FAST}&batch_wait=1`);
  pushAll(d, syslogLines(5));
  await settled(d);
  t.equal(sink.requests.length, 2, 'the hung request and its retry');
  t.equal(sink.requests[0].headers['logplex-frame-id'], sink.requests[1].headers['logplex-frame-id'], 'the retry is the same frame (receivers can dedupe)');
  t.equal(d.stats.delivered, 5);
  t.equal(d.stats.retried, 1);
  accountFor(t, d, 5);
  await d.close(1000);
  await sink.close();
});

t.test('slow server forever: timeouts exhaust the retries', async (t) => {
  const sink = await startHttpSink(() => 'hang');
  const d = makeDrain(`syslog+${sink.base}/?timeout=100&retries=1&${FAST}&batch_wait=1`);
  pushAll(d, syslogLines(3));
  await settled(d);
  t.equal(sink.requests.length, 2);
  t.equal(d.stats.dropped.retries_exhausted, 3);
  accountFor(t, d, 3);
  await d.close(1000);
  await sink.close();
});

t.test('the drain context write timeout is the default request timeout', async (t) => {
  const sink = await startHttpSink((_r, i) => (i === 0 ? 'hang' : { status: 200 }));
  const d = makeDrain(`syslog+${sink.base}/?${FAST}&batch_wait=1`, { writeTimeoutMs: 150 });
  pushAll(d, syslogLines(2));
  await settled(d);
  t.equal(sink.requests.length, 2);
  t.equal(d.stats.delivered, 2);
  await d.close(1000);
  await sink.close();
});

for (const form of ['seconds', 'http-date'] as const) {
  t.test(`429 with Retry-After (${form}) is honoured`, async (t) => {
    const sink = await startHttpSink((_r, i) => {
      if (i > 0) return { status: 200 };
      const value = form === 'seconds' ? '1' : new Date(Date.now() + 2000).toUTCString();
      return { status: 429, headers: { 'retry-after': value } };
    });
    // The backoff alone would retry within 5 ms.
    const d = makeDrain(`syslog+${sink.base}/?${FAST}&batch_wait=1`);
    pushAll(d, syslogLines(4));
    await settled(d);
    t.equal(sink.requests.length, 2);
    const gap = sink.requests[1].at - sink.requests[0].at;
    t.ok(gap >= 900, `retried after ${gap} ms, not before the server asked`);
    t.equal(d.stats.delivered, 4);
    t.equal(d.stats.retried, 1);
    accountFor(t, d, 4);
    await d.close(1000);
    await sink.close();
  });
}

t.test('400: dropped at once as rejected, never retried; the next batch still goes', async (t) => {
  const sink = await startHttpSink((_r, i) => ({ status: i === 0 ? 400 : 200 }));
  const d = makeDrain(`syslog+${sink.base}/?${FAST}&batch_size=10&batch_wait=1`);
  pushAll(d, syslogLines(10));
  await settled(d);
  t.equal(sink.requests.length, 1, 'one request');
  t.equal(d.stats.dropped.rejected, 10);
  t.equal(d.stats.retried, 0);
  pushAll(d, syslogLines(5, 'web.1', 10));
  await settled(d);
  // A rejection is not a buffer overflow: no L10 notice claims one.
  t.equal(d.notices, 0);
  t.equal(d.stats.delivered, 5);
  t.equal(sink.requests.flatMap((r) => logplexFrames(r.body)).filter((f) => / L10 /.test(f)).length, 0);
  accountFor(t, d, 15);
  await d.close(1000);
  await sink.close();
});

t.test('413: batches are halved until they fit; every message delivered once', async (t) => {
  const sink = await startHttpSink((r) => ({ status: Number(r.headers['logplex-msg-count']) > 3 ? 413 : 200 }));
  const d = makeDrain(`syslog+${sink.base}/?${FAST}&batch_size=16&batch_wait=1`);
  const msgs = syslogLines(16);
  pushAll(d, msgs);
  await settled(d);
  const accepted = sink.requests.filter((r) => Number(r.headers['logplex-msg-count']) <= 3);
  t.same(accepted.flatMap((r) => logplexFrames(r.body)), msgs.map(String), 'each message once, in order');
  const ids = sink.requests.map((r) => r.headers['logplex-frame-id']);
  t.equal(new Set(ids).size, ids.length, 'every half is a new frame');
  t.equal(sink.requests.length, 1 + 2 + 4 + 8, '16 → 8 → 4 → 2');
  t.equal(d.stats.delivered, 16);
  t.equal(d.stats.retried, 0, 'splitting is not a retry');
  accountFor(t, d, 16);
  await d.close(1000);
  await sink.close();
});

t.test('413 on a single message: that message is dropped as rejected, the rest delivered', async (t) => {
  const sink = await startHttpSink((r) => ({ status: r.body.length > 2000 ? 413 : 200 }));
  const d = makeDrain(`syslog+${sink.base}/?${FAST}&batch_size=8&batch_wait=1`);
  const msgs = syslogLines(7);
  const big = Buffer.from(`<134>1 2026-11-22T02:44:55.123Z web.1 app 42 BIG - ${'x'.repeat(3000)}`);
  msgs.splice(3, 0, big);
  pushAll(d, msgs);
  await settled(d);
  t.equal(d.stats.dropped.rejected, 1);
  t.equal(d.stats.delivered, 7);
  const got = sink.requests.filter((r) => r.body.length <= 2000).flatMap((r) => logplexFrames(r.body));
  t.same(got, msgs.filter((m) => m !== big).map(String));
  accountFor(t, d, 8);
  await d.close(1000);
  await sink.close();
});

t.test('connection refused: retried, then dropped as retries_exhausted', async (t) => {
  const sink = await startHttpSink();
  const base = sink.base;
  await sink.close();
  const d = makeDrain(`syslog+${base}/?retries=2&${FAST}&batch_wait=1`);
  pushAll(d, syslogLines(6));
  await settled(d);
  t.equal(d.stats.dropped.retries_exhausted, 6);
  t.equal(d.stats.retried, 2);
  t.equal(d.connected, false);
  accountFor(t, d, 6);
  await d.close(1000);
});

t.test('gzip=true: gzip-encoded bodies the server can read', async (t) => {
  const sink = await startHttpSink();
  const d = makeDrain(`syslog+${sink.base}/?gzip=true&batch_wait=1`);
  const msgs = syslogLines(20);
  pushAll(d, msgs);
  await settled(d);
  t.equal(sink.requests[0].headers['content-encoding'], 'gzip');
  t.same(sink.requests.flatMap((r) => logplexFrames(r.body)), msgs.map(String));
  await d.close(1000);
  await sink.close();
});

t.test('user:password is sent as Basic auth and kept out of the label', async (t) => {
  const sink = await startHttpSink();
  const d = makeDrain(`syslog+http://user:s3cr%40t@127.0.0.1:${sink.port}/x?batch_wait=1`);
  pushAll(d, syslogLines(1));
  await settled(d);
  t.equal(sink.requests[0].headers.authorization, 'Basic ' + Buffer.from('user:s3cr@t').toString('base64'));
  t.notMatch(d.label, /s3cr/);
  t.notMatch(d.label, /user/);
  await d.close(1000);
  await sink.close();
});

t.test('batch_wait: a partial batch waits, close() sends it at once', async (t) => {
  const sink = await startHttpSink();
  const d = makeDrain(`syslog+${sink.base}/?batch_wait=60000&batch_size=100`);
  pushAll(d, syslogLines(3));
  await new Promise((r) => setTimeout(r, 50));
  t.equal(sink.requests.length, 0, 'held for the batch wait');
  t.equal(d.queued, 3);
  await d.close(2000);
  t.equal(sink.requests.length, 1);
  t.equal(d.stats.delivered, 3);
  await sink.close();
});

t.test('close() counts what it could not deliver within the grace as shutdown drops', async (t) => {
  const sink = await startHttpSink(() => 'hang');
  const d = makeDrain(`syslog+${sink.base}/?batch_wait=1&batch_size=5&timeout=60000`);
  pushAll(d, syslogLines(12));
  await sink.waitForRequests(1);
  await d.close(200);
  t.equal(d.stats.dropped.shutdown, 12);
  t.equal(d.queued, 0);
  t.equal(d.stats.delivered + droppedTotal(d), 12);
  await sink.close();
});

t.test('one in flight per drain by default; concurrency=N allows N', async (t) => {
  for (const [conc, expect] of [[1, 1], [3, 3]] as const) {
    let open = 0;
    let peak = 0;
    const sink = await startHttpSink(() => {
      open++;
      peak = Math.max(peak, open);
      return 'hang';
    });
    const d = makeDrain(`syslog+${sink.base}/?batch_wait=1&batch_size=1&concurrency=${conc}&timeout=10000&retries=0`);
    pushAll(d, syslogLines(6));
    await sink.waitForRequests(expect);
    await new Promise((r) => setTimeout(r, 50));
    t.equal(peak, expect, `concurrency=${conc}: ${expect} request(s) at once`);
    await d.close(10);
    await sink.close();
  }
});

t.test('a failing drain does not hold up a healthy one', async (t) => {
  const bad = await startHttpSink(() => ({ status: 503 }));
  const good = await startHttpSink();
  const db = makeDrain(`syslog+${bad.base}/?backoff_min=2000&backoff_max=2000&batch_wait=1`);
  const dg = makeDrain(`syslog+${good.base}/?batch_wait=1`);
  pushAll(db, syslogLines(5));
  pushAll(dg, syslogLines(5));
  await settled(dg);
  t.equal(dg.stats.delivered, 5, 'healthy drain delivered while the other backs off');
  t.equal(db.queued, 5, 'the failing drain still holds its batch');
  db.destroy();
  await dg.close(1000);
  await bad.close();
  await good.close();
});

t.test('request metrics by result; no credentials in any metric', async (t) => {
  const sink = await startHttpSink((r, i) => (i === 0 ? { status: 503 } : Number(r.headers['logplex-msg-count']) > 2 ? { status: 413 } : { status: 200 }));
  const d = makeDrain(`syslog+http://user:hunter2@127.0.0.1:${sink.port}/m?${FAST}&batch_size=4&batch_wait=1`);
  pushAll(d, syslogLines(4));
  await settled(d);
  const text = await metricsText();
  const series = `switchyard_drain_http_requests_total{drain="${d.label}",kind="logplex"`;
  const value = (result: string): number => {
    const at = text.indexOf(`${series},result="${result}"} `);
    return at < 0 ? 0 : parseInt(text.slice(text.indexOf('} ', at) + 2), 10);
  };
  t.equal(value('retry'), 1);
  t.equal(value('split'), 1);
  t.equal(value('ok'), 2);
  t.equal(value('rejected'), 0);
  t.match(text, /switchyard_drain_messages_delivered_total\{drain="syslog\+http:\/\/127\.0\.0\.1:\d+\/m",kind="logplex"\} 4/);
  t.notMatch(text, /hunter2/);
  await d.close(1000);
  t.equal((await metricsText()).indexOf(series), -1, 'a closed drain leaves the metrics');
  await sink.close();
});

t.test('credentials never reach logs or errors', async (t) => {
  const logs: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void logs.push(s) });
  const refused = await startHttpSink();
  const port = refused.port;
  await refused.close();
  const four = await startHttpSink(() => ({ status: 403, body: 'forbidden' }));
  const drains = [
    makeDrain(`syslog+http://user:hunter2@127.0.0.1:${port}/?retries=1&${FAST}&batch_wait=1`, { logger }),
    makeDrain(`http://user:hunter2@127.0.0.1:${four.port}/?batch_wait=1`, { logger }),
    makeDrain(`es+http://id:hunter2@127.0.0.1:${four.port}/?auth=apikey&batch_wait=1`, { logger }),
  ];
  for (const d of drains) pushAll(d, syslogLines(2));
  for (const d of drains) await settled(d);
  t.ok(logs.length >= 3, 'failures were logged');
  t.ok(logs.some((l) => /ECONNREFUSED/.test(l)), 'the cause is in the log');
  t.ok(logs.some((l) => /HTTP 403/.test(l)));
  const all = logs.join('');
  t.notMatch(all, /hunter2/);
  t.notMatch(all, new RegExp(Buffer.from('id:hunter2').toString('base64')));
  t.notMatch(all, new RegExp(Buffer.from('user:hunter2').toString('base64')));
  for (const url of [`es://u:hunter2@h/?auth=digest`, `syslog+https://u:hunter2@h/?batch_size=0`, `https://u:hunter2@h/?nope=1`]) {
    let message = '';
    try {
      parseDrainUrl(url);
    } catch (err) {
      message = (err as Error).message;
    }
    t.match(message, /invalid drain URL/, url);
    t.notMatch(message, /hunter2/, `${url}: password masked`);
  }
  for (const d of drains) await d.close(100);
  await four.close();
});

t.test('destination stuck: the ring bound holds, overflow is counted, the books balance', async (t) => {
  const sink = await startHttpSink((_r, i) => (i === 0 ? 'hang' : { status: 200 }));
  const d = makeDrain(`syslog+${sink.base}/?batch_size=10&batch_wait=1&timeout=300&${FAST}&buffer_messages=50`);
  pushAll(d, syslogLines(10));
  await sink.waitForRequests(1);
  t.equal(sink.requests.length, 1, 'first batch is stuck in flight');
  pushAll(d, syslogLines(200, 'web.1', 10));
  t.ok(d.ring.count <= 50, `ring holds ${d.ring.count} ≤ 50`);
  t.equal(d.inflight, 10, 'the stuck batch is in flight');
  t.equal(d.stats.dropped.overflow, 150, 'oldest dropped and counted');
  await settled(d);
  t.equal(d.stats.delivered + droppedTotal(d), 210 + d.notices);
  t.equal(d.stats.delivered, 60 + d.notices, 'the stuck batch (after its retry) and the 50 the ring held');
  await d.close(1000);
  await sink.close();
});
