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
  /** Datagram inputs: what the kernel dropped on the open socket (see udp-kernel-drops.ts), read at scrape time. */
  readKernelDrops: (() => number | null) | null = null;
  /** The open socket's count when last read. */
  kernelDropsOpen = 0;
  /** What closed sockets of this input had dropped, so the counter never goes back. */
  kernelDropsClosed = 0;
  /** Whether any socket of this input could be read (Linux). */
  kernelDropsKnown = false;
  /** Datagram inputs: the receive buffer the kernel granted (SO_RCVBUF as Linux reports it, doubled). */
  receiveBufferBytes: number | null = null;
  constructor(readonly input: string) {}
}

const inputs = new Map<string, InputStats>();

/** Reads the open socket's kernel drop count into `s`, if there is one to read. */
function refreshKernelDrops(s: InputStats): void {
  const v = s.readKernelDrops?.() ?? null;
  if (v === null) return;
  s.kernelDropsOpen = v;
  s.kernelDropsKnown = true;
}

/** A datagram input's socket is closing: its count joins the closed ones'. */
export function closeKernelDrops(s: InputStats): void {
  refreshKernelDrops(s);
  s.kernelDropsClosed += s.kernelDropsOpen;
  s.kernelDropsOpen = 0;
  s.readKernelDrops = null;
}

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
scraped(
  'counter',
  'switchyard_input_kernel_drops_total',
  "Datagrams the kernel dropped because the input's receive buffer was full (UDP_RECEIVE_BUFFER, capped by net.core.rmem_max), before the router saw them. Linux only.",
  ['input'],
  (emit) => {
    for (const s of inputs.values()) {
      refreshKernelDrops(s);
      if (s.kernelDropsKnown) emit({ input: s.input }, s.kernelDropsClosed + s.kernelDropsOpen);
    }
  },
);
scraped('gauge', 'switchyard_input_receive_buffer_bytes', 'The receive buffer the kernel granted a datagram input (as Linux reports it: twice what was set).', ['input'], (emit) => {
  for (const s of inputs.values()) if (s.receiveBufferBytes !== null) emit({ input: s.input }, s.receiveBufferBytes);
});
perInput('gauge', 'switchyard_input_connections', 'Open connections, per input.', (s) => s.connections);
perInput('gauge', 'switchyard_input_paused_connections', 'Connections paused because a drain they feed is full.', (s) => s.pausedConnections);
