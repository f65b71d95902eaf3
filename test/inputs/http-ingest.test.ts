// What both ingest endpoints share, end to end: 503 + Retry-After when a
// `block` drain is full (nothing of the request queued, nothing dropped),
// and INGEST_TOKEN authentication (Bearer, Basic with the token as user).
import t from 'tap';
import { startTestRouter } from '../helpers/router';
import { startSyslogReceiver } from '../helpers/syslog-receiver';
import { counterValue, logplex, logplexHeaders, post, sleep } from './http-ingest-helpers';

const BATCH = 10;
const padding = 'p'.repeat(60_000);
const line = (id: number): string => `<14>1 2026-11-22T03:00:00Z slow.sink app - - - id=${id} ${padding}`;
const idOf = (m: string): number => Number(/ id=(\d+) /.exec(m)![1]);

t.test('a full block drain: 503 with Retry-After, the refused request never arrives, nothing is dropped', async (t) => {
  const rx = await startSyslogReceiver();
  rx.stall();
  const tr = await startTestRouter({ routes: [['slow.sink', rx.url + '?policy=block&buffer_messages=25']] });
  t.teardown(async () => {
    await tr.close();
    await rx.close();
  });
  const port = tr.ports.http;
  const fullBefore = await counterValue('switchyard_http_ingest_rejections_total', { endpoint: 'syslog', reason: 'full' });

  // Fill the socket buffers and then the ring, one 600 kB request at a time.
  const accepted: number[] = [];
  let next = 0;
  let refused: { status: number; retryAfter: string | null; error: string; ids: number[] } | null = null;
  for (let i = 0; i < 300 && refused === null; i++) {
    const ids = Array.from({ length: BATCH }, () => next++);
    const r = await post(port, '/syslog', logplex(ids.map(line)), logplexHeaders(BATCH));
    if (r.status === 204) accepted.push(...ids);
    else refused = { status: r.status, retryAfter: r.headers.get('retry-after'), error: r.json?.error, ids };
  }
  t.ok(refused, 'a request was refused once the drain was full');
  t.equal(refused!.status, 503);
  t.equal(refused!.retryAfter, '1');
  t.match(refused!.error, /block policy for hostname "slow.sink" is full.*nothing in this request was queued/);

  // /events feeds the same drain: the same amount is refused too, whole.
  const events = Array.from({ length: BATCH }, () => ({ hostname: 'slow.sink', tag: 'ev', message: `id=${next++} ${padding}` }));
  const ev = await post(port, '/events', JSON.stringify(events), { 'content-type': 'application/json' });
  t.equal(ev.status, 503);
  t.equal(ev.headers.get('retry-after'), '1');
  t.equal(await counterValue('switchyard_http_ingest_rejections_total', { endpoint: 'syslog', reason: 'full' }), fullBefore + 1);

  const drain = tr.router.routes.lookupName('slow.sink')![0];
  t.equal(drain.stats.dropped.full, 0, 'the drain dropped nothing: refused requests were not queued at all');

  // Once the receiver reads again, a retry goes through.
  rx.unstall();
  const last = Array.from({ length: BATCH }, () => next++);
  let status = 0;
  for (let i = 0; i < 200 && status !== 204; i++) {
    status = (await post(port, '/syslog', logplex(last.map(line)), logplexHeaders(BATCH))).status;
    if (status !== 204) await sleep(50);
  }
  t.equal(status, 204, 'accepted once the drain had room');
  await rx.waitFor(accepted.length + BATCH, 20_000);
  t.same(rx.lines().map(idOf), [...accepted, ...last], 'exactly the accepted requests, in order; the refused one is absent');
  t.equal(drain.stats.dropped.full, 0);
});

t.test('INGEST_TOKEN: Bearer or Basic with the token as user; 401 with WWW-Authenticate otherwise', async (t) => {
  const rx = await startSyslogReceiver();
  const tr = await startTestRouter({ routes: [['web-1', rx.url]], env: { INGEST_TOKEN: 'pl3ase-let-me-in' } });
  t.teardown(async () => {
    await tr.close();
    await rx.close();
  });
  const port = tr.ports.http;
  const msg = (n: string): string => `<14>1 2026-11-22T03:00:00Z web-1 app - - - ${n}`;
  const basic = (s: string): string => 'Basic ' + Buffer.from(s).toString('base64');
  const syslogCases: Array<[string, Record<string, string>, number]> = [
    ['no credentials', {}, 401],
    ['wrong bearer', { authorization: 'Bearer nope' }, 401],
    ['token as the Basic password only', { authorization: basic('user:pl3ase-let-me-in') }, 401],
    ['bearer', { authorization: 'Bearer pl3ase-let-me-in' }, 204],
    ['basic, token as user', { authorization: basic('pl3ase-let-me-in:ignored') }, 204],
  ];
  for (const [name, auth, want] of syslogCases) {
    const r = await post(port, '/syslog', logplex([msg(name)]), logplexHeaders(1, auth));
    t.equal(r.status, want, name);
    if (want === 401) {
      t.match(r.headers.get('www-authenticate'), /Basic realm="switchyard ingest", Bearer/, name);
      t.match(r.json.error, name === 'no credentials' ? /an ingest token is required/ : /not valid/, name);
    }
  }
  const ev = (m: string) => JSON.stringify({ hostname: 'web-1', tag: 'app', message: m, time: '2026-11-22T03:00:00Z' });
  t.equal((await post(port, '/events', ev('events, no credentials'), { 'content-type': 'application/json' })).status, 401);
  t.equal((await post(port, '/events', ev('events, bearer'), { 'content-type': 'application/json', authorization: 'Bearer pl3ase-let-me-in' })).status, 204);

  await rx.waitFor(3);
  t.same(rx.lines(), [msg('bearer'), msg('basic, token as user'), '<14>1 2026-11-22T03:00:00.000Z web-1 app - - - events, bearer']);
  const health = await fetch(`http://127.0.0.1:${port}/healthz`);
  t.equal(health.status, 200, 'the ingest token guards the ingest endpoints only');
});

t.test('the endpoints can be turned off and moved', async (t) => {
  const tr = await startTestRouter({ env: { HTTP_SYSLOG: 'false', HTTP_EVENTS_PATH: '/v1/events' } });
  t.teardown(() => tr.close());
  const port = tr.ports.http;
  t.equal((await post(port, '/syslog', logplex(['<14>1 - h a - - - x']), logplexHeaders(1))).status, 404);
  t.equal((await post(port, '/events', '{}', { 'content-type': 'application/json' })).status, 404);
  t.equal((await post(port, '/v1/events', JSON.stringify({ hostname: 'h', tag: 't', message: 'm' }), { 'content-type': 'application/json' })).status, 204);
});
