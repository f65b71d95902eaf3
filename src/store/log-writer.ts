// The store's write path: every persistent drain's batches go through one
// queue, and at most MAX_WRITERS statements are in flight at a time. Batches
// that wait together (many keys, each with a small batch) are written by one
// INSERT, so a thousand quiet keys cost a few statements a second and a couple
// of pooled connections, not a thousand of each.
//
// A combined statement is all or nothing. When it fails, each batch in it is
// written alone, so one key's bad rows (a constraint, a trigger) fail only
// that key's drain; the others go through.
import type { Db } from './db';
import { storeStats } from './log-metrics';

/** Statements in flight at once (pooled connections used for writes). */
const MAX_WRITERS = 2;
/** Rows and bytes per combined statement (a single larger batch still goes alone). */
const STATEMENT_ROWS = 5000;
const STATEMENT_BYTES = 4 * 1024 * 1024;

// One row per element of the arrays; ORDER BY the ordinality so ids follow
// the queue order. substring() on bytea counts from 1.
const INSERT_SQL = `INSERT INTO log_lines (key, line)
  SELECT u.k, substring($1::bytea FROM u.s FOR u.l)
    FROM unnest($2::text[], $3::int[], $4::int[]) WITH ORDINALITY AS u(k, s, l, n)
   ORDER BY u.n`;

interface Pending {
  key: string;
  buf: Buffer;
  ends: Uint32Array;
  count: number;
  /** Bytes used in buf (the last end). */
  bytes: number;
  resolve(): void;
  reject(err: unknown): void;
}

export class LogWriter {
  private queue: Pending[] = [];
  private writers = 0;

  constructor(
    private readonly db: () => Promise<Db>,
    /** Called once per key after its rows committed. */
    private readonly committed: (key: string) => void,
  ) {}

  /** Queues one batch; resolves once it is committed, rejects with the database's error. */
  append(key: string, buf: Buffer, ends: Uint32Array, count: number): Promise<void> {
    if (count === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ key, buf, ends, count, bytes: ends[count - 1]!, resolve, reject });
      if (this.writers < MAX_WRITERS) void this.write();
    });
  }

  private async write(): Promise<void> {
    this.writers++;
    try {
      while (this.queue.length > 0) {
        const group = this.takeGroup();
        let db: Db;
        try {
          db = await this.db();
        } catch (err) {
          for (const p of group) p.reject(err);
          continue;
        }
        if (group.length === 1) {
          await this.insert(db, group);
          continue;
        }
        if (!(await this.insert(db, group, false))) {
          for (const p of group) await this.insert(db, [p]);
        }
      }
    } finally {
      this.writers--;
    }
  }

  private takeGroup(): Pending[] {
    let rows = 0;
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length) {
      const p = this.queue[n]!;
      if (n > 0 && (rows + p.count > STATEMENT_ROWS || bytes + p.bytes > STATEMENT_BYTES)) break;
      rows += p.count;
      bytes += p.bytes;
      n++;
    }
    return this.queue.splice(0, n);
  }

  /**
   * One statement for the group. Settles every batch in it unless `settleErrors`
   * is false and it fails (the caller then retries them one by one). Never throws.
   */
  private async insert(db: Db, group: Pending[], settleErrors = true): Promise<boolean> {
    let rows = 0;
    for (const p of group) rows += p.count;
    const keys = new Array<string>(rows);
    const starts = new Array<number>(rows);
    const lens = new Array<number>(rows);
    let r = 0;
    let base = 0;
    for (const p of group) {
      let prev = 0;
      for (let i = 0; i < p.count; i++) {
        const end = p.ends[i]!;
        keys[r] = p.key;
        starts[r] = base + prev + 1;
        lens[r] = end - prev;
        prev = end;
        r++;
      }
      base += p.bytes;
    }
    const data =
      group.length === 1 ? group[0]!.buf.subarray(0, group[0]!.bytes) : Buffer.concat(group.map((p) => p.buf.subarray(0, p.bytes)), base);
    try {
      await db.query(INSERT_SQL, [data, keys, starts, lens]);
    } catch (err) {
      storeStats.writeErrors++;
      if (!settleErrors) return false;
      for (const p of group) p.reject(err);
      return false;
    }
    storeStats.batches++;
    storeStats.rows += rows;
    storeStats.bytes += base;
    const seen = new Set<string>();
    for (const p of group) {
      p.resolve();
      if (!seen.has(p.key)) {
        seen.add(p.key);
        this.committed(p.key);
      }
    }
    return true;
  }
}
