// The TCP input end to end: the real logger(1) and raw sockets send RFC 5424
// and RFC 3164, octet-counted and LF-framed, through the real router to a real
// syslog receiver. Hostname fallback, 3164→5424 conversion at the drain,
// invalid UTF-8 kept byte for byte, unrouted messages counted.
import os from 'node:os';
import t from 'tap';
import { inputStats } from '../../src/telemetry/input-metrics';
import { startTestRouter } from '../helpers/router';
import { startSyslogReceiver } from '../helpers/syslog-receiver';
import { drainsOf, logger, octet, sendTcp, sendUdp, until } from './stream-helpers';

const HOST = os.hostname();

t.test('logger(1) over TCP, both framings, RFC 5424 and 3164, to octet and LF drains', async (t) => {
  const rxOctet = await startSyslogReceiver({ framing: 'octet' });
  const rxLf = await startSyslogReceiver({ framing: 'lf' });
  const fallback = await startSyslogReceiver();
  const r = await startTestRouter({
    routes: [
      [HOST, rxOctet.url],
      [HOST, rxLf.url],
      ['127.0.0.1', fallback.url],
    ],
  });
  t.teardown(async () => {
    await r.close();
    await Promise.all([rxOctet.close(), rxLf.close(), fallback.close()]);
  });
  const port = String(r.ports.tcp);
  const base = ['-n', '127.0.0.1', '-P', port, '-t', 'myapp', '-p', 'local0.notice'];
  await logger(['--tcp', '--octet-count', '--rfc5424', ...base, 'five-octet']);
  await logger(['--tcp', '--rfc5424', ...base, 'five-lf']);
  await logger(['--tcp', '--octet-count', '--rfc3164', ...base, 'bsd-octet']);
  await logger(['--tcp', '--rfc3164', ...base, 'bsd-lf']);
  await logger(['--tcp', '--octet-count', '--rfc5424=nohost', ...base, 'no-host']);
  await rxOctet.waitFor(4);
  await rxLf.waitFor(4);
  await fallback.waitFor(1);

  for (const rx of [rxOctet, rxLf]) {
    const lines = rx.lines();
    t.equal(lines.length, 4, 'exactly the four messages for this host');
    const esc = HOST.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    t.match(lines[0], new RegExp(`^<133>1 \\S+ ${esc} myapp - - \\[timeQuality [^\\]]*\\] five-octet$`));
    t.match(lines[1], new RegExp(`^<133>1 \\S+ ${esc} myapp - - \\[timeQuality [^\\]]*\\] five-lf$`));
    // RFC 3164 arrives as RFC 5424: version 1, full timestamp, nil MSGID and SD.
    t.match(lines[2], new RegExp(`^<133>1 \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?(Z|[+-]\\d\\d:\\d\\d) ${esc} myapp - - - bsd-octet$`));
    t.match(lines[3], new RegExp(`^<133>1 \\S+ ${esc} myapp - - - bsd-lf$`));
  }
  // The nil hostname was routed (and rewritten) by the sender's address.
  t.match(fallback.lines()[0], /^<133>1 \S+ 127\.0\.0\.1 myapp - - \[timeQuality [^\]]*\] no-host$/);
  t.equal(fallback.messages.length, 1);
});

t.test('raw frames: mixed framing on one connection, 3164 without hostname, invalid UTF-8, unrouted', async (t) => {
  const rx = await startSyslogReceiver();
  const other = await startSyslogReceiver({ framing: 'lf' });
  const r = await startTestRouter({ routes: [['web-1', rx.url], ['127.0.0.1', other.url]] });
  t.teardown(async () => {
    await r.close();
    await rx.close();
    await other.close();
  });
  const stats = inputStats('tcp');
  const unroutedBefore = r.router.unrouted;
  const bad = Buffer.concat([Buffer.from('<14>1 2024-05-01T10:00:00Z WEB-1 app 42 ID7 - bytes:'), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x00, 0x80]), Buffer.from(' end')]);
  await sendTcp(r.ports.tcp, [
    octet('<14>1 2024-05-01T10:00:00.123Z web-1 app 42 ID7 [a@1 k="v"] one'),
    '<14>1 2024-05-01T10:00:01Z web-1 app - - - two\n',
    '\n', // stray separators between frames are skipped
    octet(bad),
    '<13>May  1 10:00:02 web-1 cron[77]: three\r\n',
    '<13>May  1 10:00:03 sshd[9]: no host in this line\n',
    octet('<14>1 2024-05-01T10:00:04Z nobody-routes-me app - - - lost'),
    '<14>1 2024-05-01T10:00:05Z - app - - - nil host\n',
  ]);
  await rx.waitFor(4);
  await other.waitFor(2);
  const got = rx.messages;
  t.equal(got[0].toString(), '<14>1 2024-05-01T10:00:00.123Z web-1 app 42 ID7 [a@1 k="v"] one', '5424 forwarded as sent');
  t.equal(got[1].toString(), '<14>1 2024-05-01T10:00:01Z web-1 app - - - two');
  t.ok(got[2].equals(bad), 'invalid UTF-8 forwarded byte for byte (hostname matched case-insensitively)');
  t.match(got[3].toString(), /^<13>1 \d{4}-05-01T10:00:02(\.\d+)?(Z|[+-]\d\d:\d\d) web-1 cron 77 - - three$/);
  t.equal(got.length, 4);
  const o = other.lines();
  t.match(o[0], /^<13>1 \S+ 127\.0\.0\.1 sshd 9 - - no host in this line$/, '3164 without hostname: the sender address');
  t.equal(o[1], '<14>1 2024-05-01T10:00:05Z 127.0.0.1 app - - - nil host');
  t.equal(r.router.unrouted - unroutedBefore, 1, 'the unrouted message is counted');
  t.ok(stats.messages >= 7);
  const [d] = drainsOf(r.app, 'web-1');
  await until(() => d.queued === 0, 'drain idle');
  t.equal(d.stats.delivered, 4);
});

t.test('HOSTNAME_FALLBACK routes nil-host messages by a fixed name', async (t) => {
  const rx = await startSyslogReceiver();
  const r = await startTestRouter({ routes: [['edge-fallback', rx.url]], env: { HOSTNAME_FALLBACK: 'edge-fallback' } });
  t.teardown(async () => {
    await r.close();
    await rx.close();
  });
  await logger(['--tcp', '--rfc5424=nohost', '-n', '127.0.0.1', '-P', String(r.ports.tcp), '-t', 'x', 'via fallback']);
  await sendTcp(r.ports.tcp, ['<13>Jan  2 03:04:05 x[1]: bsd no host\n']);
  await rx.waitFor(2);
  t.match(rx.lines()[0], /^<13>1 \S+ edge-fallback x - - .* via fallback$/);
  t.match(rx.lines()[1], /^<13>1 \S+ edge-fallback x 1 - - bsd no host$/);
});

t.test('a listener bound to :: routes IPv4 senders by their plain address, not ::ffff:a.b.c.d', async (t) => {
  const rx = await startSyslogReceiver({ framing: 'lf' });
  const r = await startTestRouter({ routes: [['127.0.0.1', rx.url]], env: { BIND_ADDRESS: '::' } });
  t.teardown(async () => {
    await r.close();
    await rx.close();
  });
  await sendTcp(r.ports.tcp, ['<14>1 2024-05-01T10:00:00Z - app - - - tcp dual stack\n']);
  await sendUdp(r.ports.udp, ['<14>1 2024-05-01T10:00:00Z - app - - - udp dual stack']);
  await rx.waitFor(2);
  t.same(rx.lines().sort(), ['<14>1 2024-05-01T10:00:00Z 127.0.0.1 app - - - tcp dual stack', '<14>1 2024-05-01T10:00:00Z 127.0.0.1 app - - - udp dual stack']);
});
