// Shared by the db, migrate, route-source and drains-api tests: every suite
// runs once per backend — a fresh database on the real PostgreSQL here (when
// reachable) and PGlite in a temp dir.
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import pg from 'pg';
import pino from 'pino';
import { openDb, type Db } from '../../src/store/db';

export const ADMIN_URL = process.env.SY_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export const logger = pino({ level: process.env.SY_TEST_LOG_LEVEL ?? 'silent' });

type Teardown = (fn: () => unknown) => void;

export interface Backend {
  name: 'postgres' | 'pglite';
  /** Connection URL of the fresh database (postgres only). */
  url?: string;
  /** The database's own name (postgres only). */
  database?: string;
  /** A temp directory for this backend (PGlite lives in <dataDir>/pglite). */
  dataDir: string;
  /**
   * A Db on the backend; closed at teardown. On PGlite every call returns the
   * same in-process database (one process may not open a data dir twice).
   */
  open(): Promise<Db>;
  /** Runs SQL on an independent connection (postgres) or the shared instance (PGlite). */
  sql(text: string, params?: unknown[]): Promise<pg.QueryResult | { rows: any[]; rowCount: number }>;
}

async function postgresReachable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 2000 });
  c.on('error', () => {});
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

export async function tempDir(teardown: Teardown, prefix = 'sy-test-'): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * The backends available here. `comment` receives the notice when PostgreSQL
 * is not reachable (then only PGlite runs).
 */
export async function backends(teardown: Teardown, comment: (msg: string) => void): Promise<Backend[]> {
  const out: Backend[] = [];
  if (await postgresReachable()) out.push(await postgresBackend(teardown));
  else comment('postgres not reachable, PGlite only');
  out.push(await pgliteBackend(teardown));
  return out;
}

async function postgresBackend(teardown: Teardown): Promise<Backend> {
  const database = `sy_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const u = new URL(ADMIN_URL);
  u.pathname = `/${database}`;
  const url = u.toString();
  const dataDir = await tempDir(teardown);
  const dbs: Db[] = [];
  const side = new pg.Pool({ connectionString: url, max: 2 });
  side.on('error', () => {});
  teardown(async () => {
    await Promise.all(dbs.map((d) => d.close()));
    await side.end();
    const a = new pg.Client({ connectionString: ADMIN_URL });
    await a.connect();
    await a.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await a.end();
  });
  return {
    name: 'postgres',
    url,
    database,
    dataDir,
    open: async () => {
      const d = await openDb({ url, dataDir, logger });
      dbs.push(d);
      return d;
    },
    sql: (text, params) => side.query(text, params as any[]),
  };
}

async function pgliteBackend(teardown: Teardown): Promise<Backend> {
  const dataDir = await tempDir(teardown);
  let shared: Promise<Db> | undefined;
  const open = () => (shared ??= openDb({ dataDir, logger }));
  teardown(async () => {
    if (shared !== undefined) await (await shared).close();
  });
  return {
    name: 'pglite',
    dataDir,
    open,
    sql: async (text, params) => (await open()).query(text, params),
  };
}

/** A TCP port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as net.AddressInfo).port;
  srv.close();
  await once(srv, 'close');
  return port;
}
