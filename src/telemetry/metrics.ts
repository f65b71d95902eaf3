// One Prometheus registry for the whole process. Components create their
// metrics against it at module load (prom-client metrics are cheap to hold)
// and the HTTP server exposes it on /metrics.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

/** Reports one series of a scraped metric. */
export type Emit = (labels: Record<string, string>, value: number) => void;

/**
 * A metric whose values are read at scrape time from plain numbers that the
 * hot path bumps: `read` reports every current series through `emit`.
 * Incrementing a labelled prom-client metric per message would hash the label
 * set on the hot path; reading once per scrape costs nothing there. Series of
 * things that went away (closed drains) disappear with them.
 */
export function scraped(type: 'counter' | 'gauge', name: string, help: string, labelNames: readonly string[], read: (emit: Emit) => void): void {
  const opts = {
    name,
    help,
    labelNames,
    registers: [registry],
  };
  if (type === 'counter') {
    new Counter({
      ...opts,
      collect() {
        this.reset();
        read((labels, v) => this.inc(labels, v));
      },
    });
  } else {
    new Gauge({
      ...opts,
      collect() {
        this.reset();
        read((labels, v) => this.set(labels, v));
      },
    });
  }
}
