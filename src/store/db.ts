// The database behind routes (and later the log store). Two implementations
// share one interface so everything above it — migrations, the route source,
// the /drains API — runs the same SQL on a real PostgreSQL (DATABASE_URL) and
// on the embedded PGlite default. Backend quirks stay in db-postgres.ts and
// db-pglite.ts.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { SwitchyardError } from '../errors';

export interface DbResult<R> {
  rows: R[];
  /** Rows returned (SELECT, RETURNING) or affected (INSERT/UPDATE/DELETE) by the last statement. */
  rowCount: number;
}

export interface DbQueryable {
  /**
   * Runs one statement with $1-style params. Without params the text may hold
   * several statements (simple protocol); the result is the last statement's.
   */
  query<R = any>(sql: string, params?: unknown[]): Promise<DbResult<R>>;
}

export interface DbListenHandlers {
  onNotify(payload: string): void;
  /** First connect and every reconnect: whatever happened while not listening was missed, so resync here. */
  onConnect(): void;
  onDisconnect(err: Error): void;
}

export interface DbListenHandle {
  close(): Promise<void>;
}

export interface Db extends DbQueryable {
  readonly kind: 'postgres' | 'pglite';
  /** For the start-up line and log lines; never contains a password. */
  readonly description: string;
  /**
   * A dedicated listening connection that reconnects by itself (exponential
   * backoff). Resolves once the handle exists, not once connected: a database
   * that is down at start-up is reported through onDisconnect and retried.
   */
  listen(channel: string, handlers: DbListenHandlers): Promise<DbListenHandle>;
  /**
   * Runs fn on one connection inside BEGIN/COMMIT (ROLLBACK if fn throws).
   * Needed for anything that must share a session: advisory locks, multi-step writes.
   */
  transaction<T>(fn: (tx: DbQueryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface OpenDbOptions {
  /** postgres:// or postgresql:// URL; absent means embedded PGlite in <dataDir>/pglite. */
  url?: string;
  dataDir: string;
  logger: Logger;
}

export async function openDb(opts: OpenDbOptions): Promise<Db> {
  if (opts.url !== undefined && opts.url !== '') {
    if (!/^postgres(ql)?:\/\//i.test(opts.url)) {
      throw new SwitchyardError('SY_ERR_DB_URL', `DATABASE_URL must start with postgres:// or postgresql:// (got "${describePostgresUrl(opts.url)}")`);
    }
    // Required lazily so a PGlite-only process never loads pg, and vice versa.
    const { PostgresDb } = await import('./db-postgres');
    return new PostgresDb(opts.url, opts.logger);
  }
  const dir = path.join(opts.dataDir, 'pglite');
  await mkdir(dir, { recursive: true });
  const { openPgliteDb } = await import('./db-pglite');
  return openPgliteDb(dir, opts.logger);
}

/** A connection URL with the password (and query string) removed, for humans. */
export function describePostgresUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'postgres (unparseable URL)';
  }
  const user = u.username !== '' ? `${decodeURIComponent(u.username)}@` : '';
  return `${u.protocol}//${user}${u.host}${u.pathname}`;
}

