// Per-drain metrics, read from each drain's own plain counters at scrape time
// (see scraped() in metrics.ts).
import { labelText, scraped } from './metrics';
import type { Drain } from '../drains/drain';
import type { DropReason } from '../drains/drain-types';

// Every drain, with its labels rendered once (`drain="…",kind="…"`).
const live = new Map<Drain, string>();

export function trackDrain(d: Drain): void {
  live.set(d, labelText({ drain: d.label, kind: d.kind }));
}

export function untrackDrain(d: Drain): void {
  live.delete(d);
}

export function liveDrains(): Iterable<Drain> {
  return live.keys();
}

const labelNames = ['drain', 'kind'] as const;

/**
 * Only drains that have seen traffic get series: a route table of 100,000
 * idle drains must not become a million series on every scrape.
 */
function active(d: Drain): boolean {
  return d.stats.delivered > 0 || d.queued > 0 || d.stats.errors > 0 || d.stats.dropped.overflow > 0 || d.stats.dropped.full > 0 || d.stats.dropped.rejected > 0 || d.stats.dropped.retries_exhausted > 0 || d.stats.dropped.oversize > 0;
}

function perDrain(type: 'counter' | 'gauge', name: string, help: string, value: (d: Drain) => number): void {
  scraped(type, name, help, labelNames, function* (emit) {
    for (const [d, labels] of live) {
      if (active(d)) emit(labels, value(d));
      yield;
    }
  });
}
const counter = (name: string, help: string, value: (d: Drain) => number): void => perDrain('counter', name, help, value);
const gauge = (name: string, help: string, value: (d: Drain) => number): void => perDrain('gauge', name, help, value);

counter('switchyard_drain_messages_delivered_total', 'Messages a drain handed to its destination (socket write completed, or 2xx).', (d) => d.stats.delivered);
counter('switchyard_drain_bytes_delivered_total', 'Bytes a drain handed to its destination, framing included.', (d) => d.stats.deliveredBytes);
counter('switchyard_drain_retries_total', 'Delivery attempts a drain repeated (reconnects, retried requests).', (d) => d.stats.retried);
counter('switchyard_drain_errors_total', 'Delivery errors a drain met (connection errors, timeouts, error responses).', (d) => d.stats.errors);
counter('switchyard_drain_notices_total', 'L10 overflow notices a drain wrote into its own stream.', (d) => d.notices);
gauge('switchyard_drain_queue_messages', 'Messages queued in a drain, in-flight included.', (d) => d.queued);
gauge('switchyard_drain_queue_bytes', 'Payload bytes queued in a drain ring.', (d) => d.ring.bytes);
gauge('switchyard_drain_buffer_capacity_bytes', 'Memory a drain ring holds now (it grows with the backlog up to its bound).', (d) => d.ring.capacity);
gauge('switchyard_drain_connected', '1 when the drain has a connection to its destination (stream drains), else 0.', (d) => (d.connected ? 1 : 0));

const reasons: DropReason[] = ['overflow', 'full', 'rejected', 'retries_exhausted', 'shutdown', 'oversize'];
scraped(
  'counter',
  'switchyard_drain_messages_dropped_total',
  'Messages a drain dropped, by reason: overflow (ring full, oldest dropped), full (block policy, input could not wait), rejected (destination refused), retries_exhausted, shutdown, oversize.',
  ['drain', 'kind', 'reason'],
  function* (emit) {
    for (const [d, labels] of live) {
      if (active(d)) {
        for (const r of reasons) {
          const v = d.stats.dropped[r];
          if (v > 0 || r === 'overflow') emit(`${labels},reason="${r}"`, v);
        }
      }
      yield;
    }
  },
);

scraped('gauge', 'switchyard_drains', 'Drains running.', [], (emit) => emit({}, live.size));
