// POST /events end to end: JSON events become RFC 5424 messages on a real
// syslog drain; invalid requests are refused whole.
import { gzipSync } from 'node:zlib';
import t from 'tap';
import { startTestRouter } from '../helpers/router';
import { startSyslogReceiver } from '../helpers/syslog-receiver';
import { counterValue, post } from './http-ingest-helpers';

type Tap = { teardown(fn: () => unknown): void };

async function setup(t: Tap) {
  const rx = await startSyslogReceiver();
  const tr = await startTestRouter({ routes: [['api-prod', rx.url], ['worker-prod', rx.url]] });
  t.teardown(async () => {
    await tr.close();
    await rx.close();
  });
  return { rx, tr, port: tr.ports.http };
}

const json = { 'content-type': 'application/json' };
const ndjson = { 'content-type': 'application/x-ndjson' };

t.test('one event', async (t) => {
  const { rx, port } = await setup(t);
  const r = await post(port, '/events', JSON.stringify({ hostname: 'api-prod', tag: 'web.1', message: 'GET /health 200', time: '2026-11-22T03:04:05.678Z' }), json);
  t.equal(r.status, 204, r.text);
  await rx.waitFor(1);
  t.same(rx.lines(), ['<14>1 2026-11-22T03:04:05.678Z api-prod app web.1 - - GET /health 200']);
});

t.test('an array, routed per event by hostname, with names and numbers for severity and facility', async (t) => {
  const { rx, port } = await setup(t);
  const events = [
    { hostname: 'api-prod', tag: 'nginx[33]', message: 'first', severity: 'err', facility: 'local0', time: 1795316645000 },
    { hostname: 'worker-prod', tag: 'worker.2', message: 'second', severity: 4, facility: 23, time: '2026-11-22T05:04:05+02:00' },
    { hostname: 'API-PROD', tag: 'cron', message: 'third, ünïcode', time: '2026-11-22T03:04:05Z', ignored: { extra: true } },
  ];
  const r = await post(port, '/events', JSON.stringify(events), json);
  t.equal(r.status, 204, r.text);
  await rx.waitFor(3);
  t.same(rx.lines(), [
    '<131>1 2026-11-22T03:04:05.000Z api-prod nginx 33 - - first',
    '<188>1 2026-11-22T03:04:05.000Z worker-prod app worker.2 - - second',
    '<14>1 2026-11-22T03:04:05.000Z API-PROD cron - - - third, ünïcode',
  ]);
});

t.test('NDJSON', async (t) => {
  const { rx, port } = await setup(t);
  const lines = [1, 2, 3].map((i) => JSON.stringify({ hostname: 'api-prod', tag: 'app[1]', message: `line ${i}`, time: '2026-11-22T03:00:00Z' }));
  const r = await post(port, '/events', lines.join('\n') + '\n\n', ndjson);
  t.equal(r.status, 204, r.text);
  await rx.waitFor(3);
  t.same(rx.lines(), [1, 2, 3].map((i) => `<14>1 2026-11-22T03:00:00.000Z api-prod app 1 - - line ${i}`));
});

t.test('bytes are counted as parsed: a gzip body by what it inflates to, as /syslog counts', async (t) => {
  const { rx, port } = await setup(t);
  const body = JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ hostname: 'api-prod', tag: 'web.1', message: `repeated line ${i} ${'x'.repeat(100)}` })));
  const packed = gzipSync(body);
  t.ok(packed.length * 4 < body.length, 'the body compresses well');
  const before = await counterValue('switchyard_input_bytes_total', { input: 'http_events' });
  const r = await post(port, '/events', packed, { ...json, 'content-encoding': 'gzip' });
  t.equal(r.status, 204, r.text);
  await rx.waitFor(50);
  const nd = `${JSON.stringify({ hostname: 'api-prod', tag: 'web.1', message: 'ünïcode', time: '2026-11-22T03:00:00Z' })}\n`;
  const r2 = await post(port, '/events', nd, ndjson);
  t.equal(r2.status, 204, r2.text);
  await rx.waitFor(51);
  t.equal(await counterValue('switchyard_input_bytes_total', { input: 'http_events' }), before + body.length + Buffer.byteLength(nd));
});

t.test('invalid events: 400 listing what is wrong, nothing delivered', async (t) => {
  const { rx, port } = await setup(t);
  const good = { hostname: 'api-prod', tag: 't', message: 'ok' };
  const cases: Array<[string, string, Record<string, string>, RegExp]> = [
    ['missing tag', JSON.stringify([good, { hostname: 'api-prod', message: 'x' }]), json, /event 1: must have required property 'tag'/],
    ['bad severity', JSON.stringify([good, { ...good, severity: 'loud' }]), json, /event 1 severity: must be 0\.\.7 or a severity name \(emerg/],
    ['facility out of range', JSON.stringify({ ...good, facility: 24 }), json, /event 0 facility: must be 0\.\.23 or a facility name/],
    ['bad time', JSON.stringify([good, good, { ...good, time: 'yesterday' }]), json, /event 2 time: must be an RFC 3339 date-time/],
    ['not an object', JSON.stringify([good, 'just a string']), json, /event 1: must be object/],
    ['empty hostname', JSON.stringify({ ...good, hostname: '' }), json, /event 0 hostname: must NOT have fewer than 1 characters/],
    ['bad JSON', '{"hostname": ', json, /JSON/],
    ['bad NDJSON line', JSON.stringify(good) + '\n{oops}\n', ndjson, /NDJSON line 2 is not valid JSON/],
  ];
  for (const [name, body, headers, want] of cases) {
    const r = await post(port, '/events', body, headers);
    t.equal(r.status, 400, name);
    t.match(r.text, want, name);
  }
  const r = await post(port, '/events', JSON.stringify({ hostname: 'api-prod', tag: 't', message: 'the only one', time: '2026-11-22T03:00:00Z' }), json);
  t.equal(r.status, 204);
  await rx.waitFor(1);
  t.same(rx.lines(), ['<14>1 2026-11-22T03:00:00.000Z api-prod t - - - the only one'], 'none of the refused requests queued anything');
});

t.test('other content types: 415', async (t) => {
  const { port } = await setup(t);
  const r = await post(port, '/events', 'hostname=api-prod', { 'content-type': 'text/plain' });
  t.equal(r.status, 415);
});
