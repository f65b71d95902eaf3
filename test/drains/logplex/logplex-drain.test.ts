// syslog+http drains end to end: syslog over TCP into a router, logplex
// frames out; and the round trip into another router's POST /syslog, which
// must hand every message on byte for byte.
import net from 'node:net';
import t from 'tap';
import { startTestRouter } from '../../helpers/router';
import { startSyslogReceiver } from '../../helpers/syslog-receiver';
import { droppedTotal, logplexFrames, startHttpSink } from '../batch/http-sink';

async function sendTcp(port: number, lines: string[]): Promise<void> {
  const s = net.connect(port, '127.0.0.1');
  await new Promise((r) => s.once('connect', r));
  // Octet-counted, so messages may hold anything (even LF).
  await new Promise<void>((r) => s.end(Buffer.concat(lines.map((l) => Buffer.from(`${Buffer.byteLength(l)} ${l}`))), () => r()));
}

async function until(cond: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const message = (i: number, host = 'app.example'): string =>
  `<190>1 2026-11-22T03:00:00.${String(i % 1000).padStart(3, '0')}Z ${host} app web.${i % 3} ID${i} [meta@1 i="${i}" q="a \\"b\\" \\]"] hello ${i} ünïcödé`;

t.test('end to end: TCP syslog in, logplex frames out with logplex headers', async (t) => {
  const sink = await startHttpSink();
  const router = await startTestRouter({ routes: [['app.example', `syslog+${sink.base}/drain?batch_size=40&batch_wait=5&token=d.test`]] });
  const lines = Array.from({ length: 150 }, (_, i) => message(i));
  await sendTcp(router.ports.tcp, lines);
  await until(() => sink.requests.reduce((a, r) => a + Number(r.headers['logplex-msg-count']), 0) >= 150, '150 frames');
  t.same(sink.requests.flatMap((r) => logplexFrames(r.body)), lines, 'frames are the messages as received, in order');
  for (const r of sink.requests) {
    if (r.headers['content-type'] !== 'application/logplex-1' || r.headers['logplex-drain-token'] !== 'd.test') t.fail('logplex headers');
    if (!/^[0-9a-f-]{36}$/.test(String(r.headers['logplex-frame-id']))) t.fail('frame id');
  }
  const d = router.router.routes.lookupName('app.example')![0];
  t.equal(d.kind, 'logplex');
  await until(() => d.queued === 0, 'the last response'); // the server has the frames; its answer may still be on the way
  t.equal(d.stats.delivered, 150);
  await router.close();
  await sink.close();
});

t.test("round trip: a syslog+http drain into another router's /syslog delivers every message intact", async (t) => {
  const receiver = await startSyslogReceiver({ framing: 'octet' });
  const b = await startTestRouter({ routes: [['app.example', receiver.url]], env: { INGEST_TOKEN: 'ingest-s3cret' } });
  const a = await startTestRouter({
    routes: [
      ['app.example', `syslog+http://ingest-s3cret@127.0.0.1:${b.ports.http}/syslog?batch_size=64&batch_wait=5`],
      ['wrong.example', `syslog+http://nope@127.0.0.1:${b.ports.http}/syslog?batch_wait=5`],
    ],
  });
  const lines = Array.from({ length: 500 }, (_, i) => message(i));
  lines.push('<14>1 2026-11-22T03:00:01Z app.example app - - - a message\nwith a newline inside');
  await sendTcp(a.ports.tcp, [...lines, message(0, 'wrong.example'), message(1, 'wrong.example')]);
  await receiver.waitFor(lines.length, 8000);
  t.same(receiver.lines(), lines, 'every message, byte for byte, in order, once');
  const d = a.router.routes.lookupName('app.example')![0];
  await until(() => d.queued === 0, 'drain settled');
  t.equal(d.stats.delivered, lines.length);
  t.equal(droppedTotal(d), 0);
  t.ok(d.stats.deliveredBytes >= lines.reduce((n, l) => n + Buffer.byteLength(l), 0));
  const wrong = a.router.routes.lookupName('wrong.example')![0];
  await until(() => wrong.queued === 0 && wrong.stats.dropped.rejected > 0, 'the unauthorised drain settled');
  t.equal(wrong.stats.dropped.rejected, 2, 'a 401 is a refusal: dropped at once, not retried');
  t.equal(wrong.stats.retried, 0);
  await a.close();
  await b.close();
  await receiver.close();
});
