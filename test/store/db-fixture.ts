// Shared by the db, migrate, route-source and drains-api tests: every suite
// runs once per backend — a fresh database on the real PostgreSQL here (when
// reachable) and PGlite in a temp dir.
import { cp, mkdtemp, readFile, rename, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import { listenOutsideEphemeralRange } from '../helpers/ports';
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

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function postgresBackend(teardown: Teardown): Promise<Backend> {
  const database = `sy_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  // A test process killed by a timeout never runs its teardown. Its database
  // is named after its pid: drop those whose process is gone (never a live one's).
  const old = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname ~ '^sy_test_[0-9]+_[a-z0-9]+$'`);
  for (const { datname } of old.rows) {
    const pid = Number(datname.split('_')[2]);
    if (pid !== process.pid && !processAlive(pid)) await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`).catch(() => {});
  }
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

/**
 * PGlite's initdb costs seconds of CPU (much more on a loaded machine), while
 * opening an existing data dir takes a fraction of that. So one freshly
 * initialised, never-used data dir is kept per PGlite version and copied into
 * each test's dataDir; openDb then opens it exactly as it opens any existing
 * <dataDir>/pglite. Built in a temp dir and renamed into place, so concurrent
 * test files never see half a template.
 */
export async function pgliteTemplate(): Promise<string> {
  const pkg = path.join(path.dirname(require.resolve('@electric-sql/pglite')), '..', 'package.json');
  const { version } = JSON.parse(await readFile(pkg, 'utf8')) as { version: string };
  const dir = path.join(os.tmpdir(), `switchyard-test-pglite-template-${version}`);
  if (await stat(path.join(dir, 'PG_VERSION')).then(() => true, () => false)) return dir;
  const { PGlite } = await import('@electric-sql/pglite');
  const building = await mkdtemp(`${dir}.building-`);
  const pgl = await PGlite.create(building);
  await pgl.close();
  try {
    await rename(building, dir);
  } catch {
    await rm(building, { recursive: true, force: true }); // another test file won the race
  }
  return dir;
}

async function pgliteBackend(teardown: Teardown): Promise<Backend> {
  const dataDir = await tempDir(teardown);
  await cp(await pgliteTemplate(), path.join(dataDir, 'pglite'), { recursive: true });
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
  // Some tests listen on it later (a database "coming back"): see helpers/ports.ts.
  const srv = net.createServer();
  const port = await listenOutsideEphemeralRange(async (p) => {
    srv.listen(p, '127.0.0.1');
    await once(srv, 'listening'); // rejects on 'error'
    return p;
  });
  srv.close();
  await once(srv, 'close');
  return port;
}
