// Configuration parsing without any network: durations, sizes, booleans,
// ports, PEM text vs FILE, flags, and errors that name the variable.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { ConfigError, SETTINGS, flagsToEnv, helpText, loadConfig, parseBool, parseBytes, parseDuration, parseZone } from '../src/config';

const PEM_CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const PEM_KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';

const fails = (t: Test, env: Record<string, string>, re: RegExp, argv: string[] = []): void => {
  try {
    loadConfig(env, argv);
    t.fail(`accepted ${JSON.stringify(env)} ${argv.join(' ')}`);
  } catch (err) {
    t.ok(err instanceof ConfigError, 'a ConfigError');
    t.equal((err as ConfigError).code, 'SY_ERR_CONFIG');
    t.match((err as Error).message, re);
    t.notMatch((err as Error).message, /\n/, 'one line');
  }
};

t.test('defaults', async (t) => {
  const c = loadConfig({});
  t.same(c.ports, { http: 9000, envoy: 9001, tcp: 9002, udp: 9003, tls: 9004 });
  t.equal(c.maxMessageBytes, 64 * 1024);
  t.equal(c.idleTimeoutMs, 600_000);
  t.equal(c.handshakeTimeoutMs, 10_000);
  t.same(c.drain, { bufferBytes: 8 * 1024 * 1024, pauseBytes: 1024 * 1024, bufferMessages: 50000, policy: 'backpressure', graceMs: 1000, connectTimeoutMs: 5000, writeTimeoutMs: 30000, lingerMs: 200, shareConnections: true });
  t.equal(c.tls, null);
  t.equal(c.inputs.tls, false, 'TLS is off without a certificate');
  t.equal(c.hostnameFallback, null);
  t.equal(c.routesFile, null);
  t.equal(c.persistent.path, '/logs/');
});

t.test('durations', async (t) => {
  const cases: Array<[string, number | undefined]> = [
    ['500ms', 500], ['10s', 10_000], ['5m', 300_000], ['2h', 7_200_000], ['250', 250], ['1.5s', 1500], [' 3s ', 3000], ['0', 0],
    ['', undefined], ['10 years', undefined], ['-1s', undefined], ['2d', 172_800_000], ['1w', undefined], ['s', undefined],
  ];
  for (const [v, want] of cases) t.equal(parseDuration(v), want, JSON.stringify(v));
  t.equal(loadConfig({ DRAIN_OVERFLOW_GRACE: '300ms', IDLE_TIMEOUT: '0' }).drain.graceMs, 300);
  t.equal(loadConfig({ IDLE_TIMEOUT: '0' }).idleTimeoutMs, 0);
  fails(t, { SHUTDOWN_GRACE: 'soon' }, /^SHUTDOWN_GRACE="soon" is invalid: expected a duration/);
});

t.test('sizes', async (t) => {
  const cases: Array<[string, number | undefined]> = [
    ['65536', 65536], ['64KiB', 65536], ['64k', 65536], ['64KB', 65536], ['8MiB', 8 << 20], ['1g', 1 << 30], ['2 MiB', 2 << 20], ['10b', 10],
    ['0', undefined], ['-1', undefined], ['1.5MiB', undefined], ['lots', undefined], ['8TiB', undefined],
  ];
  for (const [v, want] of cases) t.equal(parseBytes(v), want, JSON.stringify(v));
  t.equal(loadConfig({ MAX_MESSAGE_BYTES: '2KiB' }).maxMessageBytes, 2048);
  fails(t, { DRAIN_BUFFER_BYTES: '1.5MiB' }, /^DRAIN_BUFFER_BYTES="1.5MiB" is invalid: expected a size/);
});

t.test('booleans, ports, integers, enums, zones, paths', async (t) => {
  for (const v of ['true', 'TRUE', '1', 'yes', 'on']) t.equal(parseBool(v), true, v);
  for (const v of ['false', '0', 'no', 'Off']) t.equal(parseBool(v), false, v);
  t.equal(parseBool('maybe'), undefined);
  t.equal(loadConfig({ SYSLOG_UDP: 'false' }).inputs.udp, false);
  fails(t, { SYSLOG_TCP: 'nah' }, /^SYSLOG_TCP="nah" is invalid: expected true or false/);
  t.equal(loadConfig({ HTTP_PORT: '0' }).ports.http, 0);
  fails(t, { HTTP_PORT: 'abc' }, /^HTTP_PORT="abc" is invalid: expected a port number/);
  fails(t, { SYSLOG_TCP_PORT: '65536' }, /^SYSLOG_TCP_PORT="65536"/);
  fails(t, { MAX_CONNECTIONS: '0' }, /^MAX_CONNECTIONS="0" is invalid: expected a positive integer/);
  fails(t, { DRAIN_OVERFLOW_POLICY: 'yolo' }, /^DRAIN_OVERFLOW_POLICY="yolo" is invalid: expected backpressure, block, drop/);
  t.equal(loadConfig({ DRAIN_OVERFLOW_POLICY: 'drop' }).drain.policy, 'drop');
  t.equal(parseZone('UTC'), 0);
  t.equal(parseZone('+02:00'), 120);
  t.equal(parseZone('-0530'), -330);
  t.equal(parseZone('Mars/Olympus'), undefined);
  fails(t, { SYSLOG_TIMEZONE: 'CEST' }, /^SYSLOG_TIMEZONE="CEST"/);
  fails(t, { HTTP_SYSLOG_PATH: 'syslog' }, /^HTTP_SYSLOG_PATH="syslog" is invalid: expected a path starting with \//);
  t.equal(loadConfig({ PERSISTENT_PATH: '/archive' }).persistent.path, '/archive/');
  t.equal(loadConfig({ HOSTNAME_FALLBACK: 'edge-1' }).hostnameFallback, 'edge-1');
});

t.test('TLS material: PEM text, FILE paths, and their errors', async (t) => {
  const c = loadConfig({ SYSLOG_TLS_CERT_PEM: PEM_CERT, SYSLOG_TLS_KEY_PEM: PEM_KEY });
  t.equal(c.inputs.tls, true);
  t.match(c.tls, { cert: PEM_CERT, key: PEM_KEY, ca: '', clientAuth: false, certFile: '', keyFile: '' });
  const withCa = loadConfig({ SYSLOG_TLS_CERT_PEM: PEM_CERT, SYSLOG_TLS_KEY_PEM: PEM_KEY, SYSLOG_TLS_CA_PEM: PEM_CERT });
  t.equal(withCa.tls?.clientAuth, true, 'a CA turns client auth on');
  t.equal(loadConfig({ SYSLOG_TLS_CERT_PEM: PEM_CERT, SYSLOG_TLS_KEY_PEM: PEM_KEY, SYSLOG_TLS_CA_PEM: PEM_CERT, SYSLOG_TLS_CLIENT_AUTH: 'false' }).tls?.clientAuth, false);
  t.equal(loadConfig({ SYSLOG_TLS_CERT_PEM: PEM_CERT, SYSLOG_TLS_KEY_PEM: PEM_KEY, SYSLOG_TLS: 'false' }).inputs.tls, false);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-config-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'c.pem'), PEM_CERT);
  fs.writeFileSync(path.join(dir, 'k.pem'), PEM_KEY);
  const f = loadConfig({ SYSLOG_TLS_CERT_FILE: path.join(dir, 'c.pem'), SYSLOG_TLS_KEY_FILE: path.join(dir, 'k.pem') });
  t.match(f.tls, { cert: PEM_CERT, key: PEM_KEY, certFile: path.join(dir, 'c.pem'), keyFile: path.join(dir, 'k.pem') });
  const byFlag = loadConfig({}, [`--syslog-tls-cert-file=${path.join(dir, 'c.pem')}`, '--syslog-tls-key-file', path.join(dir, 'k.pem')]);
  t.equal(byFlag.tls?.key, PEM_KEY, '*_FILE works as a flag too');

  fails(t, { SYSLOG_TLS_CERT_PEM: 'hello' }, /^SYSLOG_TLS_CERT_PEM is not PEM text/);
  fails(t, { SYSLOG_TLS_CERT_PEM: PEM_CERT }, /SYSLOG_TLS_CERT_PEM and SYSLOG_TLS_KEY_PEM go together/);
  fails(t, { SYSLOG_TLS_CERT_PEM: PEM_CERT, SYSLOG_TLS_CERT_FILE: path.join(dir, 'c.pem'), SYSLOG_TLS_KEY_PEM: PEM_KEY }, /SYSLOG_TLS_CERT_PEM and SYSLOG_TLS_CERT_FILE are both set/);
  fails(t, { SYSLOG_TLS_KEY_FILE: path.join(dir, 'missing.pem') }, /^SYSLOG_TLS_KEY_FILE=.*missing\.pem cannot be read/);
  fails(t, { ENVOY_TLS_KEY_PEM: PEM_KEY }, /ENVOY_TLS_CERT_PEM and ENVOY_TLS_KEY_PEM go together/);
});

t.test('flags mirror the environment and win over it', async (t) => {
  t.same(flagsToEnv(['--http-port', '1234', '--no-envoy', '--syslog-udp', '--max-message-bytes=8KiB']), {
    HTTP_PORT: '1234',
    ENVOY: 'false',
    SYSLOG_UDP: 'true',
    MAX_MESSAGE_BYTES: '8KiB',
  });
  const c = loadConfig({ HTTP_PORT: '1' }, ['--http-port=2']);
  t.equal(c.ports.http, 2);
  fails(t, {}, /^unknown flag --colour \(see --help\)$/, ['--colour=red']);
  fails(t, {}, /^unknown flag --no-colour \(see --help\)$/, ['--no-colour']);
  fails(t, {}, /^unexpected argument "serve"/, ['serve']);
  fails(t, {}, /^--http-port needs a value/, ['--http-port']);
  fails(t, {}, /^HTTP_PORT="x"/, ['--http-port=x']);
});

t.test('--help lists every setting with its flag and default', async (t) => {
  const h = helpText();
  for (const s of SETTINGS) {
    t.match(h, new RegExp(`\\b${s.env}\\b`), s.env);
    t.match(h, `--${s.env.toLowerCase().replace(/_/g, '-')}`);
  }
  t.ok(SETTINGS.length >= 40, 'the whole table');
});
