// The route manager, without a network (drains connect lazily, and no message
// is sent): a change applied incrementally must give exactly the table and
// drains a full reload of the same rows gives.
import { EventEmitter } from 'node:events';
import pino from 'pino';
import t from 'tap';
import '../../src/drains';
import type { Drain } from '../../src/drains/drain';
import { RouteManager, type RouteChange } from '../../src/routes/route-manager';
import type { RouteRow, RouteSource } from '../../src/routes/route-source';
import { Router } from '../../src/router/router';

class Source extends EventEmitter implements RouteSource {
  ready = true;
  async start(): Promise<void> {}
  async close(): Promise<void> {}
}

function manager(): { rm: RouteManager; router: Router } {
  const router = new Router();
  const rm = new RouteManager({
    router,
    source: new Source(),
    ctx: { logger: pino({ level: 'silent' }), buffer: { policy: 'backpressure', bytes: 1 << 20, messages: 1000, graceMs: 1000 }, connectTimeoutMs: 1000, writeTimeoutMs: 1000, services: {} },
    logger: pino({ level: 'silent' }),
    drainCloseGraceMs: 10,
  });
  return { rm, router };
}

/** The manager's private hostname → endpoint(s) map, to compare memory forms. */
function hostsOf(m: RouteManager): Map<string, string | Map<string, number>> {
  return (m as unknown as { hosts: Map<string, string | Map<string, number>> }).hosts;
}

/** hostname → sorted drain URLs, the observable routing. */
function view(router: Router): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const h of router.routes.hostnames()) out[h] = router.routes.lookupName(h)!.map((d: Drain) => d.url).sort();
  return out;
}

t.test('incremental changes give the same routing as a full reload, and keep unchanged drains', async (t) => {
  let seed = 11;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const endpoint = (): string => (rnd(10) === 0 ? 'bogus://nope' : `syslog+tcp://127.0.0.1:${9000 + rnd(15)}`);
  const host = (): string => (rnd(2) ? 'App-' : 'app-') + rnd(25);
  const inc = manager();
  let rows: RouteRow[] = [];
  for (let i = 0; i < 60; i++) rows.push({ id: `r${i}`, hostname: host(), endpoint: endpoint() });
  inc.rm.apply(rows);
  let next = 60;
  for (let step = 0; step < 200; step++) {
    const upserted: RouteRow[] = [];
    const removed: string[] = [];
    const before = new Map(rows.map((r) => [r.id, r]));
    for (let k = 0; k < 1 + rnd(4); k++) {
      const op = rnd(3);
      if (op === 0 || rows.length === 0) {
        const r = { id: `r${next++}`, hostname: host(), endpoint: endpoint() };
        rows.push(r);
        upserted.push(r);
      } else if (op === 1) {
        const i = rnd(rows.length);
        const r = { ...rows[i], ...(rnd(2) ? { endpoint: endpoint() } : { hostname: host() }) };
        rows[i] = r;
        upserted.push(r);
      } else {
        const i = rnd(rows.length);
        removed.push(rows[i].id);
        rows = rows.filter((_, j) => j !== i);
      }
    }
    const drainsBefore = new Map([...before.values()].map((r) => [r.endpoint, inc.router.routes.lookupName(r.hostname)?.find((d) => d.url === r.endpoint)]));
    const change: RouteChange = { upserted: upserted.filter((u) => rows.includes(u)), removed };
    inc.rm.apply(rows, change);
    const full = manager();
    full.rm.apply(rows);
    const want = view(full.router);
    const got = view(inc.router);
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      t.same(got, want, `step ${step}`);
      break;
    }
    t.equal(inc.rm.drainCount, full.rm.drainCount, `step ${step}: one drain per valid endpoint in use`);
    // And the same memory form: a hostname back to one row holds its endpoint
    // string again, not a one-entry Map, after any churn.
    const forms = (m: RouteManager): string => JSON.stringify([...hostsOf(m)].sort(([a], [b]) => (a < b ? -1 : 1)).map(([h, e]) => [h, typeof e === 'string' ? e : [...e].sort()]));
    if (forms(inc.rm) !== forms(full.rm)) {
      t.equal(forms(inc.rm), forms(full.rm), `step ${step}: hostname → endpoints held as a reload holds them`);
      break;
    }
    // A drain whose endpoint stays in use is the same object (keeps connection and queue).
    for (const [ep, d] of drainsBefore) {
      if (d === undefined) continue;
      const still = rows.find((r) => r.endpoint === ep && !r.endpoint.startsWith('bogus'));
      if (still) t.equal(inc.router.routes.lookupName(still.hostname)!.find((x) => x.url === ep), d, `step ${step}: ${ep} kept`);
    }
    full.rm.destroy();
  }
  inc.rm.destroy();
});
