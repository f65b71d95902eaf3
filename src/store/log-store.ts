// The persistent log store: append-only rows in `log_lines` (migrations/002),
// one shared instance for every persistent:// drain and for GET /logs/:key.
//
// Writes are batches: a drain hands over its records back to back in one
// Buffer with their end offsets, and one INSERT ... SELECT FROM unnest() turns
// them into rows (one round trip per batch, or per several batches of several
// keys waiting together; on PostgreSQL and PGlite alike).
// Reads are keyset pages by id, so a million stored lines are never in memory
// at once. The database may be opened lazily (embedded PGlite costs memory and
// a second of start-up), only once a persistent drain or a /logs request needs it.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { SwitchyardError } from '../errors';
import type { Db } from './db';
import { loadMigrations, migrate } from './migrate';
import { LogWriter } from './log-writer';
import { Retention, type RetentionOptions } from './retention';

/** Longest key (persistent://<key>, /logs/<key>). */
export const MAX_KEY_LENGTH = 128;
const KEY_RE = /^[A-Za-z0-9][A-Za-z0-9._~-]*$/;

/** null when `key` is acceptable, else why not (for drain URL errors and the API's 400). */
export function keyProblem(key: string): string | null {
  if (key.length === 0) return 'the key is empty';
  if (key.length > MAX_KEY_LENGTH) return `the key is ${key.length} characters long; at most ${MAX_KEY_LENGTH} are allowed`;
  if (!KEY_RE.test(key)) return 'the key may only contain letters, digits, ".", "_", "~" and "-", and must start with a letter or digit';
  return null;
}

/** One stored line. `id` is a bigint as decimal text (exact beyond 2^53). */
export interface LogRow {
  id: string;
  received: Date;
  line: Buffer;
}

export interface ReadRange {
  /** Rows with id greater than this ('0' = from the start). */
  afterId: string;
  /** Arrival-time bounds (inclusive), as RFC 3339 text or null. */
  since: string | null;
  until: string | null;
  /** Rows with id up to this one only (a snapshot of the key), or null/absent for no bound. */
  throughId?: string | null;
}

export interface LogStoreOptions {
  /** The database, or how to open it on first use. */
  db: Db | (() => Promise<Db>);
  logger: Logger;
  /** Apply migrations/002+ (the log tables) when the database is first used. Default true. */
  migrate?: boolean;
  /** Retention limits and schedule; omitted fields take their defaults. */
  retention?: Partial<RetentionOptions>;
  /** Close the database in close() (true when the store opened it). Default: only when given an opener. */
  ownsDb?: boolean;
}

export class LogStore {
  readonly retention: Retention;
  private readonly writer: LogWriter;
  private readonly log: Logger;
  private readonly opener: () => Promise<Db>;
  private readonly ownsDb: boolean;
  private readonly doMigrate: boolean;
  private dbPromise: Promise<Db> | null = null;
  private closed = false;
  /** Emits the key after a batch for it committed (wakes /logs followers in this process). */
  private readonly appended = new EventEmitter();

  constructor(opts: LogStoreOptions) {
    this.log = opts.logger.child({ component: 'log-store' });
    const given = opts.db;
    this.opener = typeof given === 'function' ? given : async () => given;
    this.ownsDb = opts.ownsDb ?? typeof given === 'function';
    this.doMigrate = opts.migrate ?? true;
    this.appended.setMaxListeners(0);
    this.retention = new Retention(() => this.database(), opts.retention ?? {}, this.log);
    this.writer = new LogWriter(() => this.database(), (key) => this.appended.emit('key', key));
  }

  /**
   * The database, opened and migrated on first call. A failure is not cached:
   * the next call tries again (a database that was down at start-up).
   */
  database(): Promise<Db> {
    if (this.closed) return Promise.reject(new SwitchyardError('SY_ERR_STORE_CLOSED', 'the log store is closed'));
    if (this.dbPromise === null) {
      this.dbPromise = this.open().catch((err) => {
        this.dbPromise = null;
        throw err;
      });
    }
    return this.dbPromise;
  }

  private async open(): Promise<Db> {
    const db = await this.opener();
    if (this.doMigrate) {
      // Only the log tables (NNN_log_*.sql): a separate PERSISTENT_DATABASE_URL
      // needs no drains table. On the routes database the app's own migrate()
      // may have applied them already; they are recorded by name, so no twice.
      const all = await loadMigrations();
      await migrate(db, { migrations: all.filter((m) => /^\d+_log_/.test(m.name)) });
    }
    if (!this.closed) this.retention.start();
    return db;
  }

  /** Marks a key as known (idempotent): called when a persistent drain for it starts. */
  async registerKey(key: string): Promise<void> {
    const db = await this.database();
    await db.query('INSERT INTO log_keys (key) VALUES ($1) ON CONFLICT (key) DO NOTHING', [key]);
  }

  /**
   * Appends `count` lines for `key`, in order: line i is buf[ends[i-1] (or 0)
   * : ends[i]]. Resolves once committed; rejects with the database's error, and
   * then nothing of the batch is stored. Batches of several keys waiting at the
   * same time share one INSERT (see log-writer.ts). `buf` must stay unchanged
   * until the promise settles.
   */
  append(key: string, buf: Buffer, ends: Uint32Array, count: number): Promise<void> {
    if (this.closed) return Promise.reject(new SwitchyardError('SY_ERR_STORE_CLOSED', 'the log store is closed'));
    return this.writer.append(key, buf, ends, count);
  }

  /** A key is known when a persistent drain registered it or it has stored lines. */
  async keyExists(key: string): Promise<boolean> {
    const db = await this.database();
    const r = await db.query(
      'SELECT EXISTS (SELECT 1 FROM log_keys WHERE key = $1) OR EXISTS (SELECT 1 FROM log_lines WHERE key = $1) AS known',
      [key],
    );
    return r.rows[0]?.known === true;
  }

  // Ids leave the database as text (exact beyond 2^53); ORDER BY therefore
  // names log_lines.id, since a bare "id" would sort the text alias.

  /** Up to `limit` rows after `range.afterId`, in id (arrival) order. */
  async readPage(key: string, range: ReadRange, limit: number): Promise<LogRow[]> {
    const db = await this.database();
    const r = await db.query<{ id: string; received: Date; line: Uint8Array }>(
      `SELECT id::text AS id, received, line FROM log_lines
        WHERE key = $1 AND id > $2::bigint
          AND ($3::timestamptz IS NULL OR received >= $3::timestamptz)
          AND ($4::timestamptz IS NULL OR received <= $4::timestamptz)
          AND ($6::bigint IS NULL OR log_lines.id <= $6::bigint)
        ORDER BY log_lines.id LIMIT $5`,
      [key, range.afterId, range.since, range.until, limit, range.throughId ?? null],
    );
    const rows = r.rows as unknown as LogRow[];
    for (const row of rows) {
      // PGlite returns Uint8Array for bytea, pg a Buffer: make both Buffers without copying.
      const l = row.line as Uint8Array;
      if (!Buffer.isBuffer(l)) row.line = Buffer.from(l.buffer, l.byteOffset, l.byteLength);
      if (!(row.received instanceof Date)) row.received = new Date(row.received as unknown as string);
    }
    return rows;
  }

  /**
   * The afterId from which reading yields only the last `n` lines of the range
   * (keyset: one index walk backwards, nothing loaded).
   */
  async tailStart(key: string, n: number, range: ReadRange): Promise<string> {
    if (n <= 0) return (await this.lastId(key)) ?? range.afterId;
    const db = await this.database();
    const r = await db.query<{ id: string }>(
      `SELECT id::text AS id FROM log_lines
        WHERE key = $1 AND id > $2::bigint
          AND ($3::timestamptz IS NULL OR received >= $3::timestamptz)
          AND ($4::timestamptz IS NULL OR received <= $4::timestamptz)
          AND ($6::bigint IS NULL OR log_lines.id <= $6::bigint)
        ORDER BY log_lines.id DESC OFFSET $5 LIMIT 1`,
      [key, range.afterId, range.since, range.until, n, range.throughId ?? null],
    );
    return r.rows[0]?.id ?? range.afterId;
  }

  /** Highest id stored for `key`, or null when it has none. */
  async lastId(key: string): Promise<string | null> {
    const db = await this.database();
    const r = await db.query<{ id: string }>('SELECT id::text AS id FROM log_lines WHERE key = $1 ORDER BY log_lines.id DESC LIMIT 1', [key]);
    return r.rows[0]?.id ?? null;
  }

  /** Calls fn(key) after each committed batch; returns the unsubscribe function. */
  onAppend(fn: (key: string) => void): () => void {
    this.appended.on('key', fn);
    return () => this.appended.off('key', fn);
  }

  /** Stops retention; closes the database if the store opened it. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.retention.stop();
    const pending = this.dbPromise;
    this.dbPromise = null;
    if (this.ownsDb && pending !== null) {
      const db = await pending.catch(() => null);
      if (db !== null) await db.close();
    }
  }
}
