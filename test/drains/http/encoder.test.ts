// The JSON event shape of http(s):// drains, field by field.
import t from 'tap';
import { batchOf } from '../../../src/drains/batch/record-batch';
import { encodeJsonBatch } from '../../../src/drains/http/encoder';

const enc = (...lines: Array<string | Buffer>): any[] => JSON.parse(encodeJsonBatch(batchOf(lines.map((l) => Buffer.from(l)))).toString());

t.test('a full RFC 5424 message', async (t) => {
  const [e] = enc('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 8710 ID47 [exampleSDID@32473 iut="3" eventSource="Application"] An application event');
  t.same(e, {
    time: '2003-10-11T22:14:15.003Z',
    hostname: 'mymachine.example.com',
    app: 'evntslog',
    procid: '8710',
    msgid: 'ID47',
    severity: 5,
    facility: 20,
    message: 'An application event',
    structured_data: { 'exampleSDID@32473': { iut: '3', eventSource: 'Application' } },
  });
  t.same(Object.keys(e), ['time', 'hostname', 'app', 'procid', 'msgid', 'severity', 'facility', 'message', 'structured_data'], 'stable key order');
});

t.test('nil fields are null, absent SD is {}', async (t) => {
  const [e] = enc('<14>1 - - - - - -');
  t.same(e, { time: null, hostname: null, app: null, procid: null, msgid: null, severity: 6, facility: 1, message: '', structured_data: {} });
});

t.test('time: as sent when valid RFC 3339 (offset and precision kept), null otherwise', async (t) => {
  t.equal(enc('<14>1 2026-11-22T04:05:06.123456+02:00 h a - - - x')[0].time, '2026-11-22T04:05:06.123456+02:00');
  t.equal(enc('<14>1 yesterday h a - - - x')[0].time, null);
});

t.test('SD escapes, repeated params, several elements, tricky names', async (t) => {
  const [e] = enc('<14>1 - h a - - [a@1 q="say \\"hi\\"" b="x\\]y" b="2"][__proto__ k="v"] msg');
  t.same(e.structured_data['a@1'], { q: 'say "hi"', b: ['x]y', '2'] });
  t.same(e.structured_data.__proto__, { k: 'v' });
  t.equal(Object.getPrototypeOf(JSON.parse('{}')), Object.prototype, 'nothing polluted');
  t.equal(e.message, 'msg');
});

t.test('message text: BOM removed, UTF-8 kept, invalid bytes replaced, JSON escapes', async (t) => {
  const [a] = enc(Buffer.concat([Buffer.from('<14>1 - h a - - - '), Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('héllo "q" \\ \n tab\t')]));
  t.equal(a.message, 'héllo "q" \\ \n tab\t');
  const [b] = enc(Buffer.concat([Buffer.from('<14>1 - h a - - - x'), Buffer.from([0xff]), Buffer.from('y')]));
  t.equal(b.message, 'x\ufffdy');
});

t.test('logplex-style message without SD', async (t) => {
  const [e] = enc('<190>1 2026-11-22T00:00:00+00:00 host app web.1 - State changed');
  t.equal(e.procid, 'web.1');
  t.equal(e.message, 'State changed');
});

t.test('a record that is not syslog is still an event', async (t) => {
  const [e] = enc('no pri here');
  t.same(e, { time: null, hostname: null, app: null, procid: null, msgid: null, severity: 5, facility: 1, message: 'no pri here', structured_data: {} });
});

t.test('a batch is one JSON array, one event per record, in order', async (t) => {
  const events = enc('<14>1 - h a - m1 - one', '<14>1 - h a - m2 - two', '<14>1 - h a - m3 - three');
  t.same(events.map((e) => [e.msgid, e.message]), [['m1', 'one'], ['m2', 'two'], ['m3', 'three']]);
  t.equal(encodeJsonBatch(batchOf([])).toString(), '[]');
});
