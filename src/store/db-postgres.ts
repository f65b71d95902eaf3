// Db on a real PostgreSQL: a pg Pool for queries and pg-listen for the
// dedicated LISTEN connection.
//
// pg-listen reconnects a connection that was once up, but two of its paths
// need a guard (seen with pg-listen 1.7): a failed *first* connect starts a
// reconnect loop that close() does not stop, and a failed re-LISTEN ends in an
// 'error' after which it never reconnects again. So each subscriber here is
// disposable: the first connect, and any 'error', is handled by our own loop
// that throws the subscriber away and builds a fresh one after a backoff.
import { backoffDelay } from '../backoff';
import pg from 'pg';
import createSubscriber, { type Subscriber } from 'pg-listen';
import type { Logger } from 'pino';
import { SwitchyardError } from '../errors';
import { describePostgresUrl, type Db, type DbListenHandle, type DbListenHandlers, type DbQueryable, type DbResult } from './db';

/** application_name of our connections, so operators (and tests) can find them in pg_stat_activity. */
export const APPLICATION_NAME = 'switchyard';
export const LISTEN_APPLICATION_NAME = 'switchyard-listen';

function toResult<R>(res: pg.QueryResult | pg.QueryResult[]): DbResult<R> {
  const last = Array.isArray(res) ? res[res.length - 1] : res;
  if (last === undefined) return { rows: [], rowCount: 0 };
  return { rows: last.rows as R[], rowCount: last.rowCount ?? last.rows.length };
}

export class PostgresDb implements Db {
  readonly kind = 'postgres' as const;
  readonly description: string;
  private readonly pool: pg.Pool;
  private readonly listeners = new Set<DbListenHandle>();
  private closed = false;

  constructor(private readonly url: string, private readonly logger: Logger) {
    this.description = describePostgresUrl(url);
    this.pool = new pg.Pool({
      connectionString: url,
      application_name: APPLICATION_NAME,
      max: 10,
      // Fail a query fast when the server is unreachable instead of queueing forever.
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
    });
    // An idle pooled connection that dies (server restart, pg_terminate_backend)
    // emits 'error' on the pool; unhandled it would crash the process.
    this.pool.on('error', (err) => {
      this.logger.warn({ err: err.message, db: this.description }, 'an idle database connection failed; the pool opens a new one on the next query');
    });
  }

  async query<R = any>(sql: string, params?: unknown[]): Promise<DbResult<R>> {
    const res = await this.pool.query(sql, params as any[] | undefined);
    return toResult<R>(res as pg.QueryResult | pg.QueryResult[]);
  }

  async transaction<T>(fn: (tx: DbQueryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const tx: DbQueryable = {
        query: async <R>(sql: string, params?: unknown[]) => toResult<R>((await client.query(sql, params as any[] | undefined)) as pg.QueryResult),
      };
      const out = await fn(tx);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackErr) {
        // The connection itself is gone: do not hand it back to the pool.
        broken = rollbackErr as Error;
      }
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async listen(channel: string, handlers: DbListenHandlers): Promise<DbListenHandle> {
    if (this.closed) throw new SwitchyardError('SY_ERR_DB_CLOSED', 'the database handle is closed');
    const listener = new PgListener(this.url, channel, handlers, this.logger, this.description);
    const handle: DbListenHandle = {
      close: async () => {
        this.listeners.delete(handle);
        await listener.close();
      },
    };
    this.listeners.add(handle);
    listener.start();
    return handle;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.listeners].map((l) => l.close()));
    await this.pool.end();
  }
}

class PgListener {
  private sub: Subscriber | undefined;
  private discardSub: (() => Promise<void>) | undefined;
  private connecting: Promise<void> | undefined;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private connected = false;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly handlers: DbListenHandlers,
    private readonly logger: Logger,
    private readonly description: string,
  ) {}

  start(): void {
    this.connecting = this.connectFresh();
  }

  private async connectFresh(): Promise<void> {
    this.retryTimer = undefined;
    if (this.closed) return;
    let dead = false; // set when this subscriber is thrown away
    const sub = createSubscriber(
      { connectionString: this.url, application_name: LISTEN_APPLICATION_NAME, connectionTimeoutMillis: 5_000 },
      {
        retryTimeout: 0, // never give up; the backoff below bounds the rate
        retryInterval: (n: number) => {
          // Throwing is the only way to stop pg-listen's internal reconnect loop.
          if (dead || this.closed) throw new SwitchyardError('SY_ERR_DB_CLOSED', 'listener closed');
          return backoffDelay(n);
        },
        paranoidChecking: 15_000, // finds half-open TCP connections a quiet channel would never notice
        parse: (s: string) => s, // payloads stay strings; the caller decides how to parse
      },
    );
    // Handlers stay attached after discard: a reconnect already in flight may
    // still succeed, and the 'connected' handler must then close that too.
    const discard = () => {
      dead = true;
      return sub.close().then(() => undefined, () => undefined);
    };
    sub.events.on('notification', (n) => {
      if (!dead) this.handlers.onNotify(typeof n.payload === 'string' ? n.payload : '');
    });
    sub.events.on('reconnect', (attempt: number) => {
      if (attempt === 1 && !dead) this.lost(new SwitchyardError('SY_ERR_DB_LISTEN_LOST', `lost the LISTEN connection to ${this.description}`));
    });
    sub.events.on('connected', () => {
      if (dead || this.closed) {
        void discard();
        return;
      }
      // pg-listen emits 'connected' after it re-issued LISTEN on a new connection.
      if (this.sub === sub && !this.connected) this.up();
    });
    sub.events.on('error', (err: Error) => {
      if (dead) return; // late errors of a discarded subscriber are expected
      void discard();
      if (this.sub === sub) {
        this.sub = undefined;
        this.discardSub = undefined;
      }
      this.lost(err);
      this.scheduleFresh();
    });
    try {
      await sub.connect();
      await sub.listenTo(this.channel);
    } catch (err) {
      void discard();
      this.lost(err as Error);
      this.scheduleFresh();
      return;
    }
    if (this.closed) return discard();
    this.sub = sub;
    this.discardSub = discard;
    this.up();
  }

  private up(): void {
    this.connected = true;
    this.attempt = 0;
    this.handlers.onConnect();
  }

  private lost(err: Error): void {
    if (this.closed) return;
    const wasConnected = this.connected;
    this.connected = false;
    // Report every failed first attempt, but a drop of a live connection only once.
    if (wasConnected || this.sub === undefined) this.handlers.onDisconnect(err);
  }

  private scheduleFresh(): void {
    if (this.closed || this.retryTimer !== undefined) return;
    const delay = backoffDelay(this.attempt++);
    this.logger.debug({ db: this.description, delayMs: delay }, 'LISTEN connection failed; retrying');
    this.retryTimer = setTimeout(() => {
      this.connecting = this.connectFresh();
    }, delay);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    // A connect in progress notices `closed` when it settles and discards itself.
    await this.connecting;
    const discard = this.discardSub;
    this.sub = undefined;
    this.discardSub = undefined;
    if (discard !== undefined) await discard();
  }
}
