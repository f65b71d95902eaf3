// Per-input counters kept as plain numbers on the hot path and published at
// scrape time (see scraped() in metrics.ts).
import { scraped } from './metrics';

export class InputStats {
  messages = 0;
  bytes = 0;
  parseErrors = 0;
  oversize = 0;
  framingErrors = 0;
  /** Messages refused because a `block` drain was full and this input cannot wait (UDP). */
  dropped = 0;
  connections = 0;
  connectionsTotal = 0;
  pausedConnections = 0;
  rejected: Record<'limit' | 'closing' | 'proxy' | 'tls' | 'idle' | 'handshake_timeout', number> = { limit: 0, closing: 0, proxy: 0, tls: 0, idle: 0, handshake_timeout: 0 };
  constructor(readonly input: string) {}
}

const inputs = new Map<string, InputStats>();

/** The stats of one input (tcp, udp, tls, http_syslog, ...), shared by its listeners. */
export function inputStats(name: string): InputStats {
  let s = inputs.get(name);
  if (s === undefined) {
    s = new InputStats(name);
    inputs.set(name, s);
  }
  return s;
}

function perInput(type: 'counter' | 'gauge', name: string, help: string, value: (s: InputStats) => number): void {
  scraped(type, name, help, ['input'], (emit) => {
    for (const s of inputs.values()) emit({ input: s.input }, value(s));
  });
}
const counter = (name: string, help: string, value: (s: InputStats) => number): void => perInput('counter', name, help, value);

counter('switchyard_input_messages_total', 'Messages received, per input.', (s) => s.messages);
counter('switchyard_input_bytes_total', 'Bytes received, per input (framing included).', (s) => s.bytes);
counter('switchyard_input_parse_errors_total', 'Messages that could not be parsed enough to route (no valid PRI); they are dropped.', (s) => s.parseErrors);
counter('switchyard_input_oversize_total', 'Frames over the maximum message size: octet-counted ones skipped, LF ones truncated.', (s) => s.oversize);
counter('switchyard_input_framing_errors_total', 'Connections closed because their bytes could not be framed as syslog.', (s) => s.framingErrors);
counter('switchyard_input_dropped_total', 'Messages an input could not hold back and a full drain refused.', (s) => s.dropped);
counter('switchyard_input_connections_total', 'Connections accepted.', (s) => s.connectionsTotal);

scraped(
  'counter',
  'switchyard_input_connections_rejected_total',
  'Connections closed by the input: limit (too many), closing (arrived during shutdown), proxy (bad PROXY header), tls (handshake failed or client certificate refused; not a client that hung up), idle (idle timeout), handshake_timeout.',
  ['input', 'reason'],
  (emit) => {
    for (const s of inputs.values()) for (const [reason, v] of Object.entries(s.rejected)) emit({ input: s.input, reason }, v);
  },
);
perInput('gauge', 'switchyard_input_connections', 'Open connections, per input.', (s) => s.connections);
perInput('gauge', 'switchyard_input_paused_connections', 'Connections paused because a drain they feed is full.', (s) => s.pausedConnections);
