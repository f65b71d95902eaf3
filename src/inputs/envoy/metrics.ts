// Metrics of the Envoy input.
//
// Why not counter.labels(...).inc() per entry: prom-client hashes the label
// set on every call, which would cost more than building the log line. The
// hot path instead bumps plain numbers in an EnvoyStats (one per input), and
// the Prometheus metrics read the totals at scrape time (scraped() in
// telemetry/metrics.ts). Stats of closed inputs are folded into a retired
// total so counters never go down.
import { scraped } from '../../telemetry/metrics';
import { FALLBACK_REASONS, type FallbackReason } from './hostname';

export const ENTRY_TYPES = ['http', 'tcp'] as const;
export const TYPE_HTTP = 0;
export const TYPE_TCP = 1;

/**
 * accepted: the router took it (ACCEPTED or PAUSE); dropped: a drain was full
 * (REFUSED), we never wait; unrouted: no route for its hostname (UNROUTED);
 * unroutable: no hostname at all (no cluster rule, log_name or node id).
 */
export const ENTRY_OUTCOMES = ['accepted', 'dropped', 'unrouted', 'unroutable'] as const;
export const OUTCOME_ACCEPTED = 0;
export const OUTCOME_DROPPED = 1;
export const OUTCOME_UNROUTED = 2;
export const OUTCOME_UNROUTABLE = 3;

/** Why a stream ended. */
export const STREAM_ENDS = ['client_end', 'max_age', 'shutdown', 'cancelled', 'error'] as const;
export type StreamEnd = (typeof STREAM_ENDS)[number];

const N_OUTCOMES = ENTRY_OUTCOMES.length;

export const FALLBACK_INDEX: Readonly<Record<FallbackReason, number>> = Object.fromEntries(
  FALLBACK_REASONS.map((r, i) => [r, i]),
) as Record<FallbackReason, number>;

/** Plain counters bumped on the hot path; read by the metrics and by tests. */
export class EnvoyStats {
  streamsActive = 0;
  streamsTotal = 0;
  readonly streamEnds = new Array<number>(STREAM_ENDS.length).fill(0);
  /** StreamAccessLogsMessages received. */
  messages = 0;
  /** Messages that carried no entries (only an identifier, or nothing). */
  emptyMessages = 0;
  /** [type * N_OUTCOMES + outcome] */
  readonly entries = new Array<number>(ENTRY_TYPES.length * N_OUTCOMES).fill(0);
  /** Entries whose time was the time of receipt (no usable start_time). */
  receiveTimeUsed = 0;
  readonly fallbacks = new Array<number>(FALLBACK_REASONS.length).fill(0);

  entry(type: number, outcome: number): void {
    this.entries[type * N_OUTCOMES + outcome]++;
  }

  /** Count for one type and outcome, by name (tests, logs). */
  count(type: (typeof ENTRY_TYPES)[number], outcome: (typeof ENTRY_OUTCOMES)[number]): number {
    return this.entries[ENTRY_TYPES.indexOf(type) * N_OUTCOMES + ENTRY_OUTCOMES.indexOf(outcome)];
  }

  fallback(reason: FallbackReason): number {
    return this.fallbacks[FALLBACK_INDEX[reason]];
  }

  ended(reason: StreamEnd): number {
    return this.streamEnds[STREAM_ENDS.indexOf(reason)];
  }

  addTo(t: EnvoyStats): void {
    t.streamsTotal += this.streamsTotal;
    t.messages += this.messages;
    t.emptyMessages += this.emptyMessages;
    t.receiveTimeUsed += this.receiveTimeUsed;
    for (let i = 0; i < this.streamEnds.length; i++) t.streamEnds[i] += this.streamEnds[i];
    for (let i = 0; i < this.entries.length; i++) t.entries[i] += this.entries[i];
    for (let i = 0; i < this.fallbacks.length; i++) t.fallbacks[i] += this.fallbacks[i];
  }
}

const live = new Set<EnvoyStats>();
const retired = new EnvoyStats();

/** Registers an input's stats with the process metrics. */
export function attachStats(s: EnvoyStats): void {
  live.add(s);
}

/** Folds a closed input's stats into the retired totals. Idempotent. */
export function detachStats(s: EnvoyStats): void {
  if (!live.delete(s)) return;
  s.addTo(retired);
}

function totals(): EnvoyStats {
  const t = new EnvoyStats();
  retired.addTo(t);
  for (const s of live) {
    s.addTo(t);
    t.streamsActive += s.streamsActive;
  }
  return t;
}

// Summing a few small arrays per scrape is cheap; each metric sums on its own
// so any one of them can be read alone. Labelled series appear once non-zero.
scraped('gauge', 'switchyard_envoy_streams_active', 'Envoy access-log streams open now.', [], (emit) => emit({}, totals().streamsActive));

scraped('counter', 'switchyard_envoy_streams_total', 'Envoy access-log streams opened.', [], (emit) => emit({}, totals().streamsTotal));

scraped('counter', 'switchyard_envoy_stream_ends_total', 'Envoy access-log streams ended, by reason (client_end, max_age, shutdown, cancelled, error).', ['reason'], (emit) => {
  const t = totals();
  for (let i = 0; i < STREAM_ENDS.length; i++) if (t.streamEnds[i] > 0) emit({ reason: STREAM_ENDS[i] }, t.streamEnds[i]);
});

scraped('counter', 'switchyard_envoy_messages_total', 'StreamAccessLogsMessages received from Envoy.', [], (emit) => emit({}, totals().messages));

scraped(
  'counter',
  'switchyard_envoy_entries_total',
  'Envoy access-log entries, by type (http, tcp) and outcome (accepted, dropped, unrouted, unroutable).',
  ['type', 'outcome'],
  (emit) => {
    const t = totals();
    for (let ty = 0; ty < ENTRY_TYPES.length; ty++) {
      for (let o = 0; o < N_OUTCOMES; o++) {
        const v = t.entries[ty * N_OUTCOMES + o];
        if (v > 0) emit({ type: ENTRY_TYPES[ty], outcome: ENTRY_OUTCOMES[o] }, v);
      }
    }
  },
);

scraped('counter', 'switchyard_envoy_entries_receive_time_total', 'Envoy entries without a usable start_time, stamped with the time they were received.', [], (emit) =>
  emit({}, totals().receiveTimeUsed),
);

scraped(
  'counter',
  'switchyard_envoy_hostname_fallbacks_total',
  'Envoy entries whose upstream cluster gave no hostname, by reason; they were routed by log_name or node id.',
  ['reason'],
  (emit) => {
    const t = totals();
    for (let i = 0; i < FALLBACK_REASONS.length; i++) if (t.fallbacks[i] > 0) emit({ reason: FALLBACK_REASONS[i] }, t.fallbacks[i]);
  },
);
