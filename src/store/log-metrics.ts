// Metrics of the persistent log store: plain numbers bumped once per batch,
// retention pass or follow response (never per message) and published at
// scrape time (scraped() in telemetry/metrics.ts). Per-drain delivery figures
// come from the drains themselves (telemetry/drain-metrics.ts); these are the
// store's side.
import { scraped } from '../telemetry/metrics';

export const storeStats = {
  /** Log lines written. */
  rows: 0,
  /** Bytes of log lines written. */
  bytes: 0,
  /** INSERT statements that wrote (one or more drain batches each). */
  batches: 0,
  /** INSERT statements that failed. */
  writeErrors: 0,
  /** Rows deleted by retention, by the limit that removed them. */
  retentionDeleted: { age: 0, lines: 0, bytes: 0 },
  /** Keys retention forgot. */
  retentionKeys: 0,
  /** Retention passes that failed. */
  retentionErrors: 0,
  /** Open GET /logs/:key?follow=true responses. */
  followers: 0,
};

const counter = (name: string, help: string, value: () => number): void => scraped('counter', name, help, [], (emit) => emit({}, value()));

counter('switchyard_store_rows_written_total', 'Log lines written to the persistent store.', () => storeStats.rows);
counter('switchyard_store_bytes_written_total', 'Bytes of log lines written to the persistent store.', () => storeStats.bytes);
counter('switchyard_store_batches_total', 'INSERT statements that wrote to the persistent store (one or more drain batches each).', () => storeStats.batches);
counter('switchyard_store_write_errors_total', 'INSERT statements into the persistent store that failed (their batches are retried by their drains).', () => storeStats.writeErrors);
scraped('counter', 'switchyard_store_retention_deleted_rows_total', 'Rows deleted by retention, by the limit that removed them.', ['reason'], (emit) => {
  for (const [reason, v] of Object.entries(storeStats.retentionDeleted)) emit({ reason }, v);
});
counter(
  'switchyard_store_retention_forgotten_keys_total',
  'Keys forgotten by retention: no lines left and registered longer ago than PERSISTENT_MAX_AGE (GET /logs/:key then answers 404).',
  () => storeStats.retentionKeys,
);
counter('switchyard_store_retention_errors_total', 'Retention passes that failed (retried on the next interval).', () => storeStats.retentionErrors);
scraped('gauge', 'switchyard_store_follow_clients', 'GET /logs/:key?follow=true responses currently open.', [], (emit) => emit({}, storeStats.followers));
