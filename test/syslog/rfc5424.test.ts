import t from 'tap';
import { parse5424 } from '../../src/syslog/rfc5424';
import { parseSyslog } from '../../src/syslog/rfc3164';
import { ParseError } from '../../src/syslog/errors';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const p = (s: string | Buffer) => {
  const buf = typeof s === 'string' ? b(s) : s;
  return parse5424(buf, 0, buf.length);
};

t.test('RFC 5424 6.5 example 1: no SD, BOM before MSG', async (t) => {
  const buf = Buffer.concat([b('<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - '), BOM, b("'su root' failed for lonvick on /dev/pts/8")]);
  const m = p(buf);
  t.equal(m.facility, 4);
  t.equal(m.severity, 2);
  t.equal(m.timestamp?.toISOString(), '2003-10-11T22:14:15.003Z');
  t.equal(m.timestampText, '2003-10-11T22:14:15.003Z');
  t.equal(m.hostname, 'mymachine.example.com');
  t.equal(m.appName, 'su');
  t.equal(m.procId, null);
  t.equal(m.msgId, 'ID47');
  t.same(m.structuredData, []);
  t.equal(m.structuredDataText, null);
  t.equal(m.bom, true);
  t.equal(m.message.toString('latin1'), "'su root' failed for lonvick on /dev/pts/8");
  t.equal(m.format, 5424);
});

t.test('RFC 5424 6.5 example 2: offset timestamp with microseconds', async (t) => {
  const m = p("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.");
  t.equal(m.facility, 20);
  t.equal(m.severity, 5);
  t.equal(m.timestamp?.toISOString(), '2003-08-24T12:14:15.000Z');
  t.equal(m.timestampText, '2003-08-24T05:14:15.000003-07:00');
  t.equal(m.hostname, '192.0.2.1');
  t.equal(m.appName, 'myproc');
  t.equal(m.procId, '8710');
  t.equal(m.msgId, null);
  t.equal(m.bom, undefined);
  t.equal(m.message.toString(), "%% It's time to make the do-nuts.");
});

t.test('RFC 5424 6.5 examples 3 and 4: structured data', async (t) => {
  const sd = '[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"]';
  const m = p(Buffer.concat([b(`<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 ${sd} `), BOM, b('An application event log entry...')]));
  t.same(m.structuredData, [{ id: 'exampleSDID@32473', params: [['iut', '3'], ['eventSource', 'Application'], ['eventID', '1011']] }]);
  t.equal(m.structuredDataText, sd);
  t.equal(m.message.toString(), 'An application event log entry...');
  const sd2 = sd + '[examplePriority@32473 class="high"]';
  const m2 = p(`<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 ${sd2}`);
  t.equal(m2.structuredData.length, 2);
  t.same(m2.structuredData[1], { id: 'examplePriority@32473', params: [['class', 'high']] });
  t.equal(m2.structuredDataText, sd2);
  t.equal(m2.message.length, 0, 'no MSG');
});

t.test('SD escapes and edge values', async (t) => {
  const m = p('<13>1 - h a - - [x@1 q="say \\"hi\\"" bs="a\\\\b" br="[\\]" other="\\n kept" empty=""][y] tail');
  t.same(m.structuredData, [
    { id: 'x@1', params: [['q', 'say "hi"'], ['bs', 'a\\b'], ['br', '[]'], ['other', '\\n kept'], ['empty', '']] },
    { id: 'y', params: [] },
  ]);
  t.equal(m.message.toString(), 'tail');
  const u = p(Buffer.concat([b('<13>1 - h a - - [x v="'), Buffer.from('héllo ✓', 'utf8'), b('"] m')]));
  t.same(u.structuredData[0].params, [['v', 'héllo ✓']], 'UTF-8 values');
});

t.test('nil timestamp and other nil fields', async (t) => {
  const m = p('<13>1 - - - - - -');
  t.equal(m.timestamp, null);
  t.equal(m.timestampText, null);
  t.equal(m.hostname, null);
  t.equal(m.appName, null);
  t.equal(m.procId, null);
  t.equal(m.msgId, null);
  t.same(m.structuredData, []);
  t.equal(m.message.length, 0);
});

t.test('logplex frames without SD', async (t) => {
  const m = p('<40>1 2012-11-30T06:45:29+00:00 host app web.3 - State changed from starting to up');
  t.equal(m.facility, 5);
  t.equal(m.severity, 0);
  t.equal(m.timestamp?.toISOString(), '2012-11-30T06:45:29.000Z');
  t.equal(m.hostname, 'host');
  t.equal(m.appName, 'app');
  t.equal(m.procId, 'web.3');
  t.equal(m.msgId, null);
  t.same(m.structuredData, []);
  t.equal(m.message.toString(), 'State changed from starting to up');
  const h = p('<190>1 2012-11-30T06:45:29+00:00 host heroku router - at=info method=GET path="/"');
  t.equal(h.message.toString(), 'at=info method=GET path="/"');
});

t.test('invalid UTF-8 in MSG is kept byte for byte', async (t) => {
  const raw = Buffer.from([0xff, 0xfe, 0x41, 0xc3, 0x28, 0x00, 0x80, 0xe2, 0x82]);
  const m = p(Buffer.concat([b('<13>1 - h a - - - '), raw]));
  t.ok(m.message.equals(raw));
  t.equal(m.bom, undefined);
});

t.test('the message is a copy, independent of the input buffer', async (t) => {
  const buf = b('<13>1 - h a - - - hello');
  const m = p(buf);
  buf.fill(0x21);
  t.equal(m.message.toString(), 'hello');
});

t.test('what degrades instead of throwing', async (t) => {
  const broken = p('<13>1 2003-10-11T22:14:15Z host app 42 ID [unterminated x="1" rest of it');
  t.equal(broken.hostname, 'host', 'broken SD keeps the header');
  t.equal(broken.procId, '42');
  t.same(broken.structuredData, []);
  t.equal(broken.structuredDataText, null);
  t.equal(broken.message.toString(), '[unterminated x="1" rest of it', 'message is the rest from the [');
  const glued = p('<13>1 - host app - - [a x="1"]no-space');
  t.same(glued.structuredData, [], 'SD not followed by SP is not SD');
  t.equal(glued.message.toString(), '[a x="1"]no-space');
  const badTs = p('<13>1 2003-13-45T99:00:00Z host app - - - m');
  t.equal(badTs.timestamp, null);
  t.equal(badTs.timestampText, '2003-13-45T99:00:00Z');
  t.equal(badTs.hostname, 'host');
  t.equal(p('<13>1 2003-02-29T00:00:00Z h a - - - m').timestamp, null, 'Feb 29 in a non-leap year');
  t.equal(p('<13>1 2003-10-11 h a - - - m').timestamp, null, 'date only');
  t.equal(p('<13>1 2003-10-11T22:14:15 h a - - - m').timestamp, null, 'no zone');
  const cut = p('<13>1 2003-10-11T22:14:15Z host');
  t.equal(cut.hostname, 'host', 'header cut short keeps what it has');
  t.equal(cut.appName, null);
  t.equal(cut.message.length, 0);
  const cut2 = p('<13>1 ');
  t.equal(cut2.timestamp, null);
  t.equal(cut2.hostname, null);
});

t.test('what throws ParseError', async (t) => {
  const bad: Array<[string, string]> = [
    ['no PRI', 'PRI'],
    ['1 - h a - - - m', 'PRI'],
    ['<192>1 - h a - - - m', 'PRI'],
    ['<13 1 - h', 'PRI'],
    ['<13>Oct 11 22:14:15 host app: m', 'VERSION'],
    ['<13>0 - h a - - - m', 'VERSION'],
    ['<13>1', 'VERSION'],
    ['<13>1- h', 'VERSION'],
  ];
  for (const [msg, field] of bad) {
    let err: unknown = null;
    try {
      p(msg);
    } catch (e) {
      err = e;
    }
    t.ok(err instanceof ParseError, `${msg}: ParseError`);
    t.match(err, { code: 'SY_ERR_PARSE', field }, `${msg}: names ${field}`);
    t.type((err as ParseError).offset, 'number');
  }
});

t.test('offsets: a message inside a larger buffer', async (t) => {
  const buf = b('xx<13>1 - inner app - - - body yy');
  const m = parse5424(buf, 2, buf.length - 3);
  t.equal(m.hostname, 'inner');
  t.equal(m.message.toString(), 'body');
});

t.test('parseSyslog dispatches on the version digit', async (t) => {
  const opts = { now: new Date('2026-11-22T03:00:00Z'), tzOffsetMinutes: 0 };
  t.equal(parseSyslog(b('<13>1 - h a - - - m'), 0, 19, opts).format, 5424);
  const bsd = b('<13>Nov 22 02:30:00 h a: m');
  t.equal(parseSyslog(bsd, 0, bsd.length, opts).format, 3164);
  t.throws(() => parseSyslog(b('nope'), 0, 4, opts), { code: 'SY_ERR_PARSE', field: 'PRI' });
});
