// The TLS input (RFC 5425) end to end with certificates made by openssl in
// the test: a client with a certificate gets through to a syslog+tls drain;
// with client auth on, a client without one is rejected and counted; the
// certificate files are rewritten and app.reload() makes new connections see
// the new certificate while the router keeps running.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import t from 'tap';
import { inputStats } from '../../src/telemetry/input-metrics';
import { makeCerts } from '../helpers/certs';
import { startTestRouter } from '../helpers/router';
import { startSyslogReceiver } from '../helpers/syslog-receiver';
import { drainsOf, octet, sendTls, until } from './stream-helpers';

const certs = makeCerts();

/** The server certificate a fresh TLS connection is shown (its fingerprint). */
function peerFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ port, host: '127.0.0.1', ca: certs.ca, cert: certs.clientCert, key: certs.clientKey }, () => {
      const fp = s.getPeerCertificate().fingerprint256;
      s.end();
      resolve(fp);
    });
    s.on('error', reject);
  });
}

function fingerprintOf(pem: string): string {
  return new crypto.X509Certificate(pem).fingerprint256;
}

t.test('mutual TLS: a client certificate gets through to a syslog+tls drain; none is rejected and counted', async (t) => {
  const rx = await startSyslogReceiver({ tls: { cert: certs.serverCert, key: certs.serverKey } });
  const drainUrl = `${rx.url}?ca=${encodeURIComponent(Buffer.from(certs.ca).toString('base64'))}`;
  const r = await startTestRouter({
    routes: [['secure-app', drainUrl]],
    env: { SYSLOG_TLS_CERT_PEM: certs.serverCert, SYSLOG_TLS_KEY_PEM: certs.serverKey, SYSLOG_TLS_CA_PEM: certs.ca },
  });
  t.teardown(async () => {
    await r.close();
    await rx.close();
  });
  t.ok(r.ports.tls > 0, 'TLS listener up');
  const stats = inputStats('tls');
  const rejectedBefore = stats.rejected.tls;
  const messagesBefore = stats.messages;

  await sendTls(r.ports.tls, [octet('<14>1 2024-05-01T10:00:00Z secure-app app - - - over mTLS'), '<13>May  1 10:00:00 secure-app app: bsd over mTLS\n'], {
    ca: certs.ca,
    cert: certs.clientCert,
    key: certs.clientKey,
  });
  await rx.waitFor(2);
  t.equal(rx.lines()[0], '<14>1 2024-05-01T10:00:00Z secure-app app - - - over mTLS');
  t.match(rx.lines()[1], /^<13>1 \S+ secure-app app - - - bsd over mTLS$/);
  t.equal(drainsOf(r.app, 'secure-app')[0].connected, true, 'the drain verified the receiver against ?ca=');

  // No client certificate: the handshake fails (TLS 1.2) or the server closes
  // right after it (TLS 1.3); either way nothing is routed.
  const outcome = await new Promise<string>((resolve) => {
    const s = tls.connect({ port: r.ports.tls, host: '127.0.0.1', ca: certs.ca }, () => {
      s.write(octet('<14>1 2024-05-01T10:00:00Z secure-app app - - - must not pass'));
    });
    s.on('error', (err) => resolve(`error: ${err.message}`));
    s.on('close', () => resolve('closed'));
  });
  t.ok(outcome, `client without certificate: ${outcome}`);
  await until(() => stats.rejected.tls > rejectedBefore, 'TLS rejection counted');
  t.equal(stats.rejected.tls - rejectedBefore, 1);
  t.equal(stats.messages - messagesBefore, 2, 'nothing from the rejected client was read');

  // A client whose certificate another CA signed is rejected too.
  const other = fs.mkdtempSync(path.join(certs.dir, 'other-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(other, 'k.pem'), '-out', path.join(other, 'c.pem'), '-days', '1', '-subj', '/CN=stranger'], { stdio: 'pipe' });
  await new Promise<void>((resolve) => {
    const s = tls.connect({ port: r.ports.tls, host: '127.0.0.1', ca: certs.ca, cert: fs.readFileSync(path.join(other, 'c.pem')), key: fs.readFileSync(path.join(other, 'k.pem')) }, () => {
      // With TLS 1.3 the client is "connected" before the server has checked its certificate.
      s.write(octet('<14>1 2024-05-01T10:00:00Z secure-app app - - - stranger must not pass'));
    });
    s.on('error', () => {});
    s.on('close', () => resolve());
  });
  await until(() => stats.rejected.tls > rejectedBefore + 1, 'second rejection counted');
  t.equal(stats.rejected.tls - rejectedBefore, 2, 'a certificate from another CA is rejected');
  t.equal(stats.messages - messagesBefore, 2, 'nothing from the stranger was read');
  t.equal(rx.messages.length, 2, 'the drain got only the authenticated messages');
});

t.test('certificate files rewritten + app.reload(): new connections see the new certificate', async (t) => {
  const dir = fs.mkdtempSync(path.join(certs.dir, 'reload-'));
  const certFile = path.join(dir, 'server.pem');
  const keyFile = path.join(dir, 'server.key');
  fs.writeFileSync(certFile, certs.serverCert);
  fs.writeFileSync(keyFile, certs.serverKey);
  // A second server certificate from the same CA, with its own key.
  const p = (f: string): string => path.join(dir, f);
  fs.writeFileSync(p('ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  fs.writeFileSync(p('ca.pem'), certs.ca);
  fs.writeFileSync(p('ca.key'), certs.caKey);
  execFileSync('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('new.key'), '-out', p('new.csr'), '-subj', '/CN=localhost'], { stdio: 'pipe' });
  execFileSync('openssl', ['x509', '-req', '-in', p('new.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p('new.pem'), '-days', '1', '-extfile', p('ext')], { stdio: 'pipe' });

  const rx = await startSyslogReceiver();
  const r = await startTestRouter({
    routes: [['reloaded', rx.url]],
    env: { SYSLOG_TLS_CERT_FILE: certFile, SYSLOG_TLS_KEY_FILE: keyFile, SYSLOG_TLS_CA_PEM: certs.ca },
  });
  t.teardown(async () => {
    await r.close();
    await rx.close();
  });
  t.equal(await peerFingerprint(r.ports.tls), fingerprintOf(certs.serverCert), 'the first certificate');

  // A broken rewrite (a key that does not match) keeps the old certificate.
  fs.writeFileSync(certFile, fs.readFileSync(p('new.pem')));
  r.app.reload();
  t.equal(await peerFingerprint(r.ports.tls), fingerprintOf(certs.serverCert), 'mismatched pair: old certificate kept');

  fs.writeFileSync(keyFile, fs.readFileSync(p('new.key')));
  r.app.reload();
  const fp = await peerFingerprint(r.ports.tls);
  t.equal(fp, fingerprintOf(fs.readFileSync(p('new.pem'), 'utf8')), 'the new certificate after reload');
  t.not(fp, fingerprintOf(certs.serverCert));

  await sendTls(r.ports.tls, [octet('<14>1 2024-05-01T10:00:00Z reloaded app - - - after reload')], { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey });
  await rx.waitFor(1);
  t.equal(rx.lines()[0], '<14>1 2024-05-01T10:00:00Z reloaded app - - - after reload');
});

t.test('TLS without client auth accepts a client without a certificate; HANDSHAKE_TIMEOUT=0 is no limit', async (t) => {
  const rx = await startSyslogReceiver({ framing: 'lf' });
  // HANDSHAKE_TIMEOUT=0: no limit (not "close at once").
  const r = await startTestRouter({ routes: [['open-tls', rx.url]], env: { SYSLOG_TLS_CERT_PEM: certs.serverCert, SYSLOG_TLS_KEY_PEM: certs.serverKey, HANDSHAKE_TIMEOUT: '0' } });
  t.teardown(async () => {
    await r.close();
    await rx.close();
  });
  await sendTls(r.ports.tls, ['<14>1 2024-05-01T10:00:00Z open-tls app - - - anonymous client\n'], { ca: certs.ca });
  await rx.waitFor(1);
  t.equal(rx.lines()[0], '<14>1 2024-05-01T10:00:00Z open-tls app - - - anonymous client');
});
