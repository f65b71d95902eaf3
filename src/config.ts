// Configuration: environment variables (logtrain's names where logtrain had
// one), each also settable as a flag (`HTTP_PORT` ↔ `--http-port`). One table
// holds every setting with its default and its meaning; `--help` prints it and
// the README's table is the same text. Invalid values stop start-up with one
// line naming the variable and what is wrong.
import fs from 'node:fs';
import { SwitchyardError } from './errors';

type Kind = 'port' | 'bool' | 'string' | 'int' | 'count' | 'bytes' | 'duration' | 'pem' | 'enum';

interface Setting {
  env: string;
  kind: Kind;
  dflt: string;
  help: string;
  values?: readonly string[];
}

export const SETTINGS = [
  { env: 'HTTP_PORT', kind: 'port', dflt: '9000', help: 'HTTP port: /syslog, /events, /drains, /logs, /metrics, /healthz, /readyz.' },
  { env: 'ENVOY_PORT', kind: 'port', dflt: '9001', help: 'gRPC port for Envoy access logs (AccessLogService v3).' },
  { env: 'SYSLOG_TCP_PORT', kind: 'port', dflt: '9002', help: 'syslog over TCP (octet-counted or LF framing).' },
  { env: 'SYSLOG_UDP_PORT', kind: 'port', dflt: '9003', help: 'syslog over UDP.' },
  { env: 'SYSLOG_TLS_PORT', kind: 'port', dflt: '9004', help: 'syslog over TLS (RFC 5425).' },
  { env: 'BIND_ADDRESS', kind: 'string', dflt: '0.0.0.0', help: 'Address every listener binds to.' },
  { env: 'SYSLOG_TCP', kind: 'bool', dflt: 'true', help: 'Set false to turn the TCP input off.' },
  { env: 'SYSLOG_UDP', kind: 'bool', dflt: 'true', help: 'Set false to turn the UDP input off.' },
  { env: 'SYSLOG_TLS', kind: 'bool', dflt: 'true', help: 'Set false to turn the TLS input off (it is on only when a certificate is configured).' },
  { env: 'HTTP_SYSLOG', kind: 'bool', dflt: 'true', help: 'Set false to turn POST /syslog off.' },
  { env: 'HTTP_EVENTS', kind: 'bool', dflt: 'true', help: 'Set false to turn POST /events off.' },
  { env: 'ENVOY', kind: 'bool', dflt: 'true', help: 'Set false to turn the Envoy gRPC input off.' },
  { env: 'SYSLOG_TLS_CERT_PEM', kind: 'pem', dflt: '', help: 'TLS input certificate chain, PEM text (or SYSLOG_TLS_CERT_FILE, a path; reloaded on change and SIGHUP).' },
  { env: 'SYSLOG_TLS_KEY_PEM', kind: 'pem', dflt: '', help: 'TLS input private key, PEM text (or SYSLOG_TLS_KEY_FILE).' },
  { env: 'SYSLOG_TLS_CA_PEM', kind: 'pem', dflt: '', help: 'CA for client certificates, PEM text (or SYSLOG_TLS_CA_FILE). When set, clients must present a certificate it signed.' },
  { env: 'SYSLOG_TLS_CLIENT_AUTH', kind: 'bool', dflt: 'true', help: 'With SYSLOG_TLS_CA_PEM: require client certificates (mutual TLS). Set false to accept any client.' },
  { env: 'SYSLOG_TCP_PROXY_PROTOCOL', kind: 'bool', dflt: 'false', help: 'Expect a PROXY protocol v1/v2 header on every TCP connection.' },
  { env: 'SYSLOG_TLS_PROXY_PROTOCOL', kind: 'bool', dflt: 'false', help: 'Expect a PROXY protocol v1/v2 header before the TLS handshake.' },
  { env: 'MAX_MESSAGE_BYTES', kind: 'bytes', dflt: '64KiB', help: 'Largest syslog message. Larger octet-counted frames are skipped, larger LF lines and datagrams truncated; both counted.' },
  { env: 'MAX_CONNECTIONS', kind: 'int', dflt: '10000', help: 'Open connections per stream listener; more are closed at once and counted.' },
  { env: 'IDLE_TIMEOUT', kind: 'duration', dflt: '10m', help: 'Close a syslog connection that sends nothing for this long (0 = never).' },
  { env: 'HANDSHAKE_TIMEOUT', kind: 'duration', dflt: '10s', help: 'Time allowed for the PROXY header and the TLS handshake (0 = no limit).' },
  { env: 'UDP_RECEIVE_BUFFER', kind: 'bytes', dflt: '8MiB', help: 'Kernel receive buffer asked for on the UDP socket (capped by net.core.rmem_max). What overflows it is dropped by the kernel and counted in switchyard_input_kernel_drops_total.' },
  { env: 'HOSTNAME_FALLBACK', kind: 'string', dflt: '', help: "Hostname routed by when a message has none ('-' or missing). Empty: the sender's address." },
  { env: 'SYSLOG_TIMEZONE', kind: 'string', dflt: 'UTC', help: 'Zone for RFC 3164 timestamps without one: UTC, local, or an offset like +02:00.' },
  { env: 'DRAIN_PAUSE_BYTES', kind: 'bytes', dflt: '1MiB', help: 'Stream inputs feeding a drain (backpressure and block policies) pause once it queues this much, or 80 % of its buffer if less, and resume below half of it. A drain merely slower than its inputs then holds a small backlog, not megabytes; the rest of the buffer takes what cannot wait (UDP, HTTP, gRPC) and outages.' },
  { env: 'DRAIN_BUFFER_BYTES', kind: 'bytes', dflt: '8MiB', help: 'Per-drain ring capacity in bytes (?buffer_bytes= overrides per drain). Allocated only as the backlog grows.' },
  { env: 'DRAIN_BUFFER_MESSAGES', kind: 'int', dflt: '50000', help: 'Per-drain ring capacity in messages (?buffer_messages=).' },
  { env: 'DRAIN_OVERFLOW_POLICY', kind: 'enum', dflt: 'backpressure', values: ['backpressure', 'block', 'drop'], help: 'What a full drain does: backpressure (pause inputs, then drop oldest after the grace period), block (never drop), drop (drop oldest at once). ?policy= per drain.' },
  { env: 'DRAIN_OVERFLOW_GRACE', kind: 'duration', dflt: '1s', help: 'How long a full drain may pause its inputs before it is cut loose (?grace= in ms per drain).' },
  { env: 'DRAIN_LINGER', kind: 'duration', dflt: '200ms', help: 'A syslog TCP/TLS connection with under 4 KiB queued that wrote less than this ago waits up to this long to send more in one write (0 = write at once). Busy and idle connections write at once.' },
  { env: 'DRAIN_SHARE_CONNECTIONS', kind: 'bool', dflt: 'true', help: 'syslog+tcp/syslog+tls drains with the same host, port, framing and TLS settings share one connection (each keeps its own buffer, policy and metrics). false: one connection per drain, as logtrain.' },
  { env: 'DRAIN_CONNECT_TIMEOUT', kind: 'duration', dflt: '5s', help: 'Connect timeout for drains.' },
  { env: 'DRAIN_WRITE_TIMEOUT', kind: 'duration', dflt: '30s', help: 'A stream drain that makes no write progress this long reconnects; request timeout for HTTP drains.' },
  { env: 'SHUTDOWN_GRACE', kind: 'duration', dflt: '10s', help: 'On SIGTERM/SIGINT: how long to flush drains before exiting. A second signal exits at once.' },
  { env: 'DATABASE_URL', kind: 'string', dflt: '', help: 'PostgreSQL with the drains table. Empty: embedded PGlite in DATA_DIR.' },
  { env: 'DATA_DIR', kind: 'string', dflt: './data', help: 'Data directory: embedded database, last known-good routes.' },
  { env: 'ROUTES_FILE', kind: 'string', dflt: '', help: 'Routes from a text file (`<hostname> <drain-url>` per line) instead of a database; reloaded on change and SIGHUP.' },
  { env: 'ROUTES_RESYNC_INTERVAL', kind: 'duration', dflt: '60s', help: 'Full re-read of the drains table as a safety net beside LISTEN/NOTIFY.' },
  { env: 'API_TOKEN', kind: 'string', dflt: '', help: 'Bearer token for /drains and /logs. Empty: those answer loopback clients only.' },
  { env: 'INGEST_TOKEN', kind: 'string', dflt: '', help: 'Token for POST /syslog and /events (Bearer, or Basic with the token as user). Empty: open.' },
  { env: 'HTTP_SYSLOG_PATH', kind: 'string', dflt: '/syslog', help: 'Path of the logplex/syslog ingest endpoint.' },
  { env: 'HTTP_EVENTS_PATH', kind: 'string', dflt: '/events', help: 'Path of the JSON events ingest endpoint.' },
  { env: 'HTTP_BODY_LIMIT', kind: 'bytes', dflt: '5MiB', help: 'Largest ingest request body, as sent and once decompressed (gzip, deflate); larger get 413.' },
  { env: 'PERSISTENT_DATABASE_URL', kind: 'string', dflt: '', help: 'PostgreSQL for persistent:// drains. Empty: the routes database.' },
  { env: 'PERSISTENT_PATH', kind: 'string', dflt: '/logs/', help: 'Path prefix of GET /logs/:key.' },
  { env: 'PERSISTENT_MAX_LINES', kind: 'count', dflt: '10000', help: 'Lines kept per persistent key; older ones are deleted in the background (0 = no limit).' },
  { env: 'PERSISTENT_MAX_BYTES', kind: 'count', dflt: '16MiB', help: 'Bytes of lines kept per persistent key (0 = no limit).' },
  { env: 'PERSISTENT_MAX_AGE', kind: 'duration', dflt: '7d', help: 'Oldest line kept per persistent key, by arrival time (0 = no limit). A key with no lines left, registered longer ago, is forgotten (404).' },
  { env: 'PERSISTENT_RETENTION_INTERVAL', kind: 'duration', dflt: '60s', help: 'Time between retention passes over the store.' },
  { env: 'AKKERIS', kind: 'bool', dflt: 'false', help: 'Akkeris mode for Envoy logs: app-name akkeris/router, hostnames name-namespace.' },
  { env: 'ENVOY_APP_NAME', kind: 'string', dflt: '', help: 'app-name of Envoy access-log lines (default envoy, or akkeris/router with AKKERIS).' },
  { env: 'ENVOY_MAX_STREAM_AGE', kind: 'duration', dflt: '15m', help: 'End Envoy streams older than this gracefully, so Envoy reconnects and spreads over replicas.' },
  { env: 'ENVOY_MAX_MESSAGE_BYTES', kind: 'bytes', dflt: '4MiB', help: 'Largest gRPC message accepted from Envoy.' },
  { env: 'ENVOY_TLS_CERT_PEM', kind: 'pem', dflt: '', help: 'TLS certificate for the gRPC port (or ENVOY_TLS_CERT_FILE); plaintext when unset.' },
  { env: 'ENVOY_TLS_KEY_PEM', kind: 'pem', dflt: '', help: 'TLS key for the gRPC port (or ENVOY_TLS_KEY_FILE).' },
  { env: 'ENVOY_TLS_CA_PEM', kind: 'pem', dflt: '', help: 'CA for Envoy client certificates (or ENVOY_TLS_CA_FILE); when set they are required.' },
  { env: 'LOG_LEVEL', kind: 'enum', dflt: 'info', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], help: 'Log level of the JSON logs on stdout.' },
] as const satisfies readonly Setting[];

type Env = (typeof SETTINGS)[number]['env'];

export interface Config {
  ports: { http: number; envoy: number; tcp: number; udp: number; tls: number };
  bindAddress: string;
  inputs: { tcp: boolean; udp: boolean; tls: boolean; httpSyslog: boolean; httpEvents: boolean; envoy: boolean };
  tls: { cert: string; key: string; ca: string; clientAuth: boolean; certFile: string; keyFile: string; caFile: string; proxyProtocol: boolean } | null;
  tcpProxyProtocol: boolean;
  maxMessageBytes: number;
  maxConnections: number;
  idleTimeoutMs: number;
  handshakeTimeoutMs: number;
  udpReceiveBufferBytes: number;
  hostnameFallback: string | null;
  tzOffsetMinutes: number;
  drain: { bufferBytes: number; pauseBytes: number; bufferMessages: number; policy: 'backpressure' | 'block' | 'drop'; graceMs: number; connectTimeoutMs: number; writeTimeoutMs: number; lingerMs: number; shareConnections: boolean };
  shutdownGraceMs: number;
  databaseUrl: string | null;
  dataDir: string;
  routesFile: string | null;
  routesResyncMs: number;
  apiToken: string | null;
  ingestToken: string | null;
  http: { syslogPath: string; eventsPath: string; bodyLimit: number };
  persistent: { databaseUrl: string | null; path: string; maxLines: number; maxBytes: number; maxAgeMs: number; retentionIntervalMs: number };
  envoy: { akkeris: boolean; appName: string; maxStreamAgeMs: number; maxMessageBytes: number; tls: { cert: string; key: string; ca: string } | null };
  logLevel: string;
}

export class ConfigError extends SwitchyardError {
  constructor(message: string) {
    super('SY_ERR_CONFIG', message);
  }
}

/** Flags (`--http-port 9000`, `--http-port=9000`, `--no-envoy`) → the same names as the environment. */
export function flagsToEnv(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new ConfigError(`unexpected argument "${a}" (see --help)`);
    let [name, value] = a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    let negate = false;
    if (name.startsWith('no-')) {
      negate = true;
      name = name.slice(3);
    }
    const env = name.toUpperCase().replace(/-/g, '_');
    const s = SETTINGS.find((x) => x.env === env) ?? (env.endsWith('_FILE') ? { env, kind: 'string' } : undefined);
    // Name the flag as it was typed: "--no-such-flag", not "--such-flag".
    if (!s) throw new ConfigError(`unknown flag ${a.split('=')[0]} (see --help)`);
    if (negate) value = 'false';
    else if (value === undefined && s.kind === 'bool') value = 'true';
    else if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new ConfigError(`--${name} needs a value`);
    }
    out[env] = value;
  }
  return out;
}

export function loadConfig(env: NodeJS.ProcessEnv, argv: string[] = []): Config {
  const src: Record<string, string | undefined> = { ...env, ...flagsToEnv(argv) };
  const raw = (name: Env): string => {
    const v = src[name];
    return v === undefined || v === '' ? SETTINGS.find((s) => s.env === name)!.dflt : v;
  };
  const get = <T>(name: Env, parse: (v: string) => T | undefined, what: string): T => {
    const v = raw(name);
    const r = parse(v);
    if (r === undefined) throw new ConfigError(`${name}=${JSON.stringify(v)} is invalid: expected ${what}`);
    return r;
  };
  const port = (n: Env) => get(n, (v) => (/^\d+$/.test(v) && +v >= 0 && +v < 65536 ? +v : undefined), 'a port number 0-65535');
  const bool = (n: Env) => get(n, parseBool, 'true or false');
  const int = (n: Env) => get(n, (v) => (/^\d+$/.test(v) && +v > 0 ? +v : undefined), 'a positive integer');
  const bytes = (n: Env) => get(n, parseBytes, 'a size like 65536, 64KiB or 8MiB');
  const ms = (n: Env) => get(n, parseDuration, 'a duration like 500ms, 10s, 5m or a number of milliseconds');
  const str = (n: Env) => raw(n);
  const pem = (n: Env): { text: string; file: string } => {
    const fileVar = n.replace(/_PEM$/, '_FILE');
    const file = src[fileVar] ?? '';
    const text = str(n);
    if (text && file) throw new ConfigError(`${n} and ${fileVar} are both set: use one`);
    if (file) {
      try {
        return { text: fs.readFileSync(file, 'utf8'), file };
      } catch (err) {
        throw new ConfigError(`${fileVar}=${file} cannot be read: ${(err as Error).message}`);
      }
    }
    if (text && !text.includes('-----BEGIN')) throw new ConfigError(`${n} is not PEM text (it should contain -----BEGIN ...)`);
    return { text, file: '' };
  };
  const oneOf = <V extends string>(n: Env, values: readonly V[]) => get(n, (v) => (values.includes(v as V) ? (v as V) : undefined), values.join(', '));
  const path = (n: Env) => get(n, (v) => (v.startsWith('/') ? v : undefined), 'a path starting with /');

  const cert = pem('SYSLOG_TLS_CERT_PEM');
  const key = pem('SYSLOG_TLS_KEY_PEM');
  const ca = pem('SYSLOG_TLS_CA_PEM');
  if (!!cert.text !== !!key.text) throw new ConfigError('SYSLOG_TLS_CERT_PEM and SYSLOG_TLS_KEY_PEM go together: set both or neither');
  const ecert = pem('ENVOY_TLS_CERT_PEM');
  const ekey = pem('ENVOY_TLS_KEY_PEM');
  const eca = pem('ENVOY_TLS_CA_PEM');
  if (!!ecert.text !== !!ekey.text) throw new ConfigError('ENVOY_TLS_CERT_PEM and ENVOY_TLS_KEY_PEM go together: set both or neither');
  const akkeris = bool('AKKERIS');
  const fallback = str('HOSTNAME_FALLBACK');
  const persistentPath = path('PERSISTENT_PATH');

  return {
    ports: { http: port('HTTP_PORT'), envoy: port('ENVOY_PORT'), tcp: port('SYSLOG_TCP_PORT'), udp: port('SYSLOG_UDP_PORT'), tls: port('SYSLOG_TLS_PORT') },
    bindAddress: str('BIND_ADDRESS'),
    inputs: {
      tcp: bool('SYSLOG_TCP'),
      udp: bool('SYSLOG_UDP'),
      tls: bool('SYSLOG_TLS') && !!cert.text,
      httpSyslog: bool('HTTP_SYSLOG'),
      httpEvents: bool('HTTP_EVENTS'),
      envoy: bool('ENVOY'),
    },
    tls: cert.text
      ? { cert: cert.text, key: key.text, ca: ca.text, clientAuth: !!ca.text && bool('SYSLOG_TLS_CLIENT_AUTH'), certFile: cert.file, keyFile: key.file, caFile: ca.file, proxyProtocol: bool('SYSLOG_TLS_PROXY_PROTOCOL') }
      : null,
    tcpProxyProtocol: bool('SYSLOG_TCP_PROXY_PROTOCOL'),
    // Converting RFC 3164 to 5424 needs room for the new header fields.
    maxMessageBytes: get('MAX_MESSAGE_BYTES', (v) => { const n = parseBytes(v); return n !== undefined && n >= 1024 && n <= 16 * 1024 * 1024 ? n : undefined; }, 'a size from 1KiB to 16MiB'),
    maxConnections: int('MAX_CONNECTIONS'),
    idleTimeoutMs: ms('IDLE_TIMEOUT'),
    handshakeTimeoutMs: ms('HANDSHAKE_TIMEOUT'),
    udpReceiveBufferBytes: bytes('UDP_RECEIVE_BUFFER'),
    hostnameFallback: fallback === '' ? null : fallback,
    tzOffsetMinutes: get('SYSLOG_TIMEZONE', parseZone, 'UTC, local, or an offset like +02:00'),
    drain: {
      bufferBytes: bytes('DRAIN_BUFFER_BYTES'),
      pauseBytes: bytes('DRAIN_PAUSE_BYTES'),
      bufferMessages: int('DRAIN_BUFFER_MESSAGES'),
      policy: oneOf('DRAIN_OVERFLOW_POLICY', ['backpressure', 'block', 'drop'] as const),
      graceMs: ms('DRAIN_OVERFLOW_GRACE'),
      connectTimeoutMs: ms('DRAIN_CONNECT_TIMEOUT'),
      writeTimeoutMs: ms('DRAIN_WRITE_TIMEOUT'),
      lingerMs: ms('DRAIN_LINGER'),
      shareConnections: bool('DRAIN_SHARE_CONNECTIONS'),
    },
    shutdownGraceMs: ms('SHUTDOWN_GRACE'),
    databaseUrl: str('DATABASE_URL') || null,
    dataDir: str('DATA_DIR'),
    routesFile: str('ROUTES_FILE') || null,
    routesResyncMs: ms('ROUTES_RESYNC_INTERVAL'),
    apiToken: str('API_TOKEN') || null,
    ingestToken: str('INGEST_TOKEN') || null,
    http: { syslogPath: path('HTTP_SYSLOG_PATH'), eventsPath: path('HTTP_EVENTS_PATH'), bodyLimit: bytes('HTTP_BODY_LIMIT') },
    persistent: {
      databaseUrl: str('PERSISTENT_DATABASE_URL') || null,
      path: persistentPath.endsWith('/') ? persistentPath : persistentPath + '/',
      maxLines: get('PERSISTENT_MAX_LINES', (v) => (/^\d+$/.test(v) ? +v : undefined), 'a whole number (0 = no limit)'),
      maxBytes: get('PERSISTENT_MAX_BYTES', (v) => (v.trim() === '0' ? 0 : parseBytes(v)), 'a size like 16MiB (0 = no limit)'),
      maxAgeMs: get('PERSISTENT_MAX_AGE', (v) => (v.trim() === '0' ? 0 : parseDuration(v)), 'a duration like 7d or 168h (0 = no limit)'),
      retentionIntervalMs: ms('PERSISTENT_RETENTION_INTERVAL'),
    },
    envoy: {
      akkeris,
      appName: str('ENVOY_APP_NAME') || (akkeris ? 'akkeris/router' : 'envoy'),
      maxStreamAgeMs: ms('ENVOY_MAX_STREAM_AGE'),
      maxMessageBytes: bytes('ENVOY_MAX_MESSAGE_BYTES'),
      tls: ecert.text ? { cert: ecert.text, key: ekey.text, ca: eca.text } : null,
    },
    logLevel: oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
  };
}

export function helpText(): string {
  const lines = ['switchyard — a log router. Every setting is an environment variable or a flag:', ''];
  for (const s of SETTINGS) {
    const flag = '--' + s.env.toLowerCase().replace(/_/g, '-');
    lines.push(`  ${s.env.padEnd(26)} ${flag.padEnd(30)} default: ${s.dflt === '' ? '(unset)' : s.dflt}`);
    lines.push(`      ${s.help}`);
  }
  lines.push('', 'Commands: switchyard [start] (default), switchyard migrate (apply database migrations and exit), switchyard --help.');
  return lines.join('\n');
}

export function parseBool(v: string): boolean | undefined {
  const l = v.toLowerCase();
  if (l === 'true' || l === '1' || l === 'yes' || l === 'on') return true;
  if (l === 'false' || l === '0' || l === 'no' || l === 'off') return false;
  return undefined;
}

export function parseBytes(v: string): number | undefined {
  const m = /^(\d+)\s*(b|kb|kib|k|mb|mib|m|gb|gib|g)?$/i.exec(v.trim());
  if (!m) return undefined;
  const unit = (m[2] ?? 'b').toLowerCase();
  const mult = unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 ** 2 : unit.startsWith('g') ? 1024 ** 3 : 1;
  const n = Number(m[1]) * mult;
  return n > 0 ? n : undefined;
}

export function parseDuration(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(v.trim());
  if (!m) return undefined;
  const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'ms') as 'ms'];
  return Math.round(Number(m[1]) * mult);
}

export function parseZone(v: string): number | undefined {
  if (v.toUpperCase() === 'UTC' || v === 'Z') return 0;
  if (v === 'local') return -new Date().getTimezoneOffset();
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(v);
  if (!m) return undefined;
  const mins = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === '-' ? -mins : mins;
}
