// The _bulk NDJSON: actions, documents, @timestamp, index choice.
import t from 'tap';
import { batchOf } from '../../../src/drains/batch/record-batch';
import { encodeBulk } from '../../../src/drains/elasticsearch/encoder';
import { IndexNamer } from '../../../src/drains/elasticsearch/index-name';

const TAKEN = Date.UTC(2026, 10, 22, 3, 0, 0);
const bulk = (index: string | null, ...lines: string[]): string => encodeBulk(batchOf(lines.map((l) => Buffer.from(l)), TAKEN), { index: index === null ? null : new IndexNamer(index) }).toString();

t.test('create action + document per record, newline-terminated', async (t) => {
  const body = bulk(null, '<165>1 2003-10-11T22:14:15.003Z Web.1 app 42 ID [a@1 k="v"] hello');
  t.ok(body.endsWith('\n'), 'ends with a newline');
  const lines = body.split('\n');
  t.equal(lines.length, 3);
  t.same(JSON.parse(lines[0]), { create: { _index: 'web.1' } }, 'no _id: Elasticsearch makes it');
  t.same(JSON.parse(lines[1]), {
    '@timestamp': '2003-10-11T22:14:15.003Z',
    time: '2003-10-11T22:14:15.003Z',
    hostname: 'Web.1',
    app: 'app',
    procid: '42',
    msgid: 'ID',
    severity: 5,
    facility: 20,
    message: 'hello',
    structured_data: { 'a@1': { k: 'v' } },
  });
  t.equal(Object.keys(JSON.parse(lines[1]))[0], '@timestamp');
});

t.test('@timestamp: the message time in UTC, else the batch time', async (t) => {
  const lines = bulk(null, '<14>1 2026-11-22T04:05:06.5+02:00 h a - - - x', '<14>1 - h a - - - y', '<14>1 garbage h a - - - z').split('\n');
  t.equal(JSON.parse(lines[1])['@timestamp'], '2026-11-22T02:05:06.500Z');
  t.equal(JSON.parse(lines[3])['@timestamp'], new Date(TAKEN).toISOString());
  t.equal(JSON.parse(lines[5])['@timestamp'], new Date(TAKEN).toISOString());
  t.equal(JSON.parse(lines[1]).time, '2026-11-22T04:05:06.5+02:00', 'time keeps the text as sent');
});

t.test('index: fixed, dated by message time (or batch time), or per hostname', async (t) => {
  const idx = (body: string): string[] => body.split('\n').filter((_, i) => i % 2 === 0 && _ !== '').map((l) => JSON.parse(l).create._index);
  t.same(idx(bulk('logs', '<14>1 - a a - - - x', '<14>1 - b a - - - y')), ['logs', 'logs']);
  t.same(
    idx(bulk('logs-%Y.%m.%d', '<14>1 2025-12-31T23:30:00-01:00 a a - - - x', '<14>1 - b a - - - y')),
    ['logs-2026.01.01', 'logs-2026.11.22'],
    'message time in UTC; arrival for the one without',
  );
  t.same(idx(bulk(null, '<14>1 - Host.A a - - - x', '<14>1 - host.b a - - - y', '<14>1 - Host.A a - - - z', '<14>1 - - a - - - w')), [
    'host.a',
    'host.b',
    'host.a',
    'unknown-host',
  ]);
});

t.test('messages with quotes, newlines and control characters stay one NDJSON line each', async (t) => {
  const body = bulk('logs', '<14>1 - h a - - - line1\nline2 "q" \u0001 \\');
  const lines = body.split('\n');
  t.equal(lines.length, 3);
  t.equal(JSON.parse(lines[1]).message, 'line1\nline2 "q" \u0001 \\');
});
