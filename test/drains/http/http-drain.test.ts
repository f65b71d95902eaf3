// The http(s):// JSON drain: against a real server, over real TLS, and end to
// end through the router (syslog over TCP in, JSON out).
import https from 'node:https';
import net from 'node:net';
import t from 'tap';
import { makeCerts } from '../../helpers/certs';
import { startTestRouter } from '../../helpers/router';
import { droppedTotal, makeDrain, pushAll, settled, startHttpSink, syslogLines } from '../batch/http-sink';

t.test('POSTs JSON arrays of events', async (t) => {
  const sink = await startHttpSink();
  const d = makeDrain(`${sink.base}/ingest?batch_size=4&batch_wait=1`);
  pushAll(d, syslogLines(10));
  await settled(d);
  t.ok(sink.requests.length >= 3);
  const events = sink.requests.flatMap((r) => {
    t.equal(r.headers['content-type'], 'application/json');
    t.equal(r.path, '/ingest');
    const arr = JSON.parse(r.body.toString());
    t.ok(Array.isArray(arr) && arr.length <= 4, 'an array of at most batch_size events');
    return arr;
  });
  t.same(
    events.map((e: any) => e.msgid),
    Array.from({ length: 10 }, (_, i) => `ID${i}`),
  );
  t.same(events[3], {
    time: '2026-11-22T02:44:55.123Z',
    hostname: 'web.1',
    app: 'app',
    procid: '42',
    msgid: 'ID3',
    severity: 6,
    facility: 16,
    message: 'message 3',
    structured_data: { 'ex@1': { n: '3' } },
  });
  t.equal(d.stats.delivered, 10);
  await d.close(1000);
  await sink.close();
});

t.test('https: a certificate we do not trust fails (and is retried); insecure=true skips the check', async (t) => {
  const certs = makeCerts();
  let got = 0;
  const server = https.createServer({ cert: certs.serverCert, key: certs.serverKey }, (req, res) => {
    req.resume();
    req.on('end', () => {
      got++;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const strict = makeDrain(`https://127.0.0.1:${port}/?batch_wait=1&retries=1&backoff_min=1&backoff_max=5`);
  pushAll(strict, syslogLines(3));
  await settled(strict);
  t.equal(strict.stats.dropped.retries_exhausted, 3, 'untrusted certificate: never delivered');
  t.equal(strict.stats.retried, 1);
  t.equal(got, 0);
  const loose = makeDrain(`https://127.0.0.1:${port}/?batch_wait=1&insecure=true`);
  pushAll(loose, syslogLines(3));
  await settled(loose);
  t.equal(loose.stats.delivered, 3);
  t.equal(got, 1);
  await strict.close(100);
  await loose.close(1000);
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

t.test('end to end: syslog over TCP into the router, JSON out of an http drain', async (t) => {
  const sink = await startHttpSink((_r, i) => ({ status: i === 0 ? 503 : 200 }));
  const url = `${sink.base}/e2e?batch_wait=5&backoff_min=1&backoff_max=5`;
  const router = await startTestRouter({ routes: [['app.example', url]] });
  const s = net.connect(router.ports.tcp, '127.0.0.1');
  await new Promise((r) => s.once('connect', r));
  const lines: string[] = [];
  for (let i = 0; i < 200; i++) lines.push(`<134>1 2026-11-22T03:00:00.000Z app.example web ${i} - - hello ${i}`);
  lines.push('<13>Nov 22 03:00:01 app.example legacy[7]: from 3164');
  lines.push('<134>1 2026-11-22T03:00:00.000Z unrouted.example web 1 - - nobody wants this');
  s.end(lines.join('\n') + '\n');
  const deadline = Date.now() + 5000;
  const events = (): any[] => sink.requests.slice(1).flatMap((r) => JSON.parse(r.body.toString()));
  while (events().length < 201 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const got = events();
  t.equal(got.length, 201, 'every routed message arrived (after one 503)');
  t.same(got.slice(0, 200).map((e) => e.message), Array.from({ length: 200 }, (_, i) => `hello ${i}`), 'in order, once');
  t.match(got[200], { hostname: 'app.example', app: 'legacy', procid: '7', severity: 5, facility: 1, message: 'from 3164' });
  const d = router.router.routes.lookupName('app.example')![0];
  t.equal(d.kind, 'http');
  await settled(d); // the server has the last batch; its response may still be on the way
  t.equal(d.stats.delivered, 201);
  t.equal(d.stats.retried, 1);
  t.equal(droppedTotal(d), 0);
  await router.close();
  await sink.close();
});
