// Routes from the `drains` table (real PostgreSQL or embedded PGlite, same
// code): a full load, then LISTEN switchyard_drains for row changes, a full
// resync after every (re)connect and periodically as a safety net, and a
// last-known-good copy on disk for starts during a database outage.
//
// All reads run one at a time through work(), which keeps ordering simple:
// a notification that arrives during a full resync is re-read after it, so a
// resync's older snapshot can never overwrite a newer single-row read.
// Per change the work is O(changed rows): the set lives in an array with an
// id → index map (delete = swap with the last), and the emit hands out a
// pointer copy of that array for the consumer to rebuild its table from.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { Counter, Gauge } from 'prom-client';
import { backoffDelay } from '../backoff';
import type { Db, DbListenHandle } from '../store/db';
import { registry } from '../telemetry/metrics';
import { LastKnownGoodFile } from './last-known-good';
import type { RouteRow, RouteSource } from './route-source';

export const DRAINS_CHANNEL = 'switchyard_drains';

const resyncs = new Counter({
  name: 'switchyard_route_source_resyncs_total',
  help: 'Full reloads of the drains table (start-up, reconnect, periodic, or after a burst too large to read row by row).',
  registers: [registry],
});
const connected = new Gauge({
  name: 'switchyard_route_source_connected',
  help: '1 while the route source is listening for drain changes, 0 while it is reconnecting.',
  registers: [registry],
});
const errors = new Counter({
  name: 'switchyard_route_source_errors_total',
  help: 'Route source failures: lost or failed database connections, failed reads, unreadable notifications.',
  registers: [registry],
});
const rowsGauge = new Gauge({
  name: 'switchyard_routes_rows',
  help: 'Rows in the current route set.',
  registers: [registry],
});

const SELECT_ALL = 'SELECT drain::text AS id, hostname, endpoint FROM drains';
const SELECT_SOME = 'SELECT drain::text AS id, hostname, endpoint FROM drains WHERE drain = ANY($1::uuid[])';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface DbRouteSourceOptions {
  db: Db;
  /** Where routes.json (the last-known-good copy) lives. */
  dataDir: string;
  logger: Logger;
  /** Full reload interval as a safety net against lost notifications, ms. Default 60 000. */
  resyncIntervalMs?: number;
  /** How long to gather notifications before reading the rows, ms. Default 5. */
  coalesceMs?: number;
  /** More changed ids than this in one burst are read with one full resync instead. Default 10 000. */
  maxBatchIds?: number;
  /** Delay before saving the last-known-good copy after row changes (full syncs save at once), ms. Default 1 000. */
  saveDelayMs?: number;
}

export class DbRouteSource extends EventEmitter implements RouteSource {
  private readonly db: Db;
  private readonly logger: Logger;
  private readonly lkg: LastKnownGoodFile;
  private readonly resyncIntervalMs: number;
  private readonly coalesceMs: number;
  private readonly maxBatchIds: number;
  private readonly saveDelayMs: number;

  private rows: RouteRow[] = [];
  private readonly index = new Map<string, number>();
  private loadedFromDb = false;
  private usedLastKnownGood = false;

  private readonly pending = new Set<string>();
  private resyncWanted = false;
  private working: Promise<void> | undefined;
  private failures = 0;

  private listenHandle: DbListenHandle | undefined;
  private coalesceTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private periodicTimer: NodeJS.Timeout | undefined;
  private firstOutcome: (() => void) | undefined;
  private started = false;
  private closed = false;

  constructor(opts: DbRouteSourceOptions) {
    super();
    this.db = opts.db;
    this.logger = opts.logger;
    this.lkg = new LastKnownGoodFile(opts.dataDir, opts.logger);
    this.resyncIntervalMs = opts.resyncIntervalMs ?? 60_000;
    this.coalesceMs = opts.coalesceMs ?? 5;
    this.maxBatchIds = opts.maxBatchIds ?? 10_000;
    this.saveDelayMs = opts.saveDelayMs ?? 1_000;
  }

  get ready(): boolean {
    return this.loadedFromDb;
  }

  /** Path of the last-known-good file (for the start-up line and tests). */
  get lastKnownGoodPath(): string {
    return this.lkg.path;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    // Resolved by the first successful load, or by the first failure once the
    // last-known-good copy has been emitted: never by the database coming up.
    const first = new Promise<void>((resolve) => {
      this.firstOutcome = resolve;
    });
    this.listenHandle = await this.db.listen(DRAINS_CHANNEL, {
      onNotify: (payload) => this.onNotify(payload),
      onConnect: () => {
        connected.set(1);
        this.logger.info({ db: this.db.description }, 'listening for drain changes; reloading all routes');
        this.requestResync();
      },
      onDisconnect: (err) => {
        connected.set(0);
        errors.inc();
        this.logger.warn(
          { db: this.db.description, err: err.message },
          this.loadedFromDb
            ? 'lost the database connection for drain changes; routes stay as they are while it reconnects'
            : 'cannot reach the database for routes; retrying with backoff',
        );
        if (!this.loadedFromDb) void this.fallBackToLastKnownGood();
      },
    });
    if (this.closed) {
      // close() ran while listen() was pending and could not see the handle.
      await this.listenHandle.close();
      return;
    }
    this.periodicTimer = setInterval(() => this.requestResync(), this.resyncIntervalMs);
    this.periodicTimer.unref();
    await first;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.settleFirst();
    for (const t of [this.coalesceTimer, this.retryTimer]) if (t !== undefined) clearTimeout(t);
    if (this.periodicTimer !== undefined) clearInterval(this.periodicTimer);
    const handle = this.listenHandle;
    this.listenHandle = undefined;
    if (handle !== undefined) await handle.close();
    if (this.working !== undefined) await this.working;
    await this.lkg.flush();
    connected.set(0);
  }

  private settleFirst(): void {
    const f = this.firstOutcome;
    this.firstOutcome = undefined;
    if (f !== undefined) f();
  }

  private onNotify(payload: string): void {
    if (this.closed) return;
    let id: unknown;
    try {
      id = (JSON.parse(payload) as { id?: unknown }).id;
    } catch {
      id = undefined;
    }
    if (typeof id === 'string' && UUID.test(id)) {
      this.pending.add(id);
    } else {
      // TRUNCATE (no id) or something we do not understand: reload everything.
      this.resyncWanted = true;
    }
    if (this.coalesceTimer === undefined) {
      this.coalesceTimer = setTimeout(() => {
        this.coalesceTimer = undefined;
        this.kick();
      }, this.coalesceMs);
    }
  }

  private requestResync(): void {
    if (this.closed) return;
    this.resyncWanted = true;
    this.kick();
  }

  private kick(): void {
    if (this.working !== undefined || this.closed) return;
    this.working = this.work().finally(() => {
      this.working = undefined;
    });
  }

  private async work(): Promise<void> {
    try {
      while (!this.closed) {
        if (this.resyncWanted) {
          this.resyncWanted = false;
          // The snapshot below is taken after these notifications arrived, so it covers them.
          this.pending.clear();
          await this.fullSync();
        } else if (this.pending.size > this.maxBatchIds) {
          this.resyncWanted = true;
        } else if (this.pending.size > 0) {
          const ids = [...this.pending];
          this.pending.clear();
          try {
            await this.applyIds(ids);
          } catch (err) {
            // Those ids are lost from `pending`: the retry reloads everything instead.
            this.resyncWanted = true;
            throw err;
          }
        } else {
          break;
        }
      }
      this.failures = 0;
    } catch (err) {
      if (this.closed) return;
      errors.inc();
      const delay = backoffDelay(this.failures++, 500);
      this.logger.warn({ db: this.db.description, err: (err as Error).message, retryInMs: delay }, 'reading routes from the database failed; keeping the current routes and retrying');
      this.resyncWanted = true;
      if (this.retryTimer === undefined) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.kick();
        }, delay);
      }
      if (!this.loadedFromDb) await this.fallBackToLastKnownGood();
    }
  }

  private async fullSync(): Promise<void> {
    const res = await this.db.query<RouteRow>(SELECT_ALL);
    if (this.closed) return;
    resyncs.inc();
    const next = res.rows;
    const changed = !this.sameAs(next);
    const first = !this.loadedFromDb;
    if (changed) {
      this.rows = next;
      this.index.clear();
      for (let i = 0; i < next.length; i++) this.index.set(next[i]!.id, i);
    }
    this.loadedFromDb = true;
    if (first) this.logger.info({ db: this.db.description, routes: next.length }, 'loaded routes from the database');
    if (changed || first) {
      this.publish();
      this.lkg.save(this.rows, 0);
    }
    this.settleFirst();
  }

  private sameAs(next: RouteRow[]): boolean {
    if (next.length !== this.rows.length) return false;
    for (const r of next) {
      const i = this.index.get(r.id);
      if (i === undefined) return false;
      const cur = this.rows[i]!;
      if (cur.hostname !== r.hostname || cur.endpoint !== r.endpoint) return false;
    }
    return true;
  }

  private async applyIds(ids: string[]): Promise<void> {
    const res = await this.db.query<RouteRow>(SELECT_SOME, [ids]);
    if (this.closed) return;
    const upserted: RouteRow[] = [];
    const removed: string[] = [];
    const seen = new Set<string>();
    for (const r of res.rows) {
      seen.add(r.id);
      const i = this.index.get(r.id);
      if (i === undefined) {
        this.index.set(r.id, this.rows.length);
        this.rows.push(r);
        upserted.push(r);
      } else {
        const cur = this.rows[i]!;
        if (cur.hostname !== r.hostname || cur.endpoint !== r.endpoint) {
          // A new object, never a mutation: emitted snapshots must not change under the consumer.
          this.rows[i] = r;
          upserted.push(r);
        }
      }
    }
    for (const id of ids) {
      if (seen.has(id)) continue;
      const i = this.index.get(id);
      if (i === undefined) continue; // inserted and deleted within one burst
      const last = this.rows.pop()!;
      if (i < this.rows.length) {
        this.rows[i] = last;
        this.index.set(last.id, i);
      }
      this.index.delete(id);
      removed.push(id);
    }
    if (upserted.length > 0 || removed.length > 0) {
      this.publish({ upserted, removed });
      this.lkg.save(this.rows, this.saveDelayMs);
    }
  }

  /** `change`: the rows this emit changed, so the consumer need not compare the whole set. */
  private publish(change?: { upserted: RouteRow[]; removed: string[] }): void {
    rowsGauge.set(this.rows.length);
    // Copy the array (pointers only): later in-place updates must not reach an emitted set.
    this.emit('routes', this.rows.slice(), change);
  }

  private async fallBackToLastKnownGood(): Promise<void> {
    if (this.usedLastKnownGood) return;
    this.usedLastKnownGood = true;
    const rows = await this.lkg.read();
    if (this.closed || this.loadedFromDb) return; // the database won the race
    if (rows === null) {
      this.logger.warn({ file: this.lkg.path }, 'no last-known-good routes on disk; routing nothing until the database is reachable');
    } else {
      this.logger.warn({ file: this.lkg.path, routes: rows.length }, 'routing with the last-known-good routes until the database is reachable');
      this.rows = rows;
      this.index.clear();
      for (let i = 0; i < rows.length; i++) this.index.set(rows[i]!.id, i);
      this.publish();
    }
    this.settleFirst();
  }
}
