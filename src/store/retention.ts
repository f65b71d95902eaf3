// Retention of the persistent log store: per key, keep at most `maxLines`
// lines, `maxBytes` bytes and nothing older than `maxAgeMs` (0 = no limit).
//
// A background pass every `intervalMs` walks the keys and deletes the oldest
// rows in chunks of `chunkRows`, one short statement each, never inside one
// long transaction: writers keep inserting between chunks (on PGlite, whose
// single backend serialises statements, they get a turn after every chunk).
// Several routers sharing one database may run passes at once; deletes are
// idempotent, so that costs duplicate work, not wrong results.
//
// Keys expire too. A key is known (GET /logs/:key answers 200, possibly
// empty, instead of 404) while it has lines or a log_keys row, which a
// persistent drain writes when it starts. With an age limit, a key that has no
// lines left and was registered longer ago than the limit is forgotten (its
// row deleted): it then reads as an unknown key does, 404, until a line is
// stored for it again. A key registered within the limit stays known while
// empty, so a new drain's key answers 200 before its first line arrives.
import type { Logger } from 'pino';
import type { Db } from './db';
import { storeStats } from './log-metrics';

export interface RetentionOptions {
  /** Lines kept per key (PERSISTENT_MAX_LINES); 0 = unlimited. */
  maxLines: number;
  /** Bytes of lines kept per key (PERSISTENT_MAX_BYTES); 0 = unlimited. */
  maxBytes: number;
  /** Age of the oldest line kept, in ms, by arrival time (PERSISTENT_MAX_AGE); 0 = unlimited. */
  maxAgeMs: number;
  /** Time between passes, ms (PERSISTENT_RETENTION_INTERVAL). */
  intervalMs: number;
  /** Rows per DELETE statement. */
  chunkRows: number;
}

export const RETENTION_DEFAULTS: RetentionOptions = {
  maxLines: 10_000,
  maxBytes: 16 * 1024 * 1024,
  maxAgeMs: 7 * 24 * 3600 * 1000,
  intervalMs: 60_000,
  chunkRows: 5_000,
};

export interface RetentionResult {
  keys: number;
  deleted: { age: number; lines: number; bytes: number };
  /** log_keys rows deleted: keys with no lines left, registered longer ago than maxAgeMs. */
  keysForgotten: number;
}

// Distinct keys through the (key, id) index: one probe per key (a "loose
// index scan"), instead of reading every row as SELECT DISTINCT would.
const KEYS_SQL = `
WITH RECURSIVE k(key) AS (
  (SELECT key FROM log_lines ORDER BY key LIMIT 1)
  UNION ALL
  SELECT (SELECT l.key FROM log_lines l WHERE l.key > k.key ORDER BY l.key LIMIT 1) FROM k WHERE k.key IS NOT NULL
)
SELECT key FROM k WHERE key IS NOT NULL`;

export class Retention {
  readonly opts: RetentionOptions;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<RetentionResult> | null = null;
  private stopped = false;

  constructor(
    private readonly db: () => Promise<Db>,
    opts: Partial<RetentionOptions>,
    private readonly log: Logger,
  ) {
    this.opts = { ...RETENTION_DEFAULTS, ...opts };
  }

  /** Starts the periodic passes (idempotent). */
  start(): void {
    if (this.timer !== null || this.stopped || this.opts.intervalMs <= 0) return;
    this.timer = setInterval(() => {
      if (this.running === null) void this.runOnce().catch(() => {});
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.running !== null) await this.running.catch(() => {});
  }

  /** One pass over every key; a pass already running is joined, not doubled. */
  runOnce(): Promise<RetentionResult> {
    if (this.running === null) {
      this.running = this.pass().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  private async pass(): Promise<RetentionResult> {
    const out: RetentionResult = { keys: 0, deleted: { age: 0, lines: 0, bytes: 0 }, keysForgotten: 0 };
    const { maxLines, maxBytes, maxAgeMs } = this.opts;
    if (maxLines <= 0 && maxBytes <= 0 && maxAgeMs <= 0) return out;
    try {
      const db = await this.db();
      const keys = (await db.query<{ key: string }>(KEYS_SQL)).rows.map((r) => r.key);
      for (const key of keys) {
        if (this.stopped) break;
        out.keys++;
        if (maxAgeMs > 0) out.deleted.age += await this.byAge(db, key, maxAgeMs);
        if (maxLines > 0) out.deleted.lines += await this.byLines(db, key, maxLines);
        if (maxBytes > 0) out.deleted.bytes += await this.byBytes(db, key, maxBytes);
      }
      if (maxAgeMs > 0 && !this.stopped) out.keysForgotten = await this.forgetKeys(db, maxAgeMs);
    } catch (err) {
      storeStats.retentionErrors++;
      this.log.warn({ err: (err as Error).message }, 'log store retention pass failed; it runs again at the next interval');
      throw err;
    } finally {
      storeStats.retentionDeleted.age += out.deleted.age;
      storeStats.retentionDeleted.lines += out.deleted.lines;
      storeStats.retentionDeleted.bytes += out.deleted.bytes;
      storeStats.retentionKeys += out.keysForgotten;
    }
    return out;
  }

  /**
   * Oldest chunk first; ids follow arrival, so once a chunk is not entirely
   * expired the rest is younger and the walk stops (rows committed slightly
   * out of order are caught by the next pass).
   */
  private async byAge(db: Db, key: string, maxAgeMs: number): Promise<number> {
    const chunk = this.opts.chunkRows;
    let total = 0;
    for (;;) {
      const r = await db.query(
        `DELETE FROM log_lines WHERE id IN (
           SELECT id FROM (SELECT id, received FROM log_lines WHERE key = $1 ORDER BY id LIMIT $2) oldest
            WHERE received < now() - $3::bigint * interval '1 millisecond')`,
        [key, chunk, maxAgeMs],
      );
      total += r.rowCount;
      if (r.rowCount < chunk || this.stopped) return total;
    }
  }

  private async byLines(db: Db, key: string, maxLines: number): Promise<number> {
    const r = await db.query<{ id: string }>(
      'SELECT id::text AS id FROM log_lines WHERE key = $1 ORDER BY log_lines.id DESC OFFSET $2 LIMIT 1',
      [key, maxLines],
    );
    const last = r.rows[0]?.id;
    return last === undefined ? 0 : this.deleteThrough(db, key, last);
  }

  private async byBytes(db: Db, key: string, maxBytes: number): Promise<number> {
    // The newest line whose running total (newest first) passes the limit: it
    // and everything older goes. Reads one key's rows, which the line limit bounds.
    const r = await db.query<{ id: string }>(
      `SELECT id::text AS id FROM (
         SELECT id, sum(octet_length(line)) OVER (ORDER BY id DESC) AS total FROM log_lines WHERE key = $1
       ) s WHERE total > $2 ORDER BY s.id DESC LIMIT 1`,
      [key, maxBytes],
    );
    const last = r.rows[0]?.id;
    return last === undefined ? 0 : this.deleteThrough(db, key, last);
  }

  /**
   * Deletes the log_keys rows of keys with no lines that were registered
   * longer ago than maxAgeMs (see the top of this file), a chunk per
   * statement. A line stored for such a key meanwhile keeps it known through
   * log_lines, so the race with a writer loses nothing.
   */
  private async forgetKeys(db: Db, maxAgeMs: number): Promise<number> {
    const chunk = this.opts.chunkRows;
    let total = 0;
    for (;;) {
      const r = await db.query(
        `DELETE FROM log_keys WHERE key IN (
           SELECT k.key FROM log_keys k
            WHERE k.created < now() - $1::bigint * interval '1 millisecond'
              AND NOT EXISTS (SELECT 1 FROM log_lines l WHERE l.key = k.key)
            LIMIT $2)`,
        [maxAgeMs, chunk],
      );
      total += r.rowCount;
      if (r.rowCount < chunk || this.stopped) return total;
    }
  }

  /** Deletes the key's rows with id ≤ lastId, oldest first, a chunk per statement. */
  private async deleteThrough(db: Db, key: string, lastId: string): Promise<number> {
    const chunk = this.opts.chunkRows;
    let total = 0;
    for (;;) {
      const r = await db.query(
        `DELETE FROM log_lines WHERE id IN (
           SELECT id FROM log_lines WHERE key = $1 AND id <= $2::bigint ORDER BY id LIMIT $3)`,
        [key, lastId, chunk],
      );
      total += r.rowCount;
      if (r.rowCount < chunk || this.stopped) return total;
    }
  }
}
