// Metrics of the persistent log store, counted once per batch or retention
// chunk (never per message). Per-drain delivery figures come from the drains
// themselves (src/telemetry/drain-metrics.ts); these are the store's side.
import { Counter, Gauge } from 'prom-client';
import { registry } from '../telemetry/metrics';

export const storeMetrics = {
  rows: new Counter({
    name: 'switchyard_store_rows_written_total',
    help: 'Log lines written to the persistent store.',
    registers: [registry],
  }),
  bytes: new Counter({
    name: 'switchyard_store_bytes_written_total',
    help: 'Bytes of log lines written to the persistent store.',
    registers: [registry],
  }),
  batches: new Counter({
    name: 'switchyard_store_batches_total',
    help: 'INSERT statements that wrote to the persistent store (one or more drain batches each).',
    registers: [registry],
  }),
  writeErrors: new Counter({
    name: 'switchyard_store_write_errors_total',
    help: 'INSERT statements into the persistent store that failed (their batches are retried by their drains).',
    registers: [registry],
  }),
  retentionDeleted: new Counter({
    name: 'switchyard_store_retention_deleted_rows_total',
    help: 'Rows deleted by retention, by the limit that removed them.',
    labelNames: ['reason'] as const,
    registers: [registry],
  }),
  retentionKeys: new Counter({
    name: 'switchyard_store_retention_forgotten_keys_total',
    help: 'Keys forgotten by retention: no lines left and registered longer ago than PERSISTENT_MAX_AGE (GET /logs/:key then answers 404).',
    registers: [registry],
  }),
  retentionErrors: new Counter({
    name: 'switchyard_store_retention_errors_total',
    help: 'Retention passes that failed (retried on the next interval).',
    registers: [registry],
  }),
  followers: new Gauge({
    name: 'switchyard_store_follow_clients',
    help: 'GET /logs/:key?follow=true responses currently open.',
    registers: [registry],
  }),
};
