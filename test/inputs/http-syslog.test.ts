// POST /syslog end to end: a real router (startTestRouter), real HTTP, a real
// TCP syslog receiver behind a syslog drain. What the receiver gets is what
// was accepted; what was refused never arrives, which we prove by posting a
// good request afterwards and seeing it arrive alone (drains are FIFO).
import t from 'tap';
import { startTestRouter } from '../helpers/router';
import { startSyslogReceiver } from '../helpers/syslog-receiver';
import { counterValue, logplex, logplexHeaders, post } from './http-ingest-helpers';

const heroku = [
  '<40>1 2012-11-30T06:45:29+00:00 web-1 app web.3 - State changed from starting to up',
  '<190>1 2012-11-30T06:45:26+00:00 web-1 app web.3 - Starting process with command `bundle exec rackup config.ru -p 24405`',
  '<13>1 2026-11-22T02:00:00.123Z web-1 app web.3 - [meta seq="3"] with structured data',
];

async function setup(t: Tap, env: Record<string, string> = {}, extraRoutes: Array<[string, string]> = []) {
  const rx = await startSyslogReceiver();
  const tr = await startTestRouter({ routes: [['web-1', rx.url], ['WEB-2', rx.url], ...extraRoutes.map(([h, q]): [string, string] => [h, rx.url + q])], env });
  t.teardown(async () => {
    await tr.close();
    await rx.close();
  });
  return { rx, tr, port: tr.ports.http };
}

type Tap = { teardown(fn: () => unknown): void };

t.test('a logplex-1 body (frames with and without SD) reaches the drain byte for byte', async (t) => {
  const { rx, port } = await setup(t);
  const r = await post(port, '/syslog', logplex(heroku), logplexHeaders(3, { 'logplex-drain-token': 'd.01234567-89ab' }));
  t.equal(r.status, 204, r.text);
  t.equal(r.text, '');
  await rx.waitFor(3);
  t.same(rx.lines(), heroku);
});

t.test('Heroku Private Spaces posts (no Logplex-Frame-Id, no Logplex-Drain-Token, no count) are accepted', async (t) => {
  const { rx, port } = await setup(t);
  const r = await post(port, '/syslog', logplex(heroku.slice(0, 2)), { 'content-type': 'application/logplex-1' });
  t.equal(r.status, 204, r.text);
  await rx.waitFor(2);
  t.same(rx.lines(), heroku.slice(0, 2));
});

t.test('LF bodies: RFC 5424 lines as sent, RFC 3164 lines converted', async (t) => {
  const { rx, port } = await setup(t);
  const lines5424 = ['<14>1 2026-11-22T02:00:00Z web-1 api 7 - - first', '<11>1 2026-11-22T02:00:01Z web-2 api 7 ID9 - second, to web-2'];
  const r1 = await post(port, '/syslog', lines5424.join('\n') + '\n', { 'content-type': 'application/syslog' });
  t.equal(r1.status, 204, r1.text);
  const r2 = await post(port, '/syslog', '<38>Nov 22 02:59:58 web-1 sshd[812]: Accepted publickey for git\r\n<30>Nov 22 02:59:59 web-2 systemd: Started\n', {
    'content-type': 'text/plain; charset=utf-8',
  });
  t.equal(r2.status, 204, r2.text);
  await rx.waitFor(4);
  const got = rx.lines();
  t.same(got.slice(0, 2), lines5424);
  t.match(got[2], /^<38>1 \d{4}-11-22T02:59:58\.000Z web-1 sshd 812 - - Accepted publickey for git$/);
  t.match(got[3], /^<30>1 \d{4}-11-22T02:59:59\.000Z web-2 systemd - - - Started$/);
});

t.test('a missing hostname is filled with Logplex-Drain-Token, else the sender address', async (t) => {
  const { rx, port } = await setup(t, {}, [
    ['d.8b1f2c', ''],
    ['127.0.0.1', ''],
  ]);
  const r1 = await post(port, '/syslog', logplex(['<14>1 2026-11-22T02:00:00Z - app web.1 - - via token']), logplexHeaders(1, { 'logplex-drain-token': 'd.8b1f2c' }));
  t.equal(r1.status, 204, r1.text);
  await rx.waitFor(1);
  const r2 = await post(port, '/syslog', '<14>Nov 22 03:00:00 cron: via address\n', { 'content-type': 'application/syslog' });
  t.equal(r2.status, 204, r2.text);
  await rx.waitFor(2);
  t.equal(rx.lines()[0], '<14>1 2026-11-22T02:00:00Z d.8b1f2c app web.1 - - via token');
  t.match(rx.lines()[1], /^<14>1 \S+ 127\.0\.0\.1 cron - - - via address$/);
});

t.test('a bad frame in the middle: 400 naming it, and nothing of that request is delivered', async (t) => {
  const { rx, port } = await setup(t);
  const before = await counterValue('switchyard_http_ingest_rejections_total', { endpoint: 'syslog', reason: 'bad_frame' });
  const body = logplex([heroku[0], 'this frame has no PRI', heroku[1]]);
  const bad = await post(port, '/syslog', body, logplexHeaders(3));
  t.equal(bad.status, 400);
  t.equal(bad.json.frame, 1);
  t.equal(bad.json.offset, Buffer.byteLength(logplex([heroku[0]])));
  t.match(bad.json.error, /^frame 1 \(at byte \d+\): no valid <PRI>.*nothing in this request was queued/);
  t.equal(await counterValue('switchyard_http_ingest_rejections_total', { endpoint: 'syslog', reason: 'bad_frame' }), before + 1);

  const lf = await post(port, '/syslog', '<14>1 - web-1 a - - - fine\nnot syslog\n', { 'content-type': 'text/plain' });
  t.equal(lf.status, 400);
  t.equal(lf.json.frame, 1);

  const good = '<14>1 2026-11-22T02:00:00Z web-1 app - - - the only one';
  t.equal((await post(port, '/syslog', logplex([good]), logplexHeaders(1))).status, 204);
  await rx.waitFor(1);
  t.same(rx.lines(), [good], 'only the good request arrived, and first: the bad ones queued nothing');
});

t.test('Logplex-Msg-Count mismatch: 400, nothing delivered', async (t) => {
  const { rx, port } = await setup(t);
  const r = await post(port, '/syslog', logplex(heroku), logplexHeaders(4));
  t.equal(r.status, 400);
  t.match(r.json.error, /Logplex-Msg-Count says 4 messages but the body holds 3/);
  const good = '<14>1 2026-11-22T02:00:00Z web-1 app - - - after the mismatch';
  t.equal((await post(port, '/syslog', logplex([good]), logplexHeaders(1))).status, 204);
  await rx.waitFor(1);
  t.same(rx.lines(), [good]);
});

t.test('over HTTP_BODY_LIMIT: 413, nothing delivered', async (t) => {
  const { rx, port } = await setup(t, { HTTP_BODY_LIMIT: '64KiB' });
  const msgs = Array.from({ length: 200 }, (_, i) => `<14>1 2026-11-22T02:00:00Z web-1 app - - - big ${i} ${'x'.repeat(400)}`);
  const r = await post(port, '/syslog', logplex(msgs), logplexHeaders(200));
  t.equal(r.status, 413);
  const good = '<14>1 2026-11-22T02:00:00Z web-1 app - - - under the limit';
  t.equal((await post(port, '/syslog', logplex([good]), logplexHeaders(1))).status, 204);
  await rx.waitFor(1);
  t.same(rx.lines(), [good]);
});

t.test('other content types: 415', async (t) => {
  const { port } = await setup(t);
  const r = await post(port, '/syslog', JSON.stringify({ message: 'x' }), { 'content-type': 'application/json' });
  t.equal(r.status, 415);
  t.match(r.json.message, /POST \/syslog takes application\/logplex-1, application\/syslog, text\/plain; got application\/json/);
  const none = await post(port, '/syslog', 'x=1', { 'content-type': 'application/x-www-form-urlencoded' });
  t.equal(none.status, 415);
});

t.test('unrouted hostnames are accepted and counted by the router, as on every input', async (t) => {
  const { tr, port } = await setup(t);
  const before = tr.router.unrouted;
  const r = await post(port, '/syslog', logplex(['<14>1 - nobody.example a - - - lost']), logplexHeaders(1));
  t.equal(r.status, 204);
  t.equal(tr.router.unrouted, before + 1);
});

t.test('metrics: requests per status, messages and bytes per input', async (t) => {
  const { rx, port } = await setup(t);
  const r204 = await counterValue('switchyard_http_ingest_requests_total', { endpoint: 'syslog', status: '204' });
  const msgs = await counterValue('switchyard_input_messages_total', { input: 'http_syslog' });
  const bytes = await counterValue('switchyard_input_bytes_total', { input: 'http_syslog' });
  const body = logplex(heroku);
  t.equal((await post(port, '/syslog', body, logplexHeaders(3))).status, 204);
  await rx.waitFor(3);
  t.equal(await counterValue('switchyard_http_ingest_requests_total', { endpoint: 'syslog', status: '204' }), r204 + 1);
  t.equal(await counterValue('switchyard_input_messages_total', { input: 'http_syslog' }), msgs + 3);
  t.equal(await counterValue('switchyard_input_bytes_total', { input: 'http_syslog' }), bytes + body.length);
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  t.match(text, /switchyard_http_ingest_requests_total\{endpoint="syslog",status="204"\} \d+/);
});
