// Turns the rows a route source emits into running drains and a route table.
//
// Every change is applied as a diff (only the changed rows, when the source
// says which; the whole set compared otherwise): drains whose endpoint is still referenced
// keep their connection and their queue; new endpoints get a new drain; an
// endpoint no longer referenced by any row is closed gracefully (flushed, then
// closed) after the new table is in place. One drain serves every hostname
// that names the same endpoint URL. A row whose endpoint does not parse is
// logged once, counted, and skipped: it never blocks the other routes.
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Drain } from '../drains/drain';
import { createDrain, parseDrainUrl } from '../drains';
import type { DrainContext } from '../drains/url';
import { RouteTable, foldAscii } from '../router/route-table';
import type { Router } from '../router/router';
import { registry } from '../telemetry/metrics';
import type { RouteRow, RouteSource } from './route-source';

const reloads = new Counter({ name: 'switchyard_route_reloads_total', help: 'Route sets applied.', registers: [registry] });
const reloadFailures = new Counter({ name: 'switchyard_route_reload_failures_total', help: 'Route sets that could not be applied (the previous table stays).', registers: [registry] });
const reloadSeconds = new Histogram({ name: 'switchyard_route_reload_duration_seconds', help: 'Time to apply a route set.', buckets: [0.001, 0.005, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 3], registers: [registry] });
const hostnames = new Gauge({ name: 'switchyard_routes_hostnames', help: 'Hostnames in the route table.', registers: [registry] });
const invalidRows = new Gauge({ name: 'switchyard_route_rows_invalid', help: 'Route rows skipped because their endpoint is invalid.', registers: [registry] });

/** Which rows an emitted set changed, when the source knows (a full set otherwise). */
export interface RouteChange {
  upserted: ReadonlyArray<RouteRow>;
  removed: ReadonlyArray<string>;
}

type HostEndpoints = string | Map<string, number>;

interface Endpoint {
  drain: Drain;
  /** Rows naming this endpoint. */
  refs: number;
}

export class RouteManager {
  private rowsById = new Map<string, RouteRow>();
  private endpoints = new Map<string, Endpoint>();
  /**
   * Lower-cased hostname → the endpoints its rows name: the endpoint itself
   * when one row routes the hostname (the usual case), else endpoint → rows
   * routing the hostname there. A Map per hostname was 220 bytes per route,
   * most of what 100,000 routes held in this class.
   */
  private hosts = new Map<string, HostEndpoints>();
  /** Rows skipped for an invalid endpoint. */
  private invalid = new Set<string>();
  private readonly closing = new Set<Promise<void>>();
  private readonly invalidSeen = new Set<string>();
  private loaded = false;
  private readonly onRoutes = (rows: ReadonlyArray<RouteRow>, change?: RouteChange): void => this.apply(rows, change);

  constructor(
    private readonly opts: { router: Router; source: RouteSource; ctx: DrainContext; logger: Logger; drainCloseGraceMs: number },
  ) {}

  /** True once a route set has been applied (from the source or its cached copy). */
  get ready(): boolean {
    return this.loaded;
  }

  get drainCount(): number {
    return this.endpoints.size;
  }

  async start(): Promise<void> {
    this.opts.source.on('routes', this.onRoutes);
    await this.opts.source.start();
  }

  /**
   * Applies a route set. With `change` (the rows the source knows changed),
   * only those rows are looked at and the table is patched, so one change
   * costs the same with 100 routes or 100,000; without, the whole set is
   * compared with what runs.
   */
  apply(rows: ReadonlyArray<RouteRow>, change?: RouteChange): void {
    const stop = reloadSeconds.startTimer();
    try {
      if (change !== undefined && this.loaded) this.applyChange(change);
      else this.applyAll(rows);
      this.loaded = true;
      reloads.inc();
      hostnames.set(this.opts.router.routes.size);
      invalidRows.set(this.invalid.size);
    } catch (err) {
      reloadFailures.inc();
      this.opts.logger.error({ err }, 'could not apply the new route set; the previous routes stay in force');
    } finally {
      stop();
    }
  }

  private applyAll(rows: ReadonlyArray<RouteRow>): void {
    const old = this.endpoints;
    this.rowsById = new Map();
    this.endpoints = new Map();
    this.hosts = new Map();
    this.invalid = new Set();
    const created: Drain[] = [];
    for (const row of rows) {
      this.rowsById.set(row.id, row);
      this.link(row, old, created);
    }
    const byHost = new Map<string, Drain[]>();
    for (const [host, eps] of this.hosts) byHost.set(host, this.drainsOf(eps));
    this.opts.router.setTable(new RouteTable(byHost));
    for (const d of created) d.start();
    for (const [endpoint, e] of old) if (!this.endpoints.has(endpoint)) this.retire(e.drain);
  }

  private applyChange(change: RouteChange): void {
    const touched = new Set<string>();
    const created: Drain[] = [];
    const released: Endpoint[] = [];
    for (const id of change.removed) {
      const old = this.rowsById.get(id);
      if (old === undefined) continue;
      this.rowsById.delete(id);
      this.unlink(old, touched, released);
    }
    for (const row of change.upserted) {
      const old = this.rowsById.get(row.id);
      if (old !== undefined) {
        if (old.hostname === row.hostname && old.endpoint === row.endpoint) continue;
        this.unlink(old, touched, released);
      }
      this.rowsById.set(row.id, row);
      if (this.link(row, this.endpoints, created)) touched.add(hostKey(row));
    }
    const patch = new Map<string, Drain[] | undefined>();
    for (const host of touched) {
      const eps = this.hosts.get(host);
      patch.set(host, eps === undefined ? undefined : this.drainsOf(eps));
    }
    this.opts.router.setTable(this.opts.router.routes.patched(patch));
    for (const d of created) d.start();
    for (const e of released) {
      if (e.refs === 0 && this.endpoints.get(e.drain.url) === e) {
        this.endpoints.delete(e.drain.url);
        this.retire(e.drain);
      }
    }
  }

  /** Routes `row`; reuses the drain for its endpoint from `pool` (or this.endpoints). False if its endpoint is invalid. */
  private link(row: RouteRow, pool: Map<string, Endpoint>, created: Drain[]): boolean {
    let e = this.endpoints.get(row.endpoint);
    if (e === undefined) {
      const reused = pool.get(row.endpoint);
      if (reused !== undefined) e = { drain: reused.drain, refs: 0 };
      else {
        try {
          const drain = createDrain(parseDrainUrl(row.endpoint), this.opts.ctx);
          created.push(drain);
          e = { drain, refs: 0 };
        } catch (err) {
          this.invalid.add(row.id);
          const key = `${row.id}\u0000${row.endpoint}`;
          if (!this.invalidSeen.has(key)) {
            this.invalidSeen.add(key);
            this.opts.logger.warn({ route: row.id, hostname: row.hostname, reason: (err as Error).message }, 'route skipped: its endpoint is invalid');
          }
          return false;
        }
      }
      this.endpoints.set(row.endpoint, e);
    }
    e.refs++;
    const host = hostKey(row);
    const eps = this.hosts.get(host);
    if (eps === undefined) this.hosts.set(host, row.endpoint);
    else if (typeof eps === 'string') this.hosts.set(host, addRow(new Map([[eps, 1]]), row.endpoint));
    else addRow(eps, row.endpoint);
    return true;
  }

  private unlink(row: RouteRow, touched: Set<string>, released: Endpoint[]): void {
    if (this.invalid.delete(row.id)) return;
    const host = hostKey(row);
    touched.add(host);
    const eps = this.hosts.get(host);
    if (eps === row.endpoint) this.hosts.delete(host);
    else if (eps !== undefined && typeof eps !== 'string') {
      const n = eps.get(row.endpoint) ?? 0;
      if (n > 1) eps.set(row.endpoint, n - 1);
      else eps.delete(row.endpoint);
      if (eps.size === 0) this.hosts.delete(host);
      else if (eps.size === 1) {
        // Back to one row: the endpoint itself again, as a reload would hold it.
        const [[only, rows]] = eps;
        if (rows === 1) this.hosts.set(host, only);
      }
    }
    const e = this.endpoints.get(row.endpoint);
    if (e !== undefined && --e.refs === 0) released.push(e);
  }

  private drainsOf(eps: HostEndpoints): Drain[] {
    if (typeof eps === 'string') return [this.endpoints.get(eps)!.drain];
    const out: Drain[] = [];
    for (const endpoint of eps.keys()) out.push(this.endpoints.get(endpoint)!.drain);
    return out;
  }

  private retire(d: Drain): void {
    const p = d.close(this.opts.drainCloseGraceMs).catch((err) => this.opts.logger.error({ err, drain: d.label }, 'closing a removed drain failed'));
    this.closing.add(p);
    void p.finally(() => this.closing.delete(p));
  }

  /** Stops taking route changes, then flushes and closes every drain within the grace period. */
  async close(graceMs: number): Promise<void> {
    this.opts.source.off('routes', this.onRoutes);
    await this.opts.source.close();
    const all = [...this.endpoints.values()].map((e) => e.drain.close(graceMs));
    this.endpoints = new Map();
    await Promise.all([...all, ...this.closing]);
  }

  /** Now: destroys every drain. */
  destroy(): void {
    for (const e of this.endpoints.values()) e.drain.destroy();
    this.endpoints = new Map();
  }
}

/** One more row routing a hostname to `endpoint`. */
function addRow(eps: Map<string, number>, endpoint: string): Map<string, number> {
  eps.set(endpoint, (eps.get(endpoint) ?? 0) + 1);
  return eps;
}

function hostKey(row: RouteRow): string {
  return foldAscii(row.hostname.trim());
}
