// Persistent store ingest rate against the real PostgreSQL, in messages/s.
//
//   npx tsc -p . && node dist/bench/store-ingest.js [messages=200000] [key counts=8,100]
//
// Rows in the same run, on a scratch database (BENCH_DATABASE_URL, default
// postgres://postgres@127.0.0.1:5432):
//   baseline: one INSERT per message (what a naive store does; fewer messages)
//   LogStore.append: batches of 1000 through the store, no drain
//   persistent drain, 1 key: Drain.push → ring → batch INSERT, until all delivered
//   persistent drain, N keys: the same spread over N drains writing concurrently
//     (their batches share INSERTs when they wait together: src/store/log-writer.ts)
// Messages are 200-byte RFC 5424 lines. Rates are wall-clock, rows counted as
// delivered (committed) by the store.
import os from 'node:os';
import pino from 'pino';
import '../src/drains';
import { createDrain, parseDrainUrl } from '../src/drains';
import type { Drain } from '../src/drains/drain';
import { BATCH_MESSAGES } from '../src/drains/persistent/persistent-drain';
import { openDb, type Db } from '../src/store/db';
import { LogStore } from '../src/store/log-store';
import { migrate } from '../src/store/migrate';
import { scratchDb } from './lib/pg';

const logger = pino({ level: 'silent' });
const LINE_BYTES = 200;

function line(i: number): Buffer {
  const head = `<14>1 2026-01-01T00:00:00.000Z bench-host app ${i % 1000} - - message ${i} `;
  return Buffer.from(head.padEnd(LINE_BYTES, 'x'));
}

interface Row {
  what: string;
  messages: number;
  seconds: number;
}

async function naive(db: Db, n: number): Promise<Row> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await db.query('INSERT INTO log_lines (key, line) VALUES ($1, $2)', ['naive', line(i)]);
  return { what: 'baseline: one INSERT per message', messages: n, seconds: secondsSince(started) };
}

async function storeOnly(store: LogStore, n: number): Promise<Row> {
  const lines = Array.from({ length: BATCH_MESSAGES }, (_, i) => line(i));
  const buf = Buffer.concat(lines);
  const ends = new Uint32Array(BATCH_MESSAGES);
  let o = 0;
  lines.forEach((l, i) => (ends[i] = o += l.length));
  const started = process.hrtime.bigint();
  for (let done = 0; done < n; done += BATCH_MESSAGES) await store.append('store-only', buf, ends, Math.min(BATCH_MESSAGES, n - done));
  return { what: `LogStore.append, batches of ${BATCH_MESSAGES}`, messages: n, seconds: secondsSince(started) };
}

async function throughDrains(store: LogStore, n: number, keys: number): Promise<Row> {
  const ctx = {
    logger,
    // Large enough to take the whole run: the figure is the store's rate, not the overflow policy's.
    buffer: { policy: 'block' as const, bytes: Math.max(64 << 20, n * (LINE_BYTES + 8)), messages: n + 1, graceMs: 1000 },
    connectTimeoutMs: 5000,
    writeTimeoutMs: 30000,
    services: { persistent: store },
  };
  const drains: Drain[] = [];
  for (let k = 0; k < keys; k++) {
    const d = createDrain(parseDrainUrl(`persistent://bench-${keys}-${k}`), ctx);
    d.start();
    drains.push(d);
  }
  const msgs = Array.from({ length: 1000 }, (_, i) => line(i));
  const started = process.hrtime.bigint();
  // Push in slices, yielding between them like an input reading sockets would.
  for (let i = 0; i < n; ) {
    const end = Math.min(n, i + 5000);
    for (; i < end; i++) {
      const m = msgs[i % 1000]!;
      drains[i % keys]!.push(m, 0, m.length, null);
    }
    await new Promise((r) => setImmediate(r));
  }
  while (drains.reduce((a, d) => a + d.stats.delivered, 0) < n) await new Promise((r) => setTimeout(r, 5));
  const seconds = secondsSince(started);
  await Promise.all(drains.map((d) => d.close(1000)));
  return { what: `persistent drain, ${keys} key${keys === 1 ? '' : 's'}`, messages: n, seconds };
}

function secondsSince(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 200_000);
  const keyCounts = (process.argv[3] ?? '8,100').split(',').map(Number).filter((k) => k > 1);
  const scratch = await scratchDb('switchyard_bench_store_ingest');
  const db = await openDb({ url: scratch.url, dataDir: os.tmpdir(), logger });
  try {
    await migrate(db);
    const store = new LogStore({ db, logger, retention: { intervalMs: 0 } });
    const rows: Row[] = [];
    rows.push(await naive(db, Math.min(n, 10_000)));
    rows.push(await storeOnly(store, n));
    rows.push(await throughDrains(store, n, 1));
    for (const keys of keyCounts) rows.push(await throughDrains(store, n, keys));
    const total = Number((await db.query('SELECT count(*)::bigint AS c FROM log_lines')).rows[0].c);
    await store.close();
    const pgVersion = (await db.query('SHOW server_version')).rows[0].server_version;
    console.log(`\n## Persistent store ingest (PostgreSQL ${pgVersion}, ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(1)}, ${LINE_BYTES}-byte lines)\n`);
    console.log('| what | messages | seconds | messages/s |');
    console.log('|---|---:|---:|---:|');
    for (const r of rows) console.log(`| ${r.what} | ${r.messages} | ${r.seconds.toFixed(2)} | ${Math.round(r.messages / r.seconds)} |`);
    console.log(`\n${total} rows in log_lines (expected ${rows.reduce((a, r) => a + r.messages, 0)}).`);
  } finally {
    await db.close();
    await scratch.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
