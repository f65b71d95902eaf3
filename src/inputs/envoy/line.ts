// Envoy access-log entry → one key=value log line, its severity and its time.
// Pure: no I/O, no clock, tested without a network.
//
// THE LINE FORMAT (stable: keys keep this order; new keys are only appended
// before intermediate/truncated). A key is left out when Envoy did not set
// its field. Quoting: see line-writer.ts (values with spaces, quotes, '=',
// '\' or control characters are double-quoted, '"' and '\' escaped).
//
// HTTP entries (http_logs):
//   method            request method (GET, POST, ...)
//   authority         Host / :authority
//   path              request path (after any rewrite)
//   protocol          HTTP/1.0, HTTP/1.1, HTTP/2, HTTP/3
//   status            response code
//   flags             Envoy response flags, short codes joined by ',' (UH,UF,...)
//   bytes_in          request headers + body bytes
//   bytes_out         response headers + body bytes
//   duration_ms       total duration, milliseconds with 3 decimals
//   upstream_host     upstream address (ip:port, [ipv6]:port, pipe path)
//   upstream_cluster  upstream cluster name
//   request_id        x-request-id
//   user_agent        User-Agent
//   client            downstream remote address
//   tls               TLSv1, TLSv1.1, TLSv1.2, TLSv1.3
//   sni               TLS server name
//   upstream_failure  upstream transport failure reason
//   termination       connection termination details
//   details           response code details
//   intermediate      "true" on periodic entries of a request still running
//   truncated         "true" when a value was cut to 1024 characters
//
// TCP entries (tcp_logs): protocol=tcp, then flags, bytes_in (bytes received
// from downstream), bytes_out (bytes sent downstream), duration_ms,
// upstream_host, upstream_cluster, client, tls, sni, upstream_failure,
// termination, intermediate, truncated, with the meanings above.
//
// Severity: HTTP 5xx → error (3), 4xx → warning (4), anything else (including
// no status) → info (6). TCP → info (6), or warning (4) when Envoy recorded
// connection termination details (it closed the connection itself, e.g. an
// RBAC denial). Facility: local0 (16), the conventional facility for a
// site's own infrastructure, so drains can tell router lines from app lines.
//
// Time: common_properties.start_time; when it is absent or outside what
// RFC 5424 can write (years 1..9999, and we also refuse the epoch itself,
// which is what an unset timestamp decodes to), the time of receipt.

import type { LineWriter } from './line-writer';
import type {
  AccessLogCommon,
  Address,
  Duration,
  HTTPAccessLogEntry,
  ResponseFlags,
  TCPAccessLogEntry,
  Timestamp,
} from './types';

export const FACILITY_LOCAL0 = 16;
export const SEVERITY_ERROR = 3;
export const SEVERITY_WARNING = 4;
export const SEVERITY_INFO = 6;

/** Severity of an HTTP entry from its status code (absent → info). */
export function httpSeverity(status: number | undefined | null): number {
  if (status === undefined || status === null) return SEVERITY_INFO;
  if (status >= 500 && status <= 599) return SEVERITY_ERROR;
  if (status >= 400 && status <= 499) return SEVERITY_WARNING;
  return SEVERITY_INFO;
}

/** Severity of a TCP entry: a connection Envoy terminated itself is a warning. */
export function tcpSeverity(common: AccessLogCommon | undefined): number {
  return common && common.connection_termination_details ? SEVERITY_WARNING : SEVERITY_INFO;
}

// Largest second RFC 5424 can write (9999-12-31T23:59:59Z).
const MAX_SECONDS = 253402300799;

/** Entry start time in epoch milliseconds, or -1 when absent or unusable (the caller uses the time of receipt). */
export function entryTimeMs(common: AccessLogCommon | undefined): number {
  const t: Timestamp | undefined = common ? common.start_time : undefined;
  if (!t) return -1;
  const s = t.seconds;
  if (typeof s !== 'number' || !(s > 0) || s > MAX_SECONDS) return -1;
  const nanos = typeof t.nanos === 'number' && t.nanos > 0 && t.nanos < 1e9 ? t.nanos : 0;
  return s * 1000 + Math.floor(nanos / 1e6);
}

// Envoy's own short codes (as %RESPONSE_FLAGS% prints them), in field order.
const RESPONSE_FLAG_CODES: ReadonlyArray<readonly [keyof ResponseFlags & string, string]> = [
  ['failed_local_healthcheck', 'LH'],
  ['no_healthy_upstream', 'UH'],
  ['upstream_request_timeout', 'UT'],
  ['local_reset', 'LR'],
  ['upstream_remote_reset', 'UR'],
  ['upstream_connection_failure', 'UF'],
  ['upstream_connection_termination', 'UC'],
  ['upstream_overflow', 'UO'],
  ['no_route_found', 'NR'],
  ['delay_injected', 'DI'],
  ['fault_injected', 'FI'],
  ['rate_limited', 'RL'],
  ['unauthorized_details', 'UAEX'],
  ['rate_limit_service_error', 'RLSE'],
  ['downstream_connection_termination', 'DC'],
  ['upstream_retry_limit_exceeded', 'URX'],
  ['stream_idle_timeout', 'SI'],
  ['invalid_envoy_request_headers', 'IH'],
  ['downstream_protocol_error', 'DPE'],
  ['upstream_max_stream_duration_reached', 'UMSDR'],
  ['response_from_cache_filter', 'RFCF'],
  ['no_filter_config_found', 'NFCF'],
  ['duration_timeout', 'DT'],
  ['upstream_protocol_error', 'UPE'],
  ['no_cluster_found', 'NC'],
  ['overload_manager', 'OM'],
  ['dns_resolution_failure', 'DF'],
  ['downstream_remote_reset', 'DR'],
];

const PROTOCOLS: Readonly<Record<string, string>> = {
  HTTP10: 'HTTP/1.0',
  HTTP11: 'HTTP/1.1',
  HTTP2: 'HTTP/2',
  HTTP3: 'HTTP/3',
};

const TLS_VERSIONS: Readonly<Record<string, string>> = {
  TLSv1: 'TLSv1',
  TLSv1_1: 'TLSv1.1',
  TLSv1_2: 'TLSv1.2',
  TLSv1_3: 'TLSv1.3',
};

// Envoy's periodic access-log types: the request or connection is still open.
const PERIODIC_TYPES: ReadonlySet<string> = new Set(['TcpPeriodic', 'DownstreamPeriodic', 'UpstreamPeriodic', 'UdpPeriodic']);

/** Whether an entry is a periodic flush of something still running. */
export function isIntermediate(common: AccessLogCommon | undefined): boolean {
  if (!common) return false;
  if (common.intermediate_log_entry === true) return true;
  return common.access_log_type !== undefined && PERIODIC_TYPES.has(common.access_log_type);
}

function writeFlags(w: LineWriter, flags: ResponseFlags | undefined): void {
  if (!flags) return;
  let first = true;
  for (let i = 0; i < RESPONSE_FLAG_CODES.length; i++) {
    const [field, code] = RESPONSE_FLAG_CODES[i];
    if (!flags[field]) continue;
    if (first) {
      w.key('flags');
      first = false;
    } else {
      w.byte(0x2c);
    }
    w.ascii(code);
  }
}

function writeAddress(w: LineWriter, k: string, a: Address | undefined): void {
  if (!a) return;
  const s = a.socket_address;
  if (s) {
    if (!s.address) return;
    w.key(k);
    // The host part comes from the sender: it goes through value() (quoted
    // if odd); the port is a number or a named port.
    const v6 = s.address.indexOf(':') >= 0;
    if (v6) w.byte(0x5b);
    w.value(s.address);
    if (v6) w.byte(0x5d);
    if (typeof s.port_value === 'number') {
      w.byte(0x3a);
      w.writeUint(s.port_value);
    } else if (s.named_port) {
      w.byte(0x3a);
      w.value(s.named_port);
    }
    return;
  }
  if (a.pipe) {
    w.str(k, a.pipe.path);
    return;
  }
  if (a.envoy_internal_address) w.str(k, a.envoy_internal_address.server_listener_name);
}

function durationMicros(d: Duration | undefined): number {
  if (!d) return -1;
  const s = typeof d.seconds === 'number' ? d.seconds : 0;
  const n = typeof d.nanos === 'number' ? d.nanos : 0;
  const us = s * 1e6 + Math.floor(n / 1000);
  return us >= 0 && us <= Number.MAX_SAFE_INTEGER ? us : -1;
}

// Prefer the v3 `duration` field; older Envoys only set the last byte time.
function writeDuration(w: LineWriter, c: AccessLogCommon): void {
  let us = durationMicros(c.duration);
  if (us < 0) us = durationMicros(c.time_to_last_downstream_tx_byte);
  if (us < 0) return;
  w.key('duration_ms');
  w.writeMillis3(us);
}

function writeTls(w: LineWriter, c: AccessLogCommon): void {
  const t = c.tls_properties;
  if (!t) return;
  const v = t.tls_version ? TLS_VERSIONS[t.tls_version] : undefined;
  if (v) w.bare('tls', v);
  w.str('sni', t.tls_sni_hostname);
}

function writeTail(w: LineWriter, c: AccessLogCommon | undefined): void {
  if (c) {
    w.str('upstream_failure', c.upstream_transport_failure_reason);
    w.str('termination', c.connection_termination_details);
  }
}

function sum(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined && b === undefined) return undefined;
  return (a || 0) + (b || 0);
}

/** Writes the line for an HTTP entry (format above). `w` is not reset here. */
export function writeHttpLine(w: LineWriter, e: HTTPAccessLogEntry): void {
  const c = e.common_properties;
  const req = e.request;
  const res = e.response;
  if (req) {
    if (req.request_method && req.request_method !== 'METHOD_UNSPECIFIED') w.bare('method', req.request_method);
    w.str('authority', req.authority);
    w.str('path', req.path);
  }
  const proto = e.protocol_version ? PROTOCOLS[e.protocol_version] : undefined;
  if (proto) w.bare('protocol', proto);
  if (res && res.response_code) w.uint('status', res.response_code.value ?? 0);
  if (c) writeFlags(w, c.response_flags);
  if (req) w.uint('bytes_in', sum(req.request_headers_bytes, req.request_body_bytes));
  if (res) w.uint('bytes_out', sum(res.response_headers_bytes, res.response_body_bytes));
  if (c) {
    writeDuration(w, c);
    writeAddress(w, 'upstream_host', c.upstream_remote_address);
    w.str('upstream_cluster', c.upstream_cluster);
  }
  if (req) {
    w.str('request_id', req.request_id);
    w.str('user_agent', req.user_agent);
  }
  if (c) {
    writeAddress(w, 'client', c.downstream_remote_address);
    writeTls(w, c);
  }
  writeTail(w, c);
  if (res) w.str('details', res.response_code_details);
  if (isIntermediate(c)) w.bare('intermediate', 'true');
  if (w.truncated) w.bare('truncated', 'true');
}

/** Writes the line for a TCP entry (format above). `w` is not reset here. */
export function writeTcpLine(w: LineWriter, e: TCPAccessLogEntry): void {
  const c = e.common_properties;
  const conn = e.connection_properties;
  w.bare('protocol', 'tcp');
  if (c) writeFlags(w, c.response_flags);
  if (conn) {
    w.uint('bytes_in', conn.received_bytes ?? 0);
    w.uint('bytes_out', conn.sent_bytes ?? 0);
  }
  if (c) {
    writeDuration(w, c);
    writeAddress(w, 'upstream_host', c.upstream_remote_address);
    w.str('upstream_cluster', c.upstream_cluster);
    writeAddress(w, 'client', c.downstream_remote_address);
    writeTls(w, c);
  }
  writeTail(w, c);
  if (isIntermediate(c)) w.bare('intermediate', 'true');
  if (w.truncated) w.bare('truncated', 'true');
}

/** The status code of an HTTP entry, if Envoy recorded one. */
export function httpStatus(e: HTTPAccessLogEntry): number | undefined {
  const rc = e.response && e.response.response_code;
  return rc ? (rc.value ?? 0) : undefined;
}
