// PROXY protocol v1 and v2 in front of the TCP and TLS inputs: the address in
// the header is the sender's, so a message with a nil hostname (or a 3164 line
// without one) is routed by it. A connection without a valid header is closed
// and counted; other connections are unaffected.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import t from 'tap';
import { inputStats } from '../../src/telemetry/input-metrics';
import { makeCerts } from '../helpers/certs';
import { startTestRouter } from '../helpers/router';
import { startSyslogReceiver } from '../helpers/syslog-receiver';
import { octet, openTcp, sendTcp, until } from './stream-helpers';

const SIG = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

function v2ipv4(src: string, dst: string, sport: number, dport: number): Buffer {
  const b = Buffer.alloc(16 + 12);
  SIG.copy(b, 0);
  b[12] = 0x21; // v2, PROXY
  b[13] = 0x11; // AF_INET, STREAM
  b.writeUInt16BE(12, 14);
  src.split('.').forEach((o, i) => (b[16 + i] = Number(o)));
  dst.split('.').forEach((o, i) => (b[20 + i] = Number(o)));
  b.writeUInt16BE(sport, 24);
  b.writeUInt16BE(dport, 26);
  return b;
}

function v2ipv6(src: Buffer, dst: Buffer): Buffer {
  const b = Buffer.alloc(16 + 36 + 7);
  SIG.copy(b, 0);
  b[12] = 0x21;
  b[13] = 0x21; // AF_INET6, STREAM
  b.writeUInt16BE(36 + 7, 14); // with one TLV (type 0x04 NOOP, 4 bytes) to skip
  src.copy(b, 16);
  dst.copy(b, 32);
  b.writeUInt16BE(1234, 48);
  b.writeUInt16BE(601, 50);
  b[52] = 0x04;
  b.writeUInt16BE(4, 53);
  return b;
}

function v2local(): Buffer {
  const b = Buffer.alloc(16);
  SIG.copy(b, 0);
  b[12] = 0x20; // v2, LOCAL
  b[13] = 0x00;
  return b;
}

t.test('PROXY v1 and v2 on TCP: routed by the address in the header', async (t) => {
  const rx4 = await startSyslogReceiver();
  const rx6 = await startSyslogReceiver();
  const local = await startSyslogReceiver();
  const r = await startTestRouter({
    routes: [['203.0.113.7', rx4.url], ['2001:db8::1', rx6.url], ['127.0.0.1', local.url]],
    env: { SYSLOG_TCP_PROXY_PROTOCOL: 'true' },
  });
  t.teardown(async () => {
    await r.close();
    await Promise.all([rx4.close(), rx6.close(), local.close()]);
  });
  const stats = inputStats('tcp');
  const proxyRejected = stats.rejected.proxy;
  await sendTcp(r.ports.tcp, ['PROXY TCP4 203.0.113.7 127.0.0.1 5555 601\r\n', octet('<14>1 2024-05-01T10:00:00Z - app - - - via v1')]);
  // Header and first frame in one write, 3164 line without hostname.
  await sendTcp(r.ports.tcp, [Buffer.concat([v2ipv4('203.0.113.7', '10.0.0.1', 40000, 601), Buffer.from('<13>May  1 10:00:00 tagged[5]: via v2\n')])]);
  await sendTcp(r.ports.tcp, [v2ipv6(Buffer.from('20010db8000000000000000000000001', 'hex'), Buffer.alloc(16, 0)), '<14>1 2024-05-01T10:00:00Z - app - - - via v2 ipv6\n']);
  await sendTcp(r.ports.tcp, [v2local(), '<14>1 2024-05-01T10:00:00Z - app - - - via v2 local\n']);
  await sendTcp(r.ports.tcp, ['PROXY UNKNOWN\r\n', '<14>1 2024-05-01T10:00:00Z - app - - - via v1 unknown\n']);
  await rx4.waitFor(2);
  await rx6.waitFor(1);
  await local.waitFor(2);
  t.equal(rx4.lines()[0], '<14>1 2024-05-01T10:00:00Z 203.0.113.7 app - - - via v1');
  t.match(rx4.lines()[1], /^<13>1 \S+ 203\.0\.113\.7 tagged 5 - - via v2$/);
  t.equal(rx6.lines()[0], '<14>1 2024-05-01T10:00:00Z 2001:db8::1 app - - - via v2 ipv6');
  t.same(local.lines(), ['<14>1 2024-05-01T10:00:00Z 127.0.0.1 app - - - via v2 local', '<14>1 2024-05-01T10:00:00Z 127.0.0.1 app - - - via v1 unknown'], 'LOCAL / UNKNOWN: the socket address');

  // No header at all: closed and counted, nothing routed; the next connection works.
  const msgs = stats.messages;
  const bad = await openTcp(r.ports.tcp);
  bad.socket.write('<14>1 2024-05-01T10:00:00Z - app - - - no proxy header\n');
  await bad.closed;
  await until(() => stats.rejected.proxy === proxyRejected + 1, 'proxy rejection counted');
  // A header that never ends (only spaces after PROXY) is cut off at the length limit.
  const long = await openTcp(r.ports.tcp);
  long.socket.write('PROXY ' + ' '.repeat(600));
  await long.closed;
  t.equal(stats.rejected.proxy, proxyRejected + 2);
  t.equal(stats.messages, msgs, 'nothing was routed from them');
  await sendTcp(r.ports.tcp, ['PROXY TCP4 203.0.113.7 127.0.0.1 5555 601\r\n', '<14>1 2024-05-01T10:00:00Z - app - - - still serving\n']);
  await rx4.waitFor(3);
  t.equal(rx4.lines()[2], '<14>1 2024-05-01T10:00:00Z 203.0.113.7 app - - - still serving');
});

t.test('PROXY v1 and v2 before the TLS handshake', async (t) => {
  const certs = makeCerts();
  const rx = await startSyslogReceiver();
  const r = await startTestRouter({
    routes: [['198.51.100.9', rx.url]],
    env: { SYSLOG_TLS_CERT_PEM: certs.serverCert, SYSLOG_TLS_KEY_PEM: certs.serverKey, SYSLOG_TLS_PROXY_PROTOCOL: 'true' },
  });
  t.teardown(async () => {
    await r.close();
    await rx.close();
  });
  const viaProxy = async (header: Buffer | string, msg: string): Promise<void> => {
    const raw = net.connect({ port: r.ports.tls, host: '127.0.0.1' });
    await new Promise<void>((res, rej) => {
      raw.once('connect', () => res());
      raw.once('error', rej);
    });
    raw.write(header);
    const s = tls.connect({ socket: raw, ca: certs.ca, servername: 'localhost' });
    await new Promise<void>((res, rej) => {
      s.once('secureConnect', () => res());
      s.once('error', rej);
    });
    s.end(msg);
    s.on('data', () => {});
    await new Promise<void>((res) => s.on('close', () => res()));
  };
  await viaProxy('PROXY TCP4 198.51.100.9 127.0.0.1 1111 6514\r\n', '<14>1 2024-05-01T10:00:00Z - app - - - tls v1\n');
  await viaProxy(v2ipv4('198.51.100.9', '127.0.0.1', 2222, 6514), octet('<14>1 2024-05-01T10:00:00Z - app - - - tls v2').toString());
  await rx.waitFor(2);
  t.same(rx.lines(), ['<14>1 2024-05-01T10:00:00Z 198.51.100.9 app - - - tls v1', '<14>1 2024-05-01T10:00:00Z 198.51.100.9 app - - - tls v2']);
});

t.test('PROXY header, then mutual TLS: a signed client gets through under the proxied address; a stranger and a silent probe do not', async (t) => {
  const certs = makeCerts();
  const rx = await startSyslogReceiver();
  const r = await startTestRouter({
    routes: [['192.0.2.44', rx.url]],
    env: { SYSLOG_TLS_CERT_PEM: certs.serverCert, SYSLOG_TLS_KEY_PEM: certs.serverKey, SYSLOG_TLS_CA_PEM: certs.ca, SYSLOG_TLS_PROXY_PROTOCOL: 'true' },
  });
  t.teardown(async () => {
    await r.close();
    await rx.close();
  });
  const stats = inputStats('tls');
  const rejected = stats.rejected.tls;
  const messages = stats.messages;
  const other = fs.mkdtempSync(path.join(certs.dir, 'proxy-stranger-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(other, 'k.pem'), '-out', path.join(other, 'c.pem'), '-days', '1', '-subj', '/CN=stranger'], { stdio: 'pipe' });

  /** PROXY v2 header, then TLS with the given client certificate; resolves when the connection closes. */
  const send = async (cert: string, key: string, msg: string): Promise<void> => {
    const raw = net.connect({ port: r.ports.tls, host: '127.0.0.1' });
    await new Promise<void>((res, rej) => {
      raw.once('connect', () => res());
      raw.once('error', rej);
    });
    raw.write(v2ipv4('192.0.2.44', '127.0.0.1', 3333, 6514));
    const s = tls.connect({ socket: raw, ca: certs.ca, servername: 'localhost', cert, key }, () => s.end(octet(msg)));
    s.on('error', () => {});
    s.on('data', () => {});
    await new Promise<void>((res) => s.on('close', () => res()));
  };
  await send(certs.clientCert, certs.clientKey, '<14>1 2024-05-01T10:00:00Z - app - - - proxied mTLS');
  await rx.waitFor(1);
  t.same(rx.lines(), ['<14>1 2024-05-01T10:00:00Z 192.0.2.44 app - - - proxied mTLS']);

  await send(fs.readFileSync(path.join(other, 'c.pem'), 'utf8'), fs.readFileSync(path.join(other, 'k.pem'), 'utf8'), '<14>1 2024-05-01T10:00:00Z - app - - - stranger');
  await until(() => stats.rejected.tls > rejected, 'stranger rejected');

  // A load balancer's health check: PROXY header, then the connection closes
  // before any TLS. It failed nothing, so it is not counted as a TLS failure.
  const probe = await openTcp(r.ports.tls);
  probe.socket.end(v2ipv4('192.0.2.44', '127.0.0.1', 4444, 6514));
  await probe.closed;
  await send(certs.clientCert, certs.clientKey, '<14>1 2024-05-01T10:00:00Z - app - - - after the probe');
  await rx.waitFor(2);
  t.equal(stats.rejected.tls - rejected, 1, 'only the stranger counted as a TLS failure');
  t.equal(stats.messages - messages, 2, 'nothing from the stranger was read');
});
