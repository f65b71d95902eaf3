// One Prometheus registry for the whole process. Components create their
// metrics against it at module load (prom-client metrics are cheap to hold)
// and the HTTP server exposes it on /metrics.
import { Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });
