import t from 'tap';
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { hostname } from 'node:os';
import { once } from 'node:events';
import { parse3164, YEAR_SLACK_MS } from '../../src/syslog/rfc3164';
import { ParseError } from '../../src/syslog/errors';

const NOW = new Date('2026-11-22T03:00:00Z');
const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const p = (s: string | Buffer, now = NOW, tz = 0) => {
  const buf = typeof s === 'string' ? b(s) : s;
  return parse3164(buf, 0, buf.length, { now, tzOffsetMinutes: tz });
};
const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

// [name, line, timestamp, timestampText, hostname, appName, procId, message]
type Row = [string, string, string | null, string | null, string | null, string | null, string | null, string];
const rows: Row[] = [
  ['RFC 3164 example', "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8", '2026-10-11T22:14:15.000Z', 'Oct 11 22:14:15', 'mymachine', 'su', null, "'su root' failed for lonvick on /dev/pts/8"],
  ['logger --rfc3164 over the network', '<13>Nov 22 02:42:22 vm myapp[123]: hello world', '2026-11-22T02:42:22.000Z', 'Nov 22 02:42:22', 'vm', 'myapp', '123', 'hello world'],
  ['logger to /dev/log (no hostname)', '<13>Nov 22 02:42:22 myapp: local msg2', '2026-11-22T02:42:22.000Z', 'Nov 22 02:42:22', null, 'myapp', null, 'local msg2'],
  ['no hostname, tag with pid', '<13>Nov 22 02:30:00 myapp[123]: msg', '2026-11-22T02:30:00.000Z', 'Nov 22 02:30:00', null, 'myapp', '123', 'msg'],
  ['single-digit day padded with a space', '<13>Nov  2 02:30:00 host app[1]: x', '2026-11-02T02:30:00.000Z', 'Nov  2 02:30:00', 'host', 'app', '1', 'x'],
  ['single-digit day not padded', '<13>Nov 2 02:30:00 host app: x', '2026-11-02T02:30:00.000Z', 'Nov 2 02:30:00', 'host', 'app', null, 'x'],
  ['rsyslog RFC 3339 timestamp', '<13>2026-11-22T02:30:00.123456+01:00 rs-host app: hi', '2026-11-22T01:30:00.123Z', '2026-11-22T02:30:00.123456+01:00', 'rs-host', 'app', null, 'hi'],
  ['year in the timestamp', '<187>Nov 22 2025 02:30:00 cisco-sw %LINK-3-UPDOWN: Interface down', '2025-11-22T02:30:00.000Z', 'Nov 22 2025 02:30:00', 'cisco-sw', '%LINK-3-UPDOWN', null, 'Interface down'],
  ['fractional seconds', '<13>Nov 22 02:30:00.250 fw01 kernel: drop', '2026-11-22T02:30:00.250Z', 'Nov 22 02:30:00.250', 'fw01', 'kernel', null, 'drop'],
  ['no tag', '<13>Nov 22 02:30:00 host just words here', '2026-11-22T02:30:00.000Z', 'Nov 22 02:30:00', 'host', null, null, 'just words here'],
  ['tag-like token without colon is MSG', '<13>Nov 22 02:30:00 host app[1] msg', '2026-11-22T02:30:00.000Z', 'Nov 22 02:30:00', 'host', null, null, 'app[1] msg'],
  ['no timestamp: everything is MSG', '<13>hello there: x', null, null, null, null, null, 'hello there: x'],
  ['truncated timestamp: everything is MSG', '<13>Nov 22 02:3', null, null, null, null, null, 'Nov 22 02:3'],
  ['empty after tag', '<13>Nov 22 02:30:00 host app:', '2026-11-22T02:30:00.000Z', 'Nov 22 02:30:00', 'host', 'app', null, ''],
  ['impossible date keeps the text', '<13>Feb 30 02:30:00 host app: x', null, 'Feb 30 02:30:00', 'host', 'app', null, 'x'],
];

t.test('RFC 3164 variants', async (t) => {
  for (const [name, line, ts, tsText, host, app, pid, msg] of rows) {
    const m = p(line);
    t.equal(iso(m.timestamp), ts, `${name}: timestamp`);
    t.equal(m.timestampText, tsText, `${name}: timestampText`);
    t.equal(m.hostname, host, `${name}: hostname`);
    t.equal(m.appName, app, `${name}: appName`);
    t.equal(m.procId, pid, `${name}: procId`);
    t.equal(m.msgId, null, `${name}: msgId`);
    t.same(m.structuredData, [], `${name}: no SD`);
    t.equal(m.message.toString('latin1'), msg, `${name}: message`);
    t.equal(m.format, 3164);
  }
  const m = p('<34>Oct 11 22:14:15 mymachine su: x');
  t.equal(m.facility, 4);
  t.equal(m.severity, 2);
});

t.test('zone-less times are read at tzOffsetMinutes', async (t) => {
  t.equal(iso(p('<13>Nov 22 02:30:00 h a: m', NOW, -300).timestamp), '2026-11-22T07:30:00.000Z', 'EST');
  t.equal(iso(p('<13>Nov 22 02:30:00 h a: m', NOW, 60).timestamp), '2026-11-22T01:30:00.000Z', 'CET');
  t.equal(iso(p('<13>2026-11-22T02:30:00 h a: m', NOW, 60).timestamp), '2026-11-22T01:30:00.000Z', 'ISO without zone');
  t.equal(iso(p('<13>2026-11-22T02:30:00Z h a: m', NOW, 60).timestamp), '2026-11-22T02:30:00.000Z', 'ISO with zone ignores the option');
});

t.test('year inference around New Year and the future slack', async (t) => {
  const at = (line: string, now: string, tz = 0) => iso(p(line, new Date(now), tz).timestamp);
  t.equal(at('<13>Dec 31 23:59:50 h a: m', '2027-01-01T00:00:30Z'), '2026-12-31T23:59:50.000Z', 'Dec 31 received Jan 1 is last year');
  t.equal(at('<13>Jan  1 00:00:10 h a: m', '2026-12-31T23:58:00Z'), '2027-01-01T00:00:10.000Z', 'sender clock a bit ahead at New Year: next year');
  t.equal(at('<13>Jul  1 12:00:00 h a: m', '2027-01-01T00:00:00Z'), '2026-07-01T12:00:00.000Z', 'half a year back, not ahead');
  t.equal(at('<13>Nov 22 10:00:00 h a: m', '2026-11-22T03:00:00Z'), '2026-11-22T10:00:00.000Z', '7 hours ahead is within the slack');
  t.equal(at('<13>Nov 23 04:00:01 h a: m', '2026-11-22T03:00:00Z'), '2025-11-23T04:00:01.000Z', 'more than the slack ahead: last year');
  t.equal(YEAR_SLACK_MS, 24 * 3600 * 1000);
  t.equal(at('<13>Feb 29 12:00:00 h a: m', '2028-03-01T00:00:00Z'), '2028-02-29T12:00:00.000Z', 'leap day in a leap year');
  t.equal(at('<13>Feb 29 12:00:00 h a: m', '2027-03-01T00:00:00Z'), null, 'no leap year within reach');
  t.equal(at('<13>Jan  1 02:29:00 h a: m', '2027-01-01T00:30:00Z', 120), '2027-01-01T00:29:00.000Z', 'New Year in the sender zone, not UTC');
  t.equal(at('<13>Dec 31 23:59:00 h a: m', '2026-12-31T22:30:00Z', -60), '2027-01-01T00:59:00.000Z', 'zone west of UTC');
});

t.test('invalid UTF-8 in MSG is kept byte for byte', async (t) => {
  const raw = Buffer.from([0xff, 0xfe, 0x41, 0xc3, 0x28, 0x00, 0x80, 0xe2, 0x82, 0x20, 0x3a]);
  const m = p(Buffer.concat([b('<13>Nov 22 02:30:00 host app[7]: '), raw]));
  t.ok(m.message.equals(raw));
  t.equal(m.hostname, 'host');
});

t.test('malformed input', async (t) => {
  for (const line of ['no pri at all', '<192>Nov 22 02:30:00 h a: m', '<>Nov 22', '<1a>x', '']) {
    let err: unknown = null;
    try {
      p(line);
    } catch (e) {
      err = e;
    }
    t.ok(err instanceof ParseError, `${JSON.stringify(line)} throws ParseError`);
    t.match(err, { code: 'SY_ERR_PARSE', field: 'PRI', offset: 0 });
  }
  const onlyPri = p('<13>');
  t.equal(onlyPri.timestamp, null);
  t.equal(onlyPri.message.length, 0);
});

const probe = spawnSync('logger', ['--version'], { encoding: 'utf8' });
const noLogger = probe.error || probe.status !== 0 ? 'logger(1) is not installed' : false;

t.test('what the real logger(1) sends parses', { skip: noLogger }, async (t) => {
  const sock = createSocket('udp4');
  sock.bind(0, '127.0.0.1');
  await once(sock, 'listening');
  t.teardown(() => sock.close());
  const port = String(sock.address().port);
  const got = once(sock, 'message');
  const before = Date.now();
  const r = spawnSync('logger', ['--rfc3164', '-d', '-n', '127.0.0.1', '-P', port, '-t', 'myapp', '--id=4242', '-p', 'local3.warning', 'from logger: ok'], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  const [line] = (await got) as [Buffer];
  // logger writes local time without a zone: read it at our local offset.
  const tz = -new Date().getTimezoneOffset();
  const m = parse3164(line, 0, line.length, { now: new Date(), tzOffsetMinutes: tz });
  t.equal(m.facility, 19);
  t.equal(m.severity, 4);
  t.equal(m.hostname, hostname().split('.')[0]);
  t.equal(m.appName, 'myapp');
  t.equal(m.procId, '4242');
  t.equal(m.message.toString(), 'from logger: ok');
  // Second resolution; a generous window only guards against a wrong year or zone.
  const ms = m.timestamp?.getTime() ?? NaN;
  t.ok(ms >= Math.floor(before / 1000) * 1000 - 60000 && ms <= Date.now() + 60000, `timestamp ${m.timestamp?.toISOString()} is about now`);
});
