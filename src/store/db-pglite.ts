// Db on embedded PGlite (PostgreSQL compiled to WASM, in-process). One
// backend serves the whole process: queries are serialised by PGlite itself,
// transactions hold it exclusively, and NOTIFY from our own triggers reaches
// listen() callbacks in the same process — so the route source runs unchanged.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, readdir, rename, rm, rmdir, open as openFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { PGlite, type Results, type Transaction } from '@electric-sql/pglite';
import type { Logger } from 'pino';
import { SwitchyardError } from '../errors';
import type { Db, DbListenHandle, DbListenHandlers, DbQueryable, DbResult } from './db';

type PgliteRunner = Pick<PGlite, 'query' | 'exec'> | Transaction;

function toResult<R>(res: Results<any> | undefined): DbResult<R> {
  if (res === undefined) return { rows: [], rowCount: 0 };
  // rowCount is the command tag's count (rows returned or affected by that statement).
  const rowCount = res.rowCount ?? (res.rows.length > 0 ? res.rows.length : res.affectedRows ?? 0);
  return { rows: res.rows as R[], rowCount };
}

// Same contract as pg: parameters → one statement (extended protocol);
// no parameters → the text may hold several statements (migrations).
async function run<R>(runner: PgliteRunner, sql: string, params?: unknown[]): Promise<DbResult<R>> {
  if (params !== undefined && params.length > 0) return toResult<R>(await runner.query(sql, params as any[]));
  const all = await runner.exec(sql);
  return toResult<R>(all[all.length - 1]);
}

/** Data dirs this process holds, so a lock file with our own pid is told apart from a stale one (pid 1 in containers). */
const heldHere = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PGlite does not stop a second process from opening the same data dir, and
 * two writers corrupt it (say `switchyard migrate` next to a running router).
 * So we hold <dir>.lock with our pid; a lock whose process is gone is stale.
 */
async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  const lockPath = `${dir}.lock`;
  for (let tries = 0; ; tries++) {
    try {
      const fh = await openFile(lockPath, 'wx', 0o600);
      await fh.writeFile(String(process.pid));
      await fh.close();
      heldHere.add(lockPath);
      return async () => {
        heldHere.delete(lockPath);
        await unlink(lockPath).catch(() => {});
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || tries > 0) throw err;
    }
    const pid = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
    const inUse = pid === process.pid ? heldHere.has(lockPath) : Number.isInteger(pid) && pid > 0 && alive(pid);
    if (inUse) {
      throw new SwitchyardError(
        'SY_ERR_DB_LOCKED',
        `the embedded database in ${dir} is in use by process ${pid}; stop that process first (or use DATABASE_URL to share a PostgreSQL)`,
      );
    }
    await unlink(lockPath).catch(() => {}); // stale: its process is gone
  }
}

// The embedded database serves a route table and a small store: 16 MiB of
// shared buffers instead of PostgreSQL's 128 MiB saves ~110 MB of resident
// memory (measured: 296 → 183 MB for the process) at no visible cost. The
// initdb child (pglite-initdb.ts) creates the database with the same settings.
export const EMBEDDED_CONF = 'shared_buffers = 16MB\nwork_mem = 4MB\n';

/** Longest stderr kept from a failed initdb child, for the error message. */
const MAX_INITDB_STDERR = 16 * 1024;

/**
 * Runs initdb for `dir` in a child process (pglite-initdb.ts says why), so
 * the memory it grows goes away with the child. It builds the database in
 * `<dir>.initdb-<pid>` and renames it into place when complete: an initdb cut
 * short (a crash, Ctrl-C on the first start) leaves nothing half-made where
 * the next start would open it.
 */
async function initdbInChild(dir: string, logger: Logger): Promise<void> {
  const fail = (why: string): never => {
    throw new SwitchyardError('SY_ERR_DB_INIT', `creating the embedded database in ${dir} failed: ${why}`);
  };
  let entries: string[] = [];
  try {
    entries = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') fail((err as Error).message);
  }
  if (entries.length > 0) fail(`it holds files but no database (no PG_VERSION): ${entries.slice(0, 5).join(', ')}; move them away`);

  const started = Date.now();
  // One per attempt: a child left running by a parent killed outright must
  // not write into the next attempt's directory.
  const building = `${dir}.initdb-${process.pid}`;
  logger.info({ db: `PGlite in ${dir}` }, 'creating the embedded database (initdb, a few seconds, once)');
  await removeEarlierAttempts(dir);
  const child = spawn(process.execPath, [path.join(__dirname, 'pglite-initdb.js'), building], { stdio: ['ignore', 'ignore', 'pipe'] });
  // A shutdown during the first start exits without waiting for initdb.
  const killChild = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killChild);
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => {
    if (stderr.length < MAX_INITDB_STDERR) stderr += s;
  });
  const code = await new Promise<number | string>((resolve) => {
    child.on('error', (err) => resolve(err.message));
    child.on('close', (status, signal) => resolve(status ?? `killed by ${signal}`));
  });
  process.removeListener('exit', killChild);
  if (code !== 0) {
    await rm(building, { recursive: true, force: true }).catch(() => {});
    fail(stderr.trim().slice(0, MAX_INITDB_STDERR) || (typeof code === 'number' ? `exit code ${code}` : code));
  }
  await rmdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
  await rename(building, dir);
  logger.info({ db: `PGlite in ${dir}`, ms: Date.now() - started }, 'embedded database created');
}

/** Removes what earlier initdb attempts cut short left beside `dir` (<dir>.initdb-<pid>). */
async function removeEarlierAttempts(dir: string): Promise<void> {
  const prefix = `${path.basename(dir)}.initdb-`;
  const beside = await readdir(path.dirname(dir)).catch(() => [] as string[]);
  for (const name of beside) {
    if (name.startsWith(prefix)) await rm(path.join(path.dirname(dir), name), { recursive: true, force: true });
  }
}

export async function openPgliteDb(dir: string, logger: Logger): Promise<Db> {
  const unlock = await lockDataDir(dir);
  try {
    if (!existsSync(path.join(dir, 'PG_VERSION'))) await initdbInChild(dir, logger);
    const pg = await PGlite.create(dir, { postgresqlconf: EMBEDDED_CONF });
    return new PgliteDb(pg, dir, logger, unlock);
  } catch (err) {
    await unlock();
    throw err;
  }
}

class PgliteDb implements Db {
  readonly kind = 'pglite' as const;
  readonly description: string;
  private readonly listeners = new Set<DbListenHandle>();
  private closed = false;

  constructor(
    private readonly pg: PGlite,
    dir: string,
    private readonly logger: Logger,
    private readonly unlock: () => Promise<void>,
  ) {
    this.description = `PGlite in ${dir}`;
  }

  query<R = any>(sql: string, params?: unknown[]): Promise<DbResult<R>> {
    if (this.closed) return Promise.reject(new SwitchyardError('SY_ERR_DB_CLOSED', `${this.description} is closed`));
    return run<R>(this.pg, sql, params);
  }

  transaction<T>(fn: (tx: DbQueryable) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new SwitchyardError('SY_ERR_DB_CLOSED', `${this.description} is closed`));
    return this.pg.transaction((tx) => fn({ query: <R>(sql: string, params?: unknown[]) => run<R>(tx, sql, params) }));
  }

  async listen(channel: string, handlers: DbListenHandlers): Promise<DbListenHandle> {
    if (this.closed) throw new SwitchyardError('SY_ERR_DB_CLOSED', `${this.description} is closed`);
    const unlisten = await this.pg.listen(channel, (payload) => handlers.onNotify(payload));
    let open = true;
    const handle: DbListenHandle = {
      close: async () => {
        if (!open) return;
        open = false;
        this.listeners.delete(handle);
        if (!this.pg.closed) await unlisten();
      },
    };
    this.listeners.add(handle);
    // In-process: there is no connection to lose, so "connected" is immediate
    // (after returning, like the postgres implementation).
    setImmediate(() => {
      if (open) handlers.onConnect();
    });
    return handle;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.listeners].map((l) => l.close()));
    try {
      await this.pg.close();
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, db: this.description }, 'closing PGlite failed; its files are left as they are');
    }
    await this.unlock();
  }
}
