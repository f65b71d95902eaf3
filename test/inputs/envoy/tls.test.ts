// TLS on the gRPC port, with client certificates required: certificates are
// made here with the openssl CLI; the client is the official-proto stand-in.
import t from 'tap';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import * as grpc from '@grpc/grpc-js';
import { EnvoyInput, envoyDefaults } from '../../../src/inputs/envoy';
import { startTestRouter } from '../../helpers/router';
import { startSyslogReceiver } from '../../helpers/syslog-receiver';
import { httpEntry, makePki, openAlsStream } from './als-client';
import { parseLine, parseReceived } from './syslog-line';

const logger = pino({ level: 'silent' });
const cluster = 'outbound|443||secure.prod.svc.cluster.local';

t.test('TLS with client certificates required', async (t) => {
  const pki = makePki();
  const receiver = await startSyslogReceiver();
  const tr = await startTestRouter({ routes: [['secure.prod', receiver.url]] });
  const input = new EnvoyInput(
    {
      ...envoyDefaults,
      host: '127.0.0.1',
      port: 0,
      tls: { cert: pki.serverCert, key: pki.serverKey, ca: pki.ca, requireClientCert: true },
    },
    tr.router,
    logger,
  );
  await input.start();
  t.teardown(async () => {
    await input.close();
    await tr.close();
    await receiver.close();
    pki.cleanup();
  });

  const ca = Buffer.from(pki.ca);
  const good = openAlsStream(input.port, {
    creds: grpc.credentials.createSsl(ca, Buffer.from(pki.clientKey), Buffer.from(pki.clientCert)),
  });
  await good.send({ http_logs: { log_entry: [httpEntry({ cluster, path: '/over-tls', status: 200 })] } });
  good.call.end();
  t.equal((await good.done).code, grpc.status.OK, 'a client with a certificate from the CA is served');
  good.client.close();
  await receiver.waitFor(1);
  const m = parseReceived(receiver.messages[0]);
  t.equal(m.hostname, 'secure.prod');
  t.equal(parseLine(m.msg).get('path'), '/over-tls');

  const anonymous = openAlsStream(input.port, { creds: grpc.credentials.createSsl(ca) });
  anonymous.call.write({ http_logs: { log_entry: [httpEntry({ cluster, path: '/anonymous' })] } });
  anonymous.call.end();
  t.equal((await anonymous.done).code, grpc.status.UNAVAILABLE, 'a client without a certificate is refused');
  anonymous.client.close();

  const stranger = openAlsStream(input.port, {
    creds: grpc.credentials.createSsl(ca, Buffer.from(pki.strangerKey), Buffer.from(pki.strangerCert)),
  });
  stranger.call.write({ http_logs: { log_entry: [httpEntry({ cluster, path: '/stranger' })] } });
  stranger.call.end();
  t.equal((await stranger.done).code, grpc.status.UNAVAILABLE, 'a certificate from another CA is refused');
  stranger.client.close();

  const plain = openAlsStream(input.port);
  plain.call.write({ http_logs: { log_entry: [httpEntry({ cluster, path: '/plaintext' })] } });
  plain.call.end();
  t.equal((await plain.done).code, grpc.status.UNAVAILABLE, 'plaintext is refused');
  plain.client.close();

  t.equal(input.stats.count('http', 'accepted'), 1, 'only the authenticated entry got through');
  t.equal(receiver.messages.length, 1);
});

t.test('TLS from files, client certificates optional', async (t) => {
  const pki = makePki();
  const receiver = await startSyslogReceiver();
  const tr = await startTestRouter({ routes: [['secure.prod', receiver.url]] });
  const input = new EnvoyInput(
    {
      ...envoyDefaults,
      host: '127.0.0.1',
      port: 0,
      tls: { cert: path.join(pki.dir, 'server.crt'), key: path.join(pki.dir, 'server.key'), requireClientCert: false },
    },
    tr.router,
    logger,
  );
  await input.start();
  t.teardown(async () => {
    await input.close();
    await tr.close();
    await receiver.close();
    pki.cleanup();
  });
  const s = openAlsStream(input.port, { creds: grpc.credentials.createSsl(Buffer.from(pki.ca)) });
  await s.send({ http_logs: { log_entry: [httpEntry({ cluster, path: '/no-client-cert' })] } });
  s.call.end();
  t.equal((await s.done).code, grpc.status.OK);
  s.client.close();
  await receiver.waitFor(1);
  t.equal(parseLine(parseReceived(receiver.messages[0]).msg).get('path'), '/no-client-cert');
});

t.test('TLS misconfiguration is refused with coded errors', async (t) => {
  const router = { routeMessage: () => 0 };
  t.throws(
    () => new EnvoyInput({ ...envoyDefaults, port: 0, tls: { cert: 'c', key: 'k', requireClientCert: true } }, router, logger),
    { code: 'SY_ERR_ENVOY_CONFIG' },
    'requiring client certificates without a CA',
  );
  t.throws(
    () => new EnvoyInput({ ...envoyDefaults, port: 0, tls: { cert: '', key: 'k', requireClientCert: false } }, router, logger),
    { code: 'SY_ERR_ENVOY_CONFIG' },
  );
  const missing = path.join(os.tmpdir(), `switchyard-envoy-absent-${process.pid}`, 'absent.pem');
  const input = new EnvoyInput(
    { ...envoyDefaults, host: '127.0.0.1', port: 0, tls: { cert: missing, key: missing, requireClientCert: false } },
    router,
    logger,
  );
  await t.rejects(input.start(), { code: 'SY_ERR_ENVOY_TLS' });
  input.destroy();
});

t.test('other options are checked before anything listens', async (t) => {
  const router = { routeMessage: () => 0 };
  const bad: Array<[string, object]> = [
    ['port', { port: 70000 }],
    ['host', { host: '' }],
    ['app name with a space', { appName: 'my app' }],
    ['app name too long', { appName: 'a'.repeat(49) }],
    ['negative stream age', { maxStreamAgeMs: -1 }],
    ['tiny message limit', { maxReceiveMessageBytes: 10 }],
  ];
  for (const [what, o] of bad) {
    t.throws(() => new EnvoyInput({ ...envoyDefaults, ...o }, router, logger), { code: 'SY_ERR_ENVOY_CONFIG' }, what);
  }
  t.doesNotThrow(() => new EnvoyInput({ ...envoyDefaults, appName: 'akkeris/router', maxStreamAgeMs: 0 }, router, logger));
});
