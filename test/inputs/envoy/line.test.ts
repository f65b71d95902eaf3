import t from 'tap';
import { LineWriter, MAX_VALUE_CHARS } from '../../../src/inputs/envoy/line-writer';
import {
  entryTimeMs,
  httpSeverity,
  httpStatus,
  isIntermediate,
  tcpSeverity,
  writeHttpLine,
  writeTcpLine,
} from '../../../src/inputs/envoy/line';
import type { HTTPAccessLogEntry, TCPAccessLogEntry } from '../../../src/inputs/envoy/types';

function http(e: HTTPAccessLogEntry, w = new LineWriter()): string {
  w.reset();
  writeHttpLine(w, e);
  return w.toString();
}
function tcp(e: TCPAccessLogEntry, w = new LineWriter()): string {
  w.reset();
  writeTcpLine(w, e);
  return w.toString();
}

const fullHttp: HTTPAccessLogEntry = {
  common_properties: {
    downstream_remote_address: { socket_address: { address: '203.0.113.9', port_value: 51234 } },
    tls_properties: { tls_version: 'TLSv1_3', tls_sni_hostname: 'api.example.com' },
    start_time: { seconds: 1700000000, nanos: 123456789 },
    upstream_remote_address: { socket_address: { address: '10.1.2.3', port_value: 8080 } },
    upstream_cluster: 'outbound|80||api.default.svc.cluster.local',
    response_flags: { upstream_connection_failure: true, upstream_retry_limit_exceeded: true },
    upstream_transport_failure_reason: 'delayed connect error: 111',
    duration: { seconds: 1, nanos: 234567000 },
    connection_termination_details: 'rbac_access_denied',
  },
  protocol_version: 'HTTP11',
  request: {
    request_method: 'GET',
    authority: 'api.example.com',
    path: '/v1/items?q=1',
    user_agent: 'curl/8.5.0 (x86_64) "quoted"',
    request_id: 'c0ffee-42',
    request_headers_bytes: 100,
    request_body_bytes: 23,
  },
  response: {
    response_code: { value: 503 },
    response_headers_bytes: 80,
    response_body_bytes: 19,
    response_code_details: 'upstream_reset_before_response_started{connection_failure}',
  },
};

t.test('HTTP entry with every field', async (t) => {
  t.equal(
    http(fullHttp),
    'method=GET authority=api.example.com path="/v1/items?q=1" protocol=HTTP/1.1 status=503 flags=UF,URX' +
      ' bytes_in=123 bytes_out=99 duration_ms=1234.567 upstream_host=10.1.2.3:8080' +
      ' upstream_cluster=outbound|80||api.default.svc.cluster.local request_id=c0ffee-42' +
      ' user_agent="curl/8.5.0 (x86_64) \\"quoted\\"" client=203.0.113.9:51234 tls=TLSv1.3 sni=api.example.com' +
      ' upstream_failure="delayed connect error: 111" termination=rbac_access_denied' +
      ' details=upstream_reset_before_response_started{connection_failure}',
  );
  t.equal(httpStatus(fullHttp), 503);
  t.equal(httpSeverity(httpStatus(fullHttp)), 3);
  t.equal(entryTimeMs(fullHttp.common_properties), 1700000000123);
});

t.test('HTTP entry with nothing set is an empty line, not a crash', async (t) => {
  t.equal(http({}), '');
  t.equal(http({ common_properties: {}, request: {}, response: {} }), '');
  t.equal(httpStatus({}), undefined);
  t.equal(entryTimeMs(undefined), -1);
  t.equal(entryTimeMs({}), -1);
});

t.test('HTTP entry: absent fields are left out, the rest keep their order', async (t) => {
  t.equal(
    http({
      request: { request_method: 'POST', path: '/x', request_body_bytes: 5 },
      response: { response_code: {} },
      protocol_version: 'HTTP2',
      common_properties: { time_to_last_downstream_tx_byte: { nanos: 1500000 } },
    }),
    'method=POST path=/x protocol=HTTP/2 status=0 bytes_in=5 duration_ms=1.500',
    'status 0 (no response) is written; duration falls back to the last byte time',
  );
  t.equal(
    http({ request: { request_method: 'METHOD_UNSPECIFIED' }, protocol_version: 'PROTOCOL_UNSPECIFIED' }),
    '',
    'unspecified enums are absent values',
  );
});

t.test('addresses: IPv6, named port, pipe, internal', async (t) => {
  const line = (a: object) =>
    http({ common_properties: { downstream_remote_address: a } as HTTPAccessLogEntry['common_properties'] });
  t.equal(line({ socket_address: { address: '2001:db8::1', port_value: 443 } }), 'client=[2001:db8::1]:443');
  t.equal(line({ socket_address: { address: '10.0.0.1', named_port: 'http' } }), 'client=10.0.0.1:http');
  t.equal(line({ socket_address: { address: '10.0.0.1' } }), 'client=10.0.0.1');
  t.equal(line({ socket_address: { port_value: 1 } }), '', 'no address, no key');
  t.equal(line({ pipe: { path: '/run/envoy.sock' } }), 'client=/run/envoy.sock');
  t.equal(line({ envoy_internal_address: { server_listener_name: 'inner' } }), 'client=inner');
});

t.test('quoting and escaping of values', async (t) => {
  const ua = (s: string) => http({ request: { user_agent: s } });
  t.equal(ua('plain/1.0'), 'user_agent=plain/1.0');
  t.equal(ua('has space'), 'user_agent="has space"');
  t.equal(ua('a=b'), 'user_agent="a=b"');
  t.equal(ua('say "hi"'), 'user_agent="say \\"hi\\""');
  t.equal(ua('back\\slash'), 'user_agent="back\\\\slash"');
  t.equal(ua('line1\nline2\r\tend'), 'user_agent="line1\\nline2\\r\\tend"');
  t.equal(ua('bell\u0007del\u007f'), 'user_agent="bell\\u0007del\\u007f"');
  t.equal(ua('héllo wörld ✓'), 'user_agent="héllo wörld ✓"', 'UTF-8 passes through');
  t.equal(ua(''), '', 'empty string is absent');
});

t.test('huge values are cut and the line says so', async (t) => {
  const w = new LineWriter(16);
  const long = 'p'.repeat(100000);
  const out = http({ request: { path: '/' + long, user_agent: 'ok' } }, w);
  t.equal(out, 'path=/' + 'p'.repeat(MAX_VALUE_CHARS - 1) + ' user_agent=ok truncated=true');
  // A surrogate pair straddling the cut is dropped whole, never split.
  const emoji = 'a'.repeat(MAX_VALUE_CHARS - 1) + '😀tail';
  const out2 = http({ request: { path: emoji } }, w);
  t.equal(out2, 'path=' + 'a'.repeat(MAX_VALUE_CHARS - 1) + ' truncated=true');
  t.equal(http({ request: { path: '/short' } }, w), 'path=/short', 'truncated resets per line');
});

t.test('response flags: every code, in Envoy order', async (t) => {
  const all = {
    failed_local_healthcheck: true,
    no_healthy_upstream: true,
    upstream_request_timeout: true,
    local_reset: true,
    upstream_remote_reset: true,
    upstream_connection_failure: true,
    upstream_connection_termination: true,
    upstream_overflow: true,
    no_route_found: true,
    delay_injected: true,
    fault_injected: true,
    rate_limited: true,
    unauthorized_details: { reason: 'EXTERNAL_SERVICE' },
    rate_limit_service_error: true,
    downstream_connection_termination: true,
    upstream_retry_limit_exceeded: true,
    stream_idle_timeout: true,
    invalid_envoy_request_headers: true,
    downstream_protocol_error: true,
    upstream_max_stream_duration_reached: true,
    response_from_cache_filter: true,
    no_filter_config_found: true,
    duration_timeout: true,
    upstream_protocol_error: true,
    no_cluster_found: true,
    overload_manager: true,
    dns_resolution_failure: true,
    downstream_remote_reset: true,
  };
  t.equal(
    http({ common_properties: { response_flags: all } }),
    'flags=LH,UH,UT,LR,UR,UF,UC,UO,NR,DI,FI,RL,UAEX,RLSE,DC,URX,SI,IH,DPE,UMSDR,RFCF,NFCF,DT,UPE,NC,OM,DF,DR',
  );
  t.equal(http({ common_properties: { response_flags: {} } }), '', 'no flags set, no key');
  t.equal(http({ common_properties: { response_flags: { no_route_found: true } } }), 'flags=NR');
});

t.test('intermediate entries are marked', async (t) => {
  t.equal(http({ request: { path: '/' }, common_properties: { intermediate_log_entry: true } }), 'path=/ intermediate=true');
  t.equal(
    http({ request: { path: '/' }, common_properties: { access_log_type: 'DownstreamPeriodic' } }),
    'path=/ intermediate=true',
  );
  t.equal(isIntermediate({ access_log_type: 'TcpPeriodic' }), true);
  t.equal(isIntermediate({ access_log_type: 'TcpConnectionEnd' }), false);
  t.equal(isIntermediate(undefined), false);
});

t.test('TCP entries', async (t) => {
  const full: TCPAccessLogEntry = {
    common_properties: {
      downstream_remote_address: { socket_address: { address: '10.9.8.7', port_value: 40000 } },
      upstream_remote_address: { socket_address: { address: '10.1.1.1', port_value: 5432 } },
      upstream_cluster: 'outbound|5432||pg.data.svc.cluster.local',
      tls_properties: { tls_version: 'TLSv1_2' },
      duration: { seconds: 60 },
      start_time: { seconds: 1700000100 },
      access_log_type: 'TcpPeriodic',
      response_flags: { upstream_connection_termination: true },
    },
    connection_properties: { received_bytes: 4096, sent_bytes: 2 ** 40 },
  };
  t.equal(
    tcp(full),
    'protocol=tcp flags=UC bytes_in=4096 bytes_out=1099511627776 duration_ms=60000.000 upstream_host=10.1.1.1:5432' +
      ' upstream_cluster=outbound|5432||pg.data.svc.cluster.local client=10.9.8.7:40000 tls=TLSv1.2 intermediate=true',
  );
  t.equal(tcpSeverity(full.common_properties), 6);
  t.equal(entryTimeMs(full.common_properties), 1700000100000);
  t.equal(tcp({}), 'protocol=tcp');
  t.equal(tcp({ connection_properties: {} }), 'protocol=tcp bytes_in=0 bytes_out=0');
  const ended = { common_properties: { connection_termination_details: 'rbac_access_denied_matched_policy[none]' } };
  t.equal(tcp(ended), 'protocol=tcp termination=rbac_access_denied_matched_policy[none]');
  t.equal(tcpSeverity(ended.common_properties), 4);
  t.equal(tcpSeverity(undefined), 6);
});

t.test('severity from status', async (t) => {
  const cases: Array<[number | undefined, number]> = [
    [undefined, 6],
    [0, 6],
    [100, 6],
    [200, 6],
    [204, 6],
    [301, 6],
    [399, 6],
    [400, 4],
    [404, 4],
    [499, 4],
    [500, 3],
    [503, 3],
    [599, 3],
    [600, 6],
  ];
  for (const [status, sev] of cases) t.equal(httpSeverity(status), sev, `status ${status} → ${sev}`);
});

t.test('start time: unusable values mean "use the time of receipt"', async (t) => {
  t.equal(entryTimeMs({ start_time: {} }), -1, 'unset timestamp decodes to the epoch');
  t.equal(entryTimeMs({ start_time: { seconds: -5 } }), -1);
  t.equal(entryTimeMs({ start_time: { seconds: 253402300800 } }), -1, 'year 10000');
  t.equal(entryTimeMs({ start_time: { seconds: 253402300799 } }), 253402300799000);
  t.equal(entryTimeMs({ start_time: { seconds: 10, nanos: 2e9 } }), 10000, 'invalid nanos ignored');
});

t.test('numbers are written exactly', async (t) => {
  const w = new LineWriter(1);
  for (const n of [0, 7, 10, 99, 100, 12345, 2 ** 32, Number.MAX_SAFE_INTEGER]) {
    w.reset();
    w.writeUint(n);
    t.equal(w.toString(), String(n));
  }
  for (const [us, s] of [
    [0, '0.000'],
    [1, '0.001'],
    [999, '0.999'],
    [1000, '1.000'],
    [1234567, '1234.567'],
  ] as const) {
    w.reset();
    w.writeMillis3(us);
    t.equal(w.toString(), s);
  }
});
