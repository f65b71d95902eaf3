// What the stream inputs do with senders that misbehave: oversize frames
// (octet-counted skipped, LF truncated), garbage (connection closed, counted,
// others unaffected), half-open connections (idle and handshake timeouts),
// more connections than MAX_CONNECTIONS, and a loose bound on memory while
// megabytes of oversize data go through. The server stays up throughout.
import net from 'node:net';
import t from 'tap';
import { inputStats } from '../../src/telemetry/input-metrics';
import { makeCerts } from '../helpers/certs';
import { startTestRouter } from '../helpers/router';
import { startSyslogReceiver } from '../helpers/syslog-receiver';
import { octet, openTcp, sendTcp, until } from './stream-helpers';

const msg = (s: string): string => `<14>1 2024-05-01T10:00:00Z limits app - - - ${s}`;

t.test('oversize frames, garbage, connection flood: counted, server still serving', async (t) => {
  const rx = await startSyslogReceiver();
  const r = await startTestRouter({ routes: [['limits', rx.url]], env: { MAX_MESSAGE_BYTES: '1KiB', MAX_CONNECTIONS: '20' } });
  t.teardown(async () => {
    await r.close();
    await rx.close();
  });
  const stats = inputStats('tcp');

  t.test('oversize: octet-counted skipped, LF truncated', async (t) => {
    const before = stats.oversize;
    const big = msg('x'.repeat(2000));
    await sendTcp(r.ports.tcp, [octet(msg('before')), octet(big), octet(msg('after')), big + '\n', msg('last') + '\n']);
    await rx.waitFor(4);
    t.equal(rx.lines()[0], msg('before'));
    t.equal(rx.lines()[1], msg('after'), 'the oversize octet-counted frame was skipped whole');
    t.equal(rx.lines()[2], big.slice(0, 1024), 'the oversize LF line was truncated to MAX_MESSAGE_BYTES');
    t.equal(rx.lines()[3], msg('last'), 'framing resumed after the truncated line');
    t.equal(stats.oversize - before, 2);
    rx.messages.length = 0;
  });

  t.test('garbage closes that connection only', async (t) => {
    const before = stats.framingErrors;
    const good = await openTcp(r.ports.tcp);
    good.socket.write(octet(msg('good 1')));
    await rx.waitFor(1);
    const bad = await openTcp(r.ports.tcp);
    bad.socket.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03])); // a TLS ClientHello on the plain port
    await bad.closed;
    const bad2 = await openTcp(r.ports.tcp);
    bad2.socket.write('hello there, this is not syslog\n');
    await bad2.closed;
    await until(() => stats.framingErrors - before === 2, 'framing errors counted');
    good.socket.write(octet(msg('good 2')));
    await rx.waitFor(2);
    t.same(rx.lines(), [msg('good 1'), msg('good 2')], 'the other connection was unaffected');
    good.socket.end();
    await good.closed;
    await sendTcp(r.ports.tcp, [octet(msg('new connection'))]);
    await rx.waitFor(3);
    t.equal(rx.lines()[2], msg('new connection'));
    rx.messages.length = 0;
  });

  t.test('connections above MAX_CONNECTIONS are closed and counted', async (t) => {
    const before = stats.rejected.limit;
    await until(() => stats.connections === 0, 'earlier connections closed');
    const held = [];
    for (let i = 0; i < 20; i++) held.push(await openTcp(r.ports.tcp));
    await until(() => stats.connections === 20, '20 connections open');
    const extra = [];
    for (let i = 0; i < 30; i++) extra.push(await openTcp(r.ports.tcp).catch(() => null));
    await Promise.all(extra.map((e) => e?.closed));
    t.equal(stats.rejected.limit - before, 30, 'every extra connection closed and counted');
    held[7].socket.write(octet(msg('held connection still works')));
    await rx.waitFor(1);
    t.equal(rx.lines()[0], msg('held connection still works'));
    for (const h of held) h.socket.end();
    await Promise.all(held.map((h) => h.closed));
    await sendTcp(r.ports.tcp, [octet(msg('after the flood'))]);
    await rx.waitFor(2);
    t.equal(rx.lines()[1], msg('after the flood'));
    rx.messages.length = 0;
  });

  t.test('memory stays bounded while oversize data streams through', async (t) => {
    // Each sender writes with backpressure, so what the test itself holds is
    // small: memory growth here would be the server buffering what it skips.
    const chunk = Buffer.alloc(1 << 20, 0x61);
    const MB = 32;
    const stream = async (head: Buffer, tail: Buffer): Promise<void> => {
      const { socket, closed } = await openTcp(r.ports.tcp);
      socket.write(head);
      for (let i = 0; i < MB; i++) {
        if (!socket.write(chunk)) await new Promise((res) => socket.once('drain', res));
      }
      socket.end(tail);
      await closed;
    };
    const rssBefore = process.memoryUsage().rss;
    const senders = [];
    // Octet-counted frames declaring 32 MiB, sent in full: skipped as they arrive.
    for (let c = 0; c < 4; c++) senders.push(stream(Buffer.from(`${MB << 20} `), octet(msg(`ok ${c}`))));
    // A 32 MiB LF line: truncated, the rest skipped.
    senders.push(stream(Buffer.from('<14>1 2024-05-01T10:00:00Z limits app - - - '), Buffer.concat([Buffer.from('\n'), octet(msg('ok lf'))])));
    await Promise.all(senders);
    await rx.waitFor(6);
    const sent = 5 * MB;
    const grown = (process.memoryUsage().rss - rssBefore) / 1048576;
    t.ok(grown < 64, `rss grew ${grown.toFixed(1)} MiB while ${sent} MiB of oversize data went through`);
    t.equal(rx.lines().filter((l) => /ok \d$/.test(l)).length, 4, 'every frame after an oversize one arrived');
    t.ok(rx.lines().includes(msg('ok lf')));
  });
});

t.test('half-open connections: idle and handshake timeouts close and count them', async (t) => {
  const certs = makeCerts();
  const rx = await startSyslogReceiver();
  const r = await startTestRouter({
    routes: [['limits', rx.url]],
    env: { IDLE_TIMEOUT: '300ms', HANDSHAKE_TIMEOUT: '300ms', SYSLOG_TLS_CERT_PEM: certs.serverCert, SYSLOG_TLS_KEY_PEM: certs.serverKey, SYSLOG_TCP_PROXY_PROTOCOL: 'false' },
  });
  t.teardown(async () => {
    await r.close();
    await rx.close();
  });
  const tcp = inputStats('tcp');
  const tlsStats = inputStats('tls');
  const idleBefore = tcp.rejected.idle;
  const hsBefore = tlsStats.rejected.handshake_timeout;
  const tlsErrBefore = tlsStats.rejected.tls;

  const silent = await openTcp(r.ports.tcp);
  const partial = await openTcp(r.ports.tcp);
  partial.socket.write('500 <14>1 2024-05-01T10:00:00Z limits app - - - only part of the frame');
  const talking = await openTcp(r.ports.tcp);
  talking.socket.write(octet(msg('sent then idle')));
  // A TLS client that never starts the handshake, and one that stops half way.
  const noHello = await openTcp(r.ports.tls);
  const halfHello = await openTcp(r.ports.tls);
  halfHello.socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]));
  await Promise.all([silent.closed, partial.closed, talking.closed, noHello.closed, halfHello.closed]);
  t.equal(tcp.rejected.idle - idleBefore, 3, 'three idle TCP connections closed');
  t.equal(tlsStats.rejected.handshake_timeout - hsBefore, 2, 'two stalled TLS handshakes closed');
  await new Promise((res) => setImmediate(res));
  t.equal(tlsStats.rejected.tls - tlsErrBefore, 0, 'a handshake timeout is not also counted as a TLS failure');
  await rx.waitFor(1);
  t.same(rx.lines(), [msg('sent then idle')], 'the partial frame was not delivered');
  // Still serving.
  const s = net.connect({ port: r.ports.tcp, host: '127.0.0.1' });
  s.end(octet(msg('after timeouts')));
  await rx.waitFor(2);
  t.equal(rx.lines()[1], msg('after timeouts'));
});
