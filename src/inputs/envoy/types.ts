// The shapes @grpc/proto-loader decodes proto/envoy/** into, with the loader
// options in proto.ts (keepCase, longs: Number, enums: String, defaults:
// false, oneofs: true): field names as in the .proto, 64-bit integers as
// numbers, enums as their names, and unset fields absent (undefined).
// Everything is optional: a sender may omit any field, and we never trust it.

export interface Timestamp {
  seconds?: number;
  nanos?: number;
}
export type Duration = Timestamp;

export interface UInt32Value {
  value?: number;
}

export interface SocketAddress {
  protocol?: string;
  address?: string;
  port_value?: number;
  named_port?: string;
}

export interface Address {
  socket_address?: SocketAddress;
  pipe?: { path?: string; mode?: number };
  envoy_internal_address?: { server_listener_name?: string; endpoint_id?: string };
}

export interface Node {
  id?: string;
  cluster?: string;
}

export interface TLSProperties {
  tls_version?: string;
  tls_cipher_suite?: UInt32Value;
  tls_sni_hostname?: string;
}

export type ResponseFlags = Record<string, boolean | { reason?: string } | undefined>;

export interface AccessLogCommon {
  sample_rate?: number;
  downstream_remote_address?: Address;
  downstream_local_address?: Address;
  tls_properties?: TLSProperties;
  start_time?: Timestamp;
  time_to_last_downstream_tx_byte?: Duration;
  upstream_remote_address?: Address;
  upstream_local_address?: Address;
  upstream_cluster?: string;
  response_flags?: ResponseFlags;
  upstream_transport_failure_reason?: string;
  route_name?: string;
  downstream_direct_remote_address?: Address;
  duration?: Duration;
  upstream_request_attempt_count?: number;
  connection_termination_details?: string;
  stream_id?: string;
  intermediate_log_entry?: boolean;
  downstream_transport_failure_reason?: string;
  access_log_type?: string;
}

export interface HTTPRequestProperties {
  request_method?: string;
  scheme?: string;
  authority?: string;
  port?: UInt32Value;
  path?: string;
  user_agent?: string;
  referer?: string;
  forwarded_for?: string;
  request_id?: string;
  original_path?: string;
  request_headers_bytes?: number;
  request_body_bytes?: number;
}

export interface HTTPResponseProperties {
  response_code?: UInt32Value;
  response_headers_bytes?: number;
  response_body_bytes?: number;
  response_code_details?: string;
}

export interface HTTPAccessLogEntry {
  common_properties?: AccessLogCommon;
  protocol_version?: string;
  request?: HTTPRequestProperties;
  response?: HTTPResponseProperties;
}

export interface TCPAccessLogEntry {
  common_properties?: AccessLogCommon;
  connection_properties?: { received_bytes?: number; sent_bytes?: number };
}

export interface StreamAccessLogsMessage {
  identifier?: { node?: Node; log_name?: string };
  http_logs?: { log_entry?: HTTPAccessLogEntry[] };
  tcp_logs?: { log_entry?: TCPAccessLogEntry[] };
  log_entries?: 'http_logs' | 'tcp_logs';
}
