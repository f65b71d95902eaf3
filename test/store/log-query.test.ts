import t from 'tap';
import { parseLogsQuery } from '../../src/store/log-query';
import { jsonArrayChunk, ndjsonChunk, textChunk, toRecord } from '../../src/store/log-format';
import type { LogRow } from '../../src/store/log-store';

const dflt = { tail: null, limit: null, since: null, until: null, format: 'text', follow: false };

t.test('parseLogsQuery: accepted', async (t) => {
  const cases: Array<[Record<string, string>, string | undefined, object]> = [
    [{}, undefined, dflt],
    [{ tail: '10' }, undefined, { ...dflt, tail: 10 }],
    [{ tail: '0', limit: '5' }, undefined, { ...dflt, tail: 0, limit: 5 }],
    [{ since: '2026-01-02T03:04:05Z' }, undefined, { ...dflt, since: '2026-01-02T03:04:05.000Z' }],
    [{ until: '2026-01-02T03:04:05.5+02:00' }, undefined, { ...dflt, until: '2026-01-02T01:04:05.500Z' }],
    [{ since: '2026-01-02t03:04:05.123456z' }, undefined, { ...dflt, since: '2026-01-02T03:04:05.123Z' }],
    [{}, 'application/json', { ...dflt, format: 'json' }],
    [{}, 'text/html, application/json;q=0.9', { ...dflt, format: 'json' }],
    [{}, 'application/x-ndjson', { ...dflt, format: 'ndjson' }],
    [{}, '*/*', dflt],
    [{ format: 'ndjson' }, 'application/json', { ...dflt, format: 'ndjson' }],
    [{ format: 'text' }, 'application/json', dflt],
    [{ follow: 'true' }, undefined, { ...dflt, follow: true }],
    [{ follow: '1' }, undefined, { ...dflt, follow: true }],
    [{ follow: '' }, undefined, { ...dflt, follow: true }],
    [{ follow: 'false' }, undefined, dflt],
    [{ follow: 'true' }, 'application/json', { ...dflt, follow: true, format: 'ndjson' }],
  ];
  for (const [q, accept, want] of cases) t.same(parseLogsQuery(q, accept), want, `${JSON.stringify(q)} ${accept ?? ''}`);
});

t.test('parseLogsQuery: rejected with a reason', async (t) => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ tail: '-1' }, /tail must be/],
    [{ tail: '1e3' }, /tail must be/],
    [{ limit: '' }, /limit must be/],
    [{ limit: '99999999999' }, /limit must be/],
    [{ since: '2026-01-02' }, /since must be an RFC 3339/],
    [{ since: '2026-01-02T03:04:05' }, /with a zone/],
    [{ until: '2026-02-30T00:00:00Z' }, /until must be/],
    [{ follow: 'yes' }, /follow must be/],
    [{ format: 'csv' }, /format must be/],
    [{ tail: ['1', '2'] }, /more than once/],
    [{ offset: '3' }, /unknown parameter "offset"/],
    [{ follow: 'true', until: '2026-01-02T03:04:05Z' }, /until/],
    [{ follow: 'true', format: 'json' }, /ndjson/],
  ];
  for (const [q, why] of cases) {
    const r = parseLogsQuery(q, undefined);
    t.ok('error' in r, JSON.stringify(q));
    if ('error' in r) t.match(r.error, why, JSON.stringify(q));
  }
});

const row = (id: string, line: string | Buffer): LogRow => ({
  id,
  received: new Date('2026-05-06T07:08:09.010Z'),
  line: typeof line === 'string' ? Buffer.from(line) : line,
});

t.test('records: RFC 5424 fields, SD as an object, BOM dropped, invalid UTF-8 in base64', async (t) => {
  const r = toRecord(row('42', '<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 [a@1 x="1"][b@2 y="q\\]z" x="2"] \ufeff\'su root\' failed'));
  t.same(r, {
    id: '42',
    received: '2026-05-06T07:08:09.010Z',
    line: '<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 [a@1 x="1"][b@2 y="q\\]z" x="2"] \ufeff\'su root\' failed',
    facility: 4,
    severity: 2,
    timestamp: '2003-10-11T22:14:15.003Z',
    hostname: 'mymachine.example.com',
    app_name: 'su',
    proc_id: null,
    msg_id: 'ID47',
    structured_data: { 'a@1': { x: '1' }, 'b@2': { y: 'q]z', x: '2' } },
    message: "'su root' failed",
  });
  const nil = toRecord(row('1', '<14>1 - - - - - -'));
  t.match(nil, { timestamp: null, hostname: null, app_name: null, structured_data: {}, message: '' });
  const bad = Buffer.concat([Buffer.from('<14>1 - h a - - - '), Buffer.from([0xc3, 0x28, 0xff])]);
  const b = toRecord(row('2', bad));
  t.ok(Buffer.from(b.line_base64!, 'base64').equals(bad));
  t.equal(b.hostname, 'h');
  const junk = toRecord(row('3', 'hello'));
  t.match(junk, { id: '3', line: 'hello', parse_error: /PRI/ });
  t.notOk('severity' in junk);
});

t.test('chunks: text, ndjson, JSON array pieces', async (t) => {
  const rows = [row('1', '<14>1 - h a - - - one'), row('2', Buffer.from([0x3c, 0xff]))];
  t.ok(textChunk(rows).equals(Buffer.from([...Buffer.from('<14>1 - h a - - - one\n'), 0x3c, 0xff, 0x0a])));
  t.equal(textChunk([]).length, 0);
  const nd = ndjsonChunk(rows).toString().split('\n');
  t.equal(nd.length, 3);
  t.equal(nd[2], '');
  t.equal(JSON.parse(nd[0]!).message, 'one');
  const whole = '[' + jsonArrayChunk(rows.slice(0, 1), true).toString() + jsonArrayChunk(rows.slice(1), false).toString() + '\n]';
  t.same(JSON.parse(whole).map((r: any) => r.id), ['1', '2']);
});
