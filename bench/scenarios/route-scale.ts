// Scenario 9: route scale. 100,000 rows in the drains table: how long the
// router takes from start to ready, what it holds in memory, and how long a
// row change takes to steer traffic (INSERT committed → first message for
// the new hostname arrives at the drain's destination), over 50 changes.
//
// The 100,000 hostnames share 100 drain URLs: 100,000 distinct drains would
// mean 100,000 sockets, beyond this machine's file limit, and would measure
// connection set-up rather than the route table.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { scratchDb } from '../lib/pg';
import { memStats } from '../lib/proc-stats';
import { startRouter } from '../router-process';
import { fmtMb, fmtMs } from './flow';
import { emptyResult, type Scenario } from './types';

const ROWS = 100_000;
const DRAINS = 100;
const CHANGES = 50;
const PROBE_EVERY_MS = 1;
const CHANGE_TIMEOUT_MS = 10_000;

/** A TCP listener that resolves a wait as soon as a given hostname shows up. */
class ProbeSink {
  private server: Server;
  private sockets = new Set<Socket>();
  private waiting?: { needle: Buffer; resolve: () => void };
  port = 0;

  constructor() {
    this.server = createServer((s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => undefined);
      // A frame may straddle two chunks; the probe repeats every millisecond,
      // so a miss costs at most one probe interval.
      s.on('data', (d: Buffer) => {
        const w = this.waiting;
        if (w && d.includes(w.needle)) {
          this.waiting = undefined;
          w.resolve();
        }
      });
    });
  }

  listen(): Promise<void> {
    return new Promise((res) =>
      this.server.listen(0, '127.0.0.1', () => {
        this.port = (this.server.address() as { port: number }).port;
        res();
      }),
    );
  }

  waitFor(hostname: string): Promise<void> {
    return new Promise((resolve) => (this.waiting = { needle: Buffer.from(` ${hostname} `), resolve }));
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((res) => this.server.close(() => res()));
  }
}

function frame(hostname: string): Buffer {
  const msg = `<134>1 ${new Date().toISOString()} ${hostname} probe - - - route change probe`;
  return Buffer.from(`${Buffer.byteLength(msg)} ${msg}`);
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export const routeScale: Scenario = {
  id: 9,
  title: `route scale: ${ROWS.toLocaleString('en')} drain rows, load time and change → effect`,
  defaultMessages: CHANGES,
  async run(ctx, changes) {
    const result = emptyResult(this.id, this.title);
    const sink = new ProbeSink();
    await sink.listen();
    const db = await scratchDb('switchyard_bench_routes');
    try {
      const empty = await startRouter({ databaseUrl: db.url });
      const emptyReadyMs = empty.readyMs;
      await empty.stop();
      const url = (i: number): string => `syslog+tcp://127.0.0.1:${sink.port}?name=scale-${i}`;
      await db.client.query(
        `INSERT INTO drains (hostname, endpoint)
         SELECT 'scale-' || i, 'syslog+tcp://127.0.0.1:${sink.port}?name=scale-' || (i % ${DRAINS})
           FROM generate_series(0, $1) i`,
        [ROWS - 1],
      );
      // All drains share one connection to the probe sink, and a trickle of
      // probes on a connection that wrote recently waits up to DRAIN_LINGER
      // to leave in one write. Without it the figure is the reload alone.
      const r = await startRouter({ databaseUrl: db.url, readyTimeoutMs: 120_000, profileDir: ctx.profileDir, env: { DRAIN_LINGER: '0' } });
      try {
        result.idleRss = memStats(r.pid)?.rss;
        result.notes.push(`ready in ${(r.readyMs / 1000).toFixed(2)} s with ${ROWS} rows (${(emptyReadyMs / 1000).toFixed(2)} s empty)`);
        ctx.log(`  start → ready: ${r.readyMs} ms with ${ROWS} rows, ${emptyReadyMs} ms with none; RSS ${fmtMb(result.idleRss)}`);

        const probe = connect(r.ports.tcp, '127.0.0.1');
        probe.on('error', () => undefined);
        await new Promise<void>((res, rej) => probe.once('connect', res).once('error', rej));
        const lat: number[] = [];
        let timeouts = 0;
        for (let i = 0; i < changes; i++) {
          const host = `change-${i}`;
          const f = frame(host);
          const arrived = sink.waitFor(host);
          const timer = setInterval(() => probe.write(f), PROBE_EVERY_MS);
          await db.client.query('INSERT INTO drains (hostname, endpoint) VALUES ($1, $2)', [host, url(i % DRAINS)]);
          const committed = performance.now();
          const ok = await Promise.race([arrived.then(() => true), new Promise<boolean>((res) => setTimeout(() => res(false), CHANGE_TIMEOUT_MS))]);
          clearInterval(timer);
          if (ok) lat.push(performance.now() - committed);
          else timeouts++;
        }
        probe.destroy();
        result.peakRss = memStats(r.pid)?.peak;
        if (!lat.length) {
          result.unavailable = `no route change took effect within ${CHANGE_TIMEOUT_MS} ms (LISTEN/NOTIFY reload missing?)`;
          return result;
        }
        lat.sort((a, b) => a - b);
        result.p50us = percentile(lat, 0.5) * 1000;
        result.p99us = percentile(lat, 0.99) * 1000;
        result.sent = changes;
        result.received = lat.length;
        result.deliveredRatio = lat.length / changes;
        result.notes.push(`change → effect p50 ${fmtMs(result.p50us)}, p99 ${fmtMs(result.p99us)} over ${lat.length} changes (±${PROBE_EVERY_MS} ms probe, DRAIN_LINGER=0)`);
        if (timeouts) result.notes.push(`${timeouts} changes not effective within ${CHANGE_TIMEOUT_MS} ms`);
        ctx.log(`  row change → effect: p50 ${fmtMs(result.p50us)}, p99 ${fmtMs(result.p99us)}, ${timeouts} timeouts; peak RSS ${fmtMb(result.peakRss)}`);
      } finally {
        await r.stop();
      }
    } finally {
      await db.drop();
      await sink.close();
    }
    return result;
  },
};
