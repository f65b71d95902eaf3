import t from 'tap';
import { convert3164To5424, converted, encode5424, EncodeFields, octetFrameHeaderLength, replaceNilHost5424, writeOctetFrameHeader } from '../../src/syslog/encode';
import { parse5424 } from '../../src/syslog/rfc5424';
import { parse3164 } from '../../src/syslog/rfc3164';
import { StreamFramer } from '../../src/syslog/framer';
import { EncodeError } from '../../src/syslog/errors';
import { newHeaderScan, scanHeader } from '../../src/syslog/header';

const parse = (b: Buffer) => parse5424(b, 0, b.length);
const base: EncodeFields = {
  facility: 16,
  severity: 6,
  timestamp: new Date('2026-11-22T02:30:00.123Z'),
  hostname: 'web-1.example.com',
  appName: 'api',
  procId: '4711',
  msgId: 'REQ',
  structuredData: [{ id: 'meta@32473', params: [['route', '/x'], ['q', 'a "quoted" \\ value ] here']] }],
  message: 'GET /index.html 200',
};

t.test('encode5424 writes the exact RFC 5424 bytes', async (t) => {
  t.equal(
    encode5424(base).toString(),
    '<134>1 2026-11-22T02:30:00.123Z web-1.example.com api 4711 REQ [meta@32473 route="/x" q="a \\"quoted\\" \\\\ value \\] here"] GET /index.html 200',
  );
  t.equal(
    encode5424({ facility: 0, severity: 0, timestamp: null, hostname: null, appName: null, procId: null, msgId: null, structuredData: null, message: '' }).toString(),
    '<0>1 - - - - - -',
    'all nil and no MSG (no trailing space)',
  );
});

t.test('encode5424 → parse5424 round-trips', async (t) => {
  const cases: EncodeFields[] = [
    base,
    { ...base, structuredData: null, message: Buffer.from([0xff, 0x00, 0xc3, 0x28, 0x0a]) },
    { ...base, timestamp: new Date('1999-12-31T23:59:59.999Z'), structuredData: [], message: 'ünïcödé ✓ message' },
    { ...base, facility: 23, severity: 7, hostname: null, procId: null, msgId: null },
    { ...base, structuredData: [{ id: 'a', params: [] }, { id: 'b@1', params: [['k', ''], ['k', 'dup']] }] },
    { ...base, structuredData: '[x@1 a="1"][y b="\\]"]' },
  ];
  for (const f of cases) {
    const m = parse(encode5424(f));
    t.equal(m.facility, f.facility);
    t.equal(m.severity, f.severity);
    t.equal(m.timestamp?.getTime(), f.timestamp?.getTime());
    t.equal(m.hostname, f.hostname);
    t.equal(m.appName, f.appName);
    t.equal(m.procId, f.procId);
    t.equal(m.msgId, f.msgId);
    if (typeof f.structuredData === 'string') t.equal(m.structuredDataText, f.structuredData);
    else t.same(m.structuredData, f.structuredData ?? []);
    t.same(m.message, typeof f.message === 'string' ? Buffer.from(f.message) : f.message);
  }
});

t.test('encode5424 applies RFC 5424 charset and length limits', async (t) => {
  const m = parse(
    encode5424({
      ...base,
      hostname: 'h'.repeat(300),
      appName: 'my app\tname ünï' + 'x'.repeat(60),
      procId: 'p'.repeat(200),
      msgId: 'message id that is far too long for the field',
      structuredData: [{ id: 'bad id=]"' + 'i'.repeat(40), params: [['na me', 'v'], ['', 'dropped']] }, { id: '', params: [['x', 'y']] }],
    }),
  );
  t.equal(m.hostname, 'h'.repeat(255));
  t.equal(m.appName, ('my_app_name__n_' + 'x'.repeat(60)).slice(0, 48));
  t.equal(m.procId, 'p'.repeat(128));
  t.equal(m.msgId, 'message_id_that_is_far_too_long_');
  t.same(m.structuredData, [{ id: ('bad_id___' + 'i'.repeat(40)).slice(0, 32), params: [['na_me', 'v']] }]);
  t.equal(parse(encode5424({ ...base, structuredData: '[broken' })).structuredDataText, null, 'an invalid SD string becomes nil');
  t.equal(parse(encode5424({ ...base, hostname: '' })).hostname, null, 'empty becomes nil');
  t.equal(encode5424({ ...base, timestamp: new Date(NaN) }).toString().split(' ')[1], '-', 'invalid date becomes nil');
  t.throws(() => encode5424({ ...base, facility: 24 }), EncodeError);
  t.throws(() => encode5424({ ...base, severity: -1 }), { code: 'SY_ERR_ENCODE' });
});

t.test('convert3164To5424 output parses as RFC 5424 with the right fields', async (t) => {
  const opts = { now: new Date('2026-11-22T03:00:00Z'), tzOffsetMinutes: 60 };
  const out = Buffer.alloc(4096);
  const conv = (line: string | Buffer, fallback = 'relay-host') => {
    const src = Buffer.concat([Buffer.from('##'), typeof line === 'string' ? Buffer.from(line, 'latin1') : line, Buffer.from('##')]);
    const n = convert3164To5424(src, 2, src.length - 2, out, opts, Buffer.from(fallback));
    return out.subarray(0, n);
  };
  t.equal(
    conv("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick").toString(),
    "<34>1 2026-10-11T21:14:15.000Z mymachine su - - - 'su root' failed for lonvick",
    'RFC 3164 example, local time at +01:00',
  );
  t.equal(conv('<13>Nov 22 02:30:00 myapp[123]: msg').toString(), '<13>1 2026-11-22T01:30:00.000Z relay-host myapp 123 - - msg', 'no host: fallback');
  t.equal(conv('<13>Nov 22 02:30:00 myapp[123]: msg', '').toString(), '<13>1 2026-11-22T01:30:00.000Z - myapp 123 - - msg', 'no host, no fallback: nil');
  t.equal(conv('<13>2026-11-22T02:30:00.123456+01:00 rs app: hi').toString(), '<13>1 2026-11-22T02:30:00.123456+01:00 rs app - - - hi', 'RFC 3339 timestamp copied as sent');
  t.equal(conv('<13>2026-11-22T02:30:00.5 rs app: hi').toString(), '<13>1 2026-11-22T01:30:00.500Z rs app - - - hi', 'zone-less RFC 3339: read at tzOffsetMinutes, written in UTC');
  t.equal(conv('<13>2026-11-22t02:30:00.1234567z rs app: hi').toString(), '<13>1 2026-11-22T02:30:00.123Z rs app - - - hi', 'not RFC 5424 shaped (lower case, 7 digits): rewritten');
  t.equal(conv('<13>no timestamp at all').toString(), '<13>1 2026-11-22T03:00:00.000Z relay-host - - - - no timestamp at all', 'no timestamp: now, all MSG');
  t.equal(conv('no PRI either').toString(), '<13>1 2026-11-22T03:00:00.000Z relay-host - - - - no PRI either', 'no PRI: user.notice (RFC 3164 4.3.3)');
  t.equal(conv('<13>Nov 22 02:30:00 host app:').toString(), '<13>1 2026-11-22T01:30:00.000Z host app - - -', 'empty MSG');
  t.equal(conv('<13>1 - - app - - - already 5424').toString(), '<13>1 - relay-host app - - - already 5424', 'RFC 5424 input: copied, nil host filled');
  const raw = Buffer.from([0xff, 0xfe, 0x00, 0x80]);
  const bin = conv(Buffer.concat([Buffer.from('<13>Nov 22 02:30:00 host app: '), raw]));
  t.ok(parse(bin).message.equals(raw), 'MSG bytes untouched');

  // Field by field against the 3164 parser, for a table of lines.
  const lines = [
    '<86>Jan  5 14:03:59 bastion-2 sudo[2048]: alice : TTY=pts/0',
    '<187>Nov 22 2025 02:30:00 cisco-sw %LINK-3-UPDOWN: down',
    '<13>Nov 22 02:30:00.250 fw01 kernel: drop',
    '<13>Nov  2 02:30:00 host just words',
  ];
  for (const line of lines) {
    const src = Buffer.from(line);
    const a = parse3164(src, 0, src.length, opts);
    const m = parse(conv(line));
    t.equal(m.facility, a.facility, line);
    t.equal(m.severity, a.severity);
    t.equal(m.timestamp?.getTime(), a.timestamp?.getTime());
    t.equal(m.hostname, a.hostname);
    t.equal(m.appName, a.appName);
    t.equal(m.procId, a.procId);
    t.same(m.message, a.message);
  }
  t.throws(() => convert3164To5424(Buffer.from('<13>Nov 22 02:30:00 h a: ' + 'x'.repeat(100)), 0, 125, Buffer.alloc(50), opts, Buffer.from('r')), { code: 'SY_ERR_ENCODE' });
});

t.test('replaceNilHost5424', async (t) => {
  const out = Buffer.alloc(1024);
  const run = (line: string, host: string) => {
    const src = Buffer.from('>>' + line + '<<');
    return out.toString('latin1', 0, replaceNilHost5424(src, 2, src.length - 2, Buffer.from(host), out));
  };
  t.equal(run('<13>1 2026-11-22T01:30:00Z - app - - - msg', 'filled'), '<13>1 2026-11-22T01:30:00Z filled app - - - msg');
  t.equal(run('<13>1 - - app - - [a b="c"] msg', 'h'), '<13>1 - h app - - [a b="c"] msg');
  t.equal(run('<13>1 - -', 'h'), '<13>1 - h', 'nil host at the very end');
  t.equal(run('<13>1 - real app - - - msg', 'other'), '<13>1 - real app - - - msg', 'a real host is kept');
  t.equal(run('<13>1 - -x app - - - msg', 'other'), '<13>1 - -x app - - - msg', '"-x" is not nil');
  t.equal(run('<13>Nov 22 02:30:00 - app: m', 'h'), '<13>Nov 22 02:30:00 - app: m', 'not RFC 5424: copied');
  t.equal(run('<13>1 - - app - - - msg', 'has space'), '<13>1 - has_space app - - - msg', 'host sanitised');
  t.equal(run('<13>1 - - app - - - msg', ''), '<13>1 - - app - - - msg', 'empty host: unchanged');
  const m = parse(Buffer.from(run('<13>1 - - app - - - msg', 'filled')));
  t.equal(m.hostname, 'filled');
  t.throws(() => replaceNilHost5424(Buffer.from('<13>1 - - a - - - m'), 0, 19, Buffer.from('long-host'), Buffer.alloc(20)), { code: 'SY_ERR_ENCODE' });
});

t.test('octet frame header', async (t) => {
  for (const [len, text] of [[0, '0 '], [7, '7 '], [10, '10 '], [99, '99 '], [100, '100 '], [123456789, '123456789 ']] as Array<[number, string]>) {
    t.equal(octetFrameHeaderLength(len), text.length, `length for ${len}`);
    const out = Buffer.alloc(20, 0x2a);
    const end = writeOctetFrameHeader(out, 3, len);
    t.equal(end, 3 + text.length);
    t.equal(out.toString('latin1', 0, end + 1), '***' + text + '*', `bytes for ${len}`);
  }
  // What we frame, the framer reads back.
  const msgs = [encode5424(base), encode5424({ ...base, message: 'x'.repeat(1000) })];
  const wire = Buffer.alloc(msgs.reduce((n, m) => n + octetFrameHeaderLength(m.length) + m.length, 0));
  let p = 0;
  for (const m of msgs) {
    p = writeOctetFrameHeader(wire, p, m.length);
    p += m.copy(wire, p);
  }
  const got: Buffer[] = [];
  new StreamFramer(2048, { onFrame: (b, s, e) => (got.push(Buffer.from(b.subarray(s, e))), true), onOversize: () => {} }).push(wire);
  t.same(got, msgs);
});

t.test('convert3164To5424 with its timestamp caches warm: every line as the 3164 parser reads it, and `converted` as scanHeader finds it', async (t) => {
  // Lines share timestamps in runs, as a busy sender's do, while the
  // receiver's clock and zone move between them: around New Year (the year
  // inference flips), across one day (a time "in the future" becomes past),
  // and by milliseconds within a second.
  let x = 12345;
  const rand = (): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x / 0x100000000;
  };
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const stamps = ['Dec 31 23:59:59', 'Jan  1 00:00:00', 'Feb 29 12:00:00', 'Nov 22 02:30:00', 'Nov 22 02:30:00.250', 'Nov 23 01:00:00', 'Jul  4 10:00:00', 'Dec 31 2025 23:00:00', '2026-11-22T02:30:00Z'];
  const nows = ['2026-12-31T23:30:00Z', '2027-01-01T00:30:00Z', '2026-11-22T00:00:00Z', '2026-11-22T23:59:00Z', '2028-02-28T23:00:00Z', '2028-03-01T01:00:00Z', '2026-11-22T02:30:00.999Z'];
  const hosts = ['web-1', '-', '', 'UPPER.Example', 'h'.repeat(300), 'tab\there'];
  const out = Buffer.alloc(8192);
  const scan = newHeaderScan();
  let stamp = pick(stamps);
  let now = new Date(pick(nows));
  let tz = 0;
  for (let i = 0; i < 3000; i++) {
    if (rand() < 0.1) stamp = pick(stamps);
    if (rand() < 0.05) now = new Date(pick(nows));
    if (rand() < 0.05) tz = pick([0, 60, -300, 840]);
    const host = pick(hosts);
    const line = `<${Math.floor(rand() * 192)}>${stamp} ${host}${host ? ' ' : ''}app[7]: message ${i}`;
    const src = Buffer.from(line, 'latin1');
    const opts = { now, tzOffsetMinutes: tz };
    const n = convert3164To5424(src, 0, src.length, out, opts, Buffer.from('relay'));
    const m = parse(out.subarray(0, n));
    const want = parse3164(src, 0, src.length, opts);
    const wantMs = want.timestamp?.getTime() ?? now.getTime();
    if (m.timestamp?.getTime() !== wantMs) t.fail(`${line} at ${now.toISOString()} tz ${tz}: ${m.timestamp?.toISOString()}, want ${new Date(wantMs).toISOString()}`);
    scanHeader(out, 0, n, scan);
    if (scan.hostStart !== converted.hostStart || scan.hostEnd !== converted.hostEnd || scan.pri !== converted.pri) {
      t.fail(`${line}: converted says host ${converted.hostStart}-${converted.hostEnd} pri ${converted.pri}, scanHeader ${scan.hostStart}-${scan.hostEnd} pri ${scan.pri}`);
    }
  }
  t.pass('3000 lines agree');
});
