// Turns the rows a route source emits into running drains and a route table.
//
// Every change is applied as a diff: drains whose endpoint is still referenced
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

export class RouteManager {
  private drains = new Map<string, Drain>();
  private readonly closing = new Set<Promise<void>>();
  private readonly invalidSeen = new Set<string>();
  private loaded = false;
  private readonly onRoutes = (rows: ReadonlyArray<RouteRow>): void => this.apply(rows);

  constructor(
    private readonly opts: { router: Router; source: RouteSource; ctx: DrainContext; logger: Logger; drainCloseGraceMs: number },
  ) {}

  /** True once a route set has been applied (from the source or its cached copy). */
  get ready(): boolean {
    return this.loaded;
  }

  get drainCount(): number {
    return this.drains.size;
  }

  async start(): Promise<void> {
    this.opts.source.on('routes', this.onRoutes);
    await this.opts.source.start();
  }

  apply(rows: ReadonlyArray<RouteRow>): void {
    const stop = reloadSeconds.startTimer();
    try {
      this.applyRows(rows);
      reloads.inc();
    } catch (err) {
      reloadFailures.inc();
      this.opts.logger.error({ err }, 'could not apply the new route set; the previous routes stay in force');
    } finally {
      stop();
    }
  }

  private applyRows(rows: ReadonlyArray<RouteRow>): void {
    const { ctx, logger } = this.opts;
    const next = new Map<string, Drain>();
    const byHost = new Map<string, Drain[]>();
    const created: Drain[] = [];
    let invalid = 0;
    for (const row of rows) {
      let d = next.get(row.endpoint) ?? this.drains.get(row.endpoint);
      if (d === undefined) {
        try {
          d = createDrain(parseDrainUrl(row.endpoint), ctx);
          created.push(d);
        } catch (err) {
          invalid++;
          const key = `${row.id}\u0000${row.endpoint}`;
          if (!this.invalidSeen.has(key)) {
            this.invalidSeen.add(key);
            logger.warn({ route: row.id, hostname: row.hostname, reason: (err as Error).message }, 'route skipped: its endpoint is invalid');
          }
          continue;
        }
      }
      next.set(row.endpoint, d);
      const host = foldAscii(row.hostname.trim());
      const list = byHost.get(host);
      if (list === undefined) byHost.set(host, [d]);
      else if (!list.includes(d)) list.push(d);
    }
    this.opts.router.setTable(new RouteTable(byHost));
    for (const d of created) d.start();
    for (const [endpoint, d] of this.drains) {
      if (!next.has(endpoint)) this.retire(d);
    }
    this.drains = next;
    this.loaded = true;
    hostnames.set(byHost.size);
    invalidRows.set(invalid);
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
    const all = [...this.drains.values()].map((d) => d.close(graceMs));
    this.drains = new Map();
    await Promise.all([...all, ...this.closing]);
  }

  /** Now: destroys every drain. */
  destroy(): void {
    for (const d of this.drains.values()) d.destroy();
    this.drains = new Map();
  }
}
