// A request larger than a `block` drain's whole ring cannot be admitted as a
// whole; it is queued as the drain makes room, waiting up to the hold time.
// If the drain does not make room in time (its destination is down), the 503
// says exactly which messages were queued; they are delivered later, the rest
// never are. Uses the real router and drains, with the plugin registered on
// its own fastify instance so the hold time can be short.
import t from 'tap';
import Fastify from 'fastify';
import { httpSyslog } from '../../src/inputs/http-syslog';
import { startTestRouter } from '../helpers/router';
import { startSyslogReceiver } from '../helpers/syslog-receiver';
import { logplex, logplexHeaders, post } from './http-ingest-helpers';

const msg = (id: number): string => `<14>1 2026-11-22T03:00:00Z hold.test app - - - id=${id}`;
const ids = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);
const intake = { tzOffsetMinutes: 0, fallbackHostname: null, maxMessageBytes: 64 * 1024 };

t.test('a batch larger than the ring is queued as the drain empties: 204, all delivered, nothing dropped', async (t) => {
  const rx = await startSyslogReceiver();
  const tr = await startTestRouter({ routes: [['hold.test', rx.url + '?policy=block&buffer_messages=5']] });
  t.teardown(async () => {
    await tr.close();
    await rx.close();
  });
  const r = await post(tr.ports.http, '/syslog', logplex(ids(40).map(msg)), logplexHeaders(40));
  t.equal(r.status, 204, r.text);
  await rx.waitFor(40);
  t.same(rx.lines(), ids(40).map(msg));
  t.equal(tr.router.routes.lookupName('hold.test')![0].stats.dropped.full, 0);
});

async function downDrain(t: { teardown(fn: () => unknown): void }, holdMs = 300) {
  const rx = await startSyslogReceiver();
  await rx.close(); // the drain's destination is down: its ring keeps what it is given
  const tr = await startTestRouter({ routes: [['hold.test', rx.url + '?policy=block&buffer_messages=5']] });
  const app = Fastify();
  await app.register(httpSyslog, { router: tr.router, path: '/syslog', token: null, intake, holdMs, retryAfterSeconds: 7 });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(async () => {
    await app.close();
    await tr.close();
    await rx.close().catch(() => undefined);
  });
  return { rx, tr, app, port: (app.server.address() as { port: number }).port };
}

t.test('the hold runs out: 503 naming what was queued; that part arrives later, the rest never', async (t) => {
  const { rx, tr, port } = await downDrain(t);
  const r = await post(port, '/syslog', logplex(ids(8).map(msg)), logplexHeaders(8));
  t.equal(r.status, 503);
  t.equal(r.headers.get('retry-after'), '7');
  t.equal(r.json.queued, 5);
  t.equal(r.json.notQueued, 3);
  t.match(r.json.error, /messages 0\.\.4 were queued, the 3 from message 5 on were not/);

  // A full ring now: the next request is refused whole.
  const r2 = await post(port, '/syslog', logplex([msg(100)]), logplexHeaders(1));
  t.equal(r2.status, 503);
  t.match(r2.json.error, /is full .*nothing in this request was queued/);

  await rx.restart();
  await rx.waitFor(5);
  let ok = 0;
  for (let i = 0; i < 100 && ok !== 204; i++) {
    ok = (await post(port, '/syslog', logplex([msg(200)]), logplexHeaders(1))).status;
    if (ok !== 204) await new Promise((res) => setTimeout(res, 50));
  }
  t.equal(ok, 204);
  await rx.waitFor(6);
  t.same(rx.lines(), [...ids(5).map(msg), msg(200)], 'the queued part, then the next request; nothing else');
  t.equal(tr.router.routes.lookupName('hold.test')![0].stats.dropped.full, 0);
});

t.test('closing the server ends a request that is waiting for room', async (t) => {
  // A one-minute hold: only closing can end this request within the test.
  const { app, port } = await downDrain(t, 60_000);
  const pending = post(port, '/syslog', logplex(ids(8).map(msg)), logplexHeaders(8));
  await new Promise((res) => setTimeout(res, 100));
  await app.close();
  const r = await pending;
  t.equal(r.status, 503);
  t.equal(r.json.queued, 5);
});
