// Route source at scale: 100,000 drains rows, then single-row changes.
//
//   node dist/bench/routes-scale.js                # PostgreSQL (DATABASE_URL's server, or 127.0.0.1:5432)
//   node dist/bench/routes-scale.js --pglite       # embedded PGlite in a temp dir
//   options: --rows 100000 --changes 300
//
// Goals from the issue: initial load (start() → first 'routes') ≤ 3 s, and a
// single row change → emitted set ≤ 200 ms p99 with 100,000 routes.
// Baselines in the same run: the bare full-table SELECT through Db.query,
// and the bare NOTIFY round trip (UPDATE → notification on a Db.listen), so
// the numbers show what the source adds on top of the database and driver.
// Uses a throw-away database (postgres) or directory (PGlite); prints a table.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import pino from 'pino';
import { DbRouteSource } from '../src/routes/postgres-source';
import type { RouteRow } from '../src/routes/route-source';
import { openDb, type Db } from '../src/store/db';
import { migrate } from '../src/store/migrate';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summary(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return `p50 ${pct(s, 50).toFixed(1)} ms, p99 ${pct(s, 99).toFixed(1)} ms, max ${s[s.length - 1]!.toFixed(1)} ms (n=${s.length})`;
}

async function main(): Promise<void> {
  const rows = arg('rows', 100_000);
  const changes = arg('changes', 300);
  const usePglite = process.argv.includes('--pglite');
  const logger = pino({ level: 'warn' });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'sy-bench-routes-'));
  let db: Db;
  let cleanup: () => Promise<void>;
  if (usePglite) {
    db = await openDb({ dataDir, logger });
    cleanup = async () => {};
  } else {
    const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
    const name = `sy_bench_${process.pid}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const u = new URL(adminUrl);
    u.pathname = `/${name}`;
    db = await openDb({ url: u.toString(), dataDir, logger });
    cleanup = async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    };
  }
  try {
    await migrate(db);
    await db.query(`INSERT INTO drains (hostname, endpoint) SELECT 'app-' || g, 'syslog+tcp://10.0.' || (g % 250) || '.' || (g / 250 % 250) || ':514' FROM generate_series(1, ${rows}) g`);
    console.log(`# ${db.description}: ${rows} rows in drains`);

    // Baseline 1: the bare SELECT.
    let t0 = performance.now();
    await db.query('SELECT drain::text AS id, hostname, endpoint FROM drains');
    const bareSelect = performance.now() - t0;

    // Baseline 2: UPDATE → NOTIFY received, no source.
    const notifyRtt: number[] = [];
    {
      let got: () => void = () => {};
      let connected: () => void = () => {};
      const up = new Promise<void>((r) => (connected = r));
      const h = await db.listen('switchyard_drains', { onNotify: () => got(), onConnect: () => connected(), onDisconnect: () => {} });
      await up;
      const ids = (await db.query<{ id: string }>(`SELECT drain::text AS id FROM drains LIMIT ${changes}`)).rows;
      for (let i = 0; i < ids.length; i++) {
        const seen = new Promise<void>((r) => (got = r));
        t0 = performance.now();
        await db.query('UPDATE drains SET endpoint = $2 WHERE drain = $1', [ids[i]!.id, `https://base.example/${i}`]);
        await seen;
        notifyRtt.push(performance.now() - t0);
      }
      await h.close();
    }

    // The source: initial load.
    const src = new DbRouteSource({ db, dataDir, logger });
    let latest: ReadonlyArray<RouteRow> = [];
    let emittedAt = 0;
    let onEmit: () => void = () => {};
    src.on('routes', (r: ReadonlyArray<RouteRow>) => {
      emittedAt = performance.now();
      latest = r;
      onEmit();
    });
    t0 = performance.now();
    await src.start();
    const initialLoad = performance.now() - t0;
    if (latest.length !== rows) throw new Error(`initial load emitted ${latest.length} rows, expected ${rows}`);

    // Single-row changes, one at a time: update, insert, delete in turn.
    const lat: number[] = [];
    const ids = (await db.query<{ id: string }>(`SELECT drain::text AS id FROM drains ORDER BY random() LIMIT ${changes}`)).rows.map((r) => r.id);
    for (let i = 0; i < changes; i++) {
      const emitted = new Promise<void>((r) => (onEmit = r));
      t0 = performance.now();
      const kind = i % 3;
      let check: (rs: ReadonlyArray<RouteRow>) => boolean;
      if (kind === 0) {
        const ep = `https://changed.example/${i}`;
        await db.query('UPDATE drains SET endpoint = $2 WHERE drain = $1', [ids[i], ep]);
        check = (rs) => rs.some((r) => r.id === ids[i] && r.endpoint === ep);
      } else if (kind === 1) {
        const id = (await db.query<{ id: string }>(`INSERT INTO drains (hostname, endpoint) VALUES ($1, 'https://new.example/') RETURNING drain::text AS id`, [`new-${i}`])).rows[0]!.id;
        check = (rs) => rs.some((r) => r.id === id);
      } else {
        await db.query('DELETE FROM drains WHERE drain = $1', [ids[i]]);
        check = (rs) => !rs.some((r) => r.id === ids[i]);
      }
      await emitted;
      lat.push(emittedAt - t0);
      if (!check(latest)) throw new Error(`change ${i} is not in the emitted set`);
    }
    await src.close();

    console.log('| measure | result | goal |');
    console.log('|---|---|---|');
    console.log(`| baseline: bare SELECT of ${rows} rows | ${bareSelect.toFixed(0)} ms | – |`);
    console.log(`| initial load (start() → first 'routes') | ${initialLoad.toFixed(0)} ms | ≤ 3000 ms |`);
    console.log(`| baseline: UPDATE → NOTIFY received | ${summary(notifyRtt)} | – |`);
    console.log(`| row change → 'routes' emitted | ${summary(lat)} | p99 ≤ 200 ms |`);
  } finally {
    await db.close();
    await cleanup();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
