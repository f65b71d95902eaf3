// Per-drain metrics, read from each drain's own plain counters at scrape time.
// Incrementing a labelled prom-client counter per message would hash the label
// set on the hot path; reading numbers once per scrape costs nothing there.
import { Counter, Gauge } from 'prom-client';
import { registry } from './metrics';
import type { Drain, DropReason } from '../drains/drain';

const live = new Set<Drain>();

export function trackDrain(d: Drain): void {
  live.add(d);
}

export function untrackDrain(d: Drain): void {
  live.delete(d);
}

export function liveDrains(): ReadonlySet<Drain> {
  return live;
}

const labelNames = ['drain', 'kind'] as const;

/**
 * Only drains that have seen traffic get series: a route table of 100,000
 * idle drains must not become a million series on every scrape.
 */
function active(d: Drain): boolean {
  return d.stats.delivered > 0 || d.queued > 0 || d.stats.errors > 0 || d.stats.dropped.overflow > 0 || d.stats.dropped.full > 0 || d.stats.dropped.rejected > 0 || d.stats.dropped.retries_exhausted > 0 || d.stats.dropped.oversize > 0;
}

function counter(name: string, help: string, value: (d: Drain) => number): void {
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const d of live) if (active(d)) this.inc({ drain: d.label, kind: d.kind }, value(d));
    },
  });
}

function gauge(name: string, help: string, value: (d: Drain) => number): void {
  new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const d of live) if (active(d)) this.set({ drain: d.label, kind: d.kind }, value(d));
    },
  });
}

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
new Counter({
  name: 'switchyard_drain_messages_dropped_total',
  help: 'Messages a drain dropped, by reason: overflow (ring full, oldest dropped), full (block policy, input could not wait), rejected (destination refused), retries_exhausted, shutdown, oversize.',
  labelNames: ['drain', 'kind', 'reason'],
  registers: [registry],
  collect() {
    this.reset();
    for (const d of live) {
      if (!active(d)) continue;
      for (const r of reasons) {
        const v = d.stats.dropped[r];
        if (v > 0 || r === 'overflow') this.inc({ drain: d.label, kind: d.kind, reason: r }, v);
      }
    }
  },
});

new Gauge({
  name: 'switchyard_drains',
  help: 'Drains running.',
  registers: [registry],
  collect() {
    this.set(live.size);
  },
});
