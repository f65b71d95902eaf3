// The UDP input end to end: logger(1) --udp in RFC 5424 and 3164, raw
// datagrams with trailing LF/NUL, nil hostnames, oversize datagrams truncated
// and counted, garbage counted as parse errors.
import os from 'node:os';
import t from 'tap';
import { inputStats } from '../../src/telemetry/input-metrics';
import { startTestRouter } from '../helpers/router';
import { startSyslogReceiver } from '../helpers/syslog-receiver';
import { logger, sendUdp, until } from './stream-helpers';

const HOST = os.hostname();

t.test('UDP: logger(1) 5424 and 3164, raw datagrams, fallback, oversize, garbage', async (t) => {
  const rx = await startSyslogReceiver();
  const fb = await startSyslogReceiver({ framing: 'lf' });
  const r = await startTestRouter({ routes: [[HOST, rx.url], ['127.0.0.1', fb.url]], env: { MAX_MESSAGE_BYTES: '1KiB' } });
  t.teardown(async () => {
    await r.close();
    await rx.close();
    await fb.close();
  });
  const stats = inputStats('udp');
  const before = { ...stats };
  const port = String(r.ports.udp);
  await logger(['--udp', '--rfc5424', '-n', '127.0.0.1', '-P', port, '-t', 'udpapp', '-p', 'user.err', 'over udp 5424']);
  await logger(['--udp', '--rfc3164', '-n', '127.0.0.1', '-P', port, '-t', 'udpapp', '-p', 'user.err', 'over udp 3164']);
  await logger(['--udp', '--rfc5424=nohost', '-n', '127.0.0.1', '-P', port, '-t', 'udpapp', 'nil host over udp']);
  await rx.waitFor(2);
  await fb.waitFor(1);
  const esc = HOST.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  t.match(rx.lines()[0], new RegExp(`^<11>1 \\S+ ${esc} udpapp - - \\[timeQuality [^\\]]*\\] over udp 5424$`));
  t.match(rx.lines()[1], new RegExp(`^<11>1 \\S+ ${esc} udpapp - - - over udp 3164$`));
  t.match(fb.lines()[0], /^<13>1 \S+ 127\.0\.0\.1 udpapp - - .* nil host over udp$/);

  const big = '<14>1 2024-05-01T10:00:00Z 127.0.0.1 app - - - ' + 'x'.repeat(3000);
  await sendUdp(r.ports.udp, [
    '<14>1 2024-05-01T10:00:00Z 127.0.0.1 app - - - with LF\n',
    Buffer.from('<14>1 2024-05-01T10:00:00Z 127.0.0.1 app - - - with NUL\0'),
    'not syslog at all',
    big,
    '\n',
  ]);
  await fb.waitFor(4);
  await until(() => stats.parseErrors > before.parseErrors, 'parse error counted');
  const l = fb.lines();
  t.equal(l[1], '<14>1 2024-05-01T10:00:00Z 127.0.0.1 app - - - with LF', 'trailing LF is not part of the message');
  t.equal(l[2], '<14>1 2024-05-01T10:00:00Z 127.0.0.1 app - - - with NUL');
  t.equal(l[3], big.slice(0, 1024), 'oversize datagram truncated to MAX_MESSAGE_BYTES');
  t.equal(stats.oversize - before.oversize, 1);
  t.equal(stats.parseErrors - before.parseErrors, 1, 'garbage counted');
  t.equal(stats.messages - before.messages, 7, 'the empty datagram is not a message');
  t.equal(rx.messages.length, 2);
  t.equal(fb.messages.length, 4);
});
