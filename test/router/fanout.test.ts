// Fan-out through the real router: one hostname to three drains (octet, LF
// and TLS), one drain URL shared by several hostnames (one drain, one
// connection), and a route change that keeps a drain still referenced and
// flushes one that is no longer.
import t from 'tap';
import { makeCerts } from '../helpers/certs';
import { startTestRouter } from '../helpers/router';
import { startSyslogReceiver } from '../helpers/syslog-receiver';
import { drainsOf, octet, sendTcp, until } from '../inputs/stream-helpers';

const line = (host: string, i: number): string => `<14>1 2024-05-01T10:00:00Z ${host} app - - - message ${i}`;

t.test('one hostname → three drains, each gets every message in order', async (t) => {
  const certs = makeCerts();
  const a = await startSyslogReceiver();
  const b = await startSyslogReceiver({ framing: 'lf' });
  const c = await startSyslogReceiver({ tls: { cert: certs.serverCert, key: certs.serverKey } });
  const r = await startTestRouter({
    routes: [
      ['fan', a.url],
      ['FAN', b.url], // hostnames are case-insensitive: same route
      ['fan', `${c.url}?ca=${encodeURIComponent(Buffer.from(certs.ca).toString('base64'))}`],
    ],
  });
  t.teardown(async () => {
    await r.close();
    await Promise.all([a.close(), b.close(), c.close()]);
  });
  t.equal(drainsOf(r.app, 'Fan').length, 3);
  const N = 3000;
  const frames: Buffer[] = [];
  for (let i = 0; i < N; i++) frames.push(octet(line('fan', i)));
  await sendTcp(r.ports.tcp, frames);
  await Promise.all([a.waitFor(N), b.waitFor(N), c.waitFor(N)]);
  for (const [name, rx] of [['octet', a], ['lf', b], ['tls', c]] as const) {
    const got = rx.lines();
    t.equal(got.length, N, `${name}: count`);
    t.ok(got.every((l, i) => l === line('fan', i)), `${name}: every message, in order`);
  }
  for (const d of drainsOf(r.app, 'fan')) {
    await until(() => d.queued === 0, 'drain idle');
    t.equal(d.stats.delivered, N);
  }
});

t.test('one drain URL shared by several hostnames: one drain, one connection', async (t) => {
  const rx = await startSyslogReceiver();
  const r = await startTestRouter({ routes: [['h1', rx.url], ['h2', rx.url], ['h3', rx.url]] });
  t.teardown(async () => {
    await r.close();
    await rx.close();
  });
  const [d1] = drainsOf(r.app, 'h1');
  t.equal(drainsOf(r.app, 'h2')[0], d1, 'the same drain object');
  t.equal(drainsOf(r.app, 'h3')[0], d1);
  const frames: Buffer[] = [];
  for (let i = 0; i < 900; i++) frames.push(octet(line(`h${(i % 3) + 1}`, i)));
  await sendTcp(r.ports.tcp, frames);
  await rx.waitFor(900);
  t.ok(rx.lines().every((l, i) => l === line(`h${(i % 3) + 1}`, i)), 'interleaved, in order');
  await until(() => d1.queued === 0, 'idle');
  t.equal(d1.stats.delivered, 900);
  t.equal(d1.stats.retried, 0, 'never reconnected');
});

t.test('route change: a kept drain keeps its queue and connection, a removed one is flushed', async (t) => {
  const keep = await startSyslogReceiver();
  const gone = await startSyslogReceiver();
  // A ring large enough for everything sent below: this test is about the route change, not overflow.
  const r = await startTestRouter({ routes: [['k', keep.url], ['g', `${gone.url}?buffer_bytes=${64 << 20}`]] });
  t.teardown(async () => {
    await r.close();
    await keep.close();
    await gone.close();
  });
  const [dk] = drainsOf(r.app, 'k');
  const [dg] = drainsOf(r.app, 'g');
  await sendTcp(r.ports.tcp, [octet(line('k', 1)), octet(line('g', 1))]);
  await keep.waitFor(1);
  await gone.waitFor(1);
  gone.stall();
  // 20 MB: more than the kernel buffers between the drain and the stalled receiver.
  const pad = ' ' + 'x'.repeat(4000);
  const frames: Buffer[] = [];
  for (let i = 2; i <= 5000; i++) frames.push(octet(line('g', i) + pad));
  await sendTcp(r.ports.tcp, frames);
  t.ok(dg.queued > 0, 'the drain to be removed still has messages queued');
  await r.setRoutes([['k', keep.url], ['k2', keep.url]]);
  t.equal(drainsOf(r.app, 'k')[0], dk, 'the kept drain is the same object');
  t.equal(drainsOf(r.app, 'k2')[0], dk);
  t.equal(r.router.routes.lookupName('g'), undefined, 'route removed');
  gone.unstall();
  await gone.waitFor(5000);
  t.ok(gone.lines().every((l, i) => l === (i === 0 ? line('g', 1) : line('g', i + 1) + pad)), 'the removed drain flushed everything, in order');
  await until(() => dg.connected === false, 'removed drain closed');
  t.equal(dg.stats.dropped.shutdown, 0);
  await sendTcp(r.ports.tcp, [octet(line('k2', 2))]);
  await keep.waitFor(2);
  t.equal(keep.lines()[1], line('k2', 2));
});
