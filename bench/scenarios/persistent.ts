// Scenario 8: ingest into the persistent store (PostgreSQL). Routes come from
// the drains table, all 100 hostnames → persistent://benchkey; the figure is
// rows landed per second, counted in the database itself.
import { Client } from 'pg';
import { scratchDb } from '../lib/pg';
import { memStats } from '../lib/proc-stats';
import { runLoadgen } from '../lib/tool-process';
import { sleep } from '../lib/measure';
import { startRouter } from '../router-process';
import { fmtMb, fmtRate } from './flow';
import { emptyResult, type Scenario } from './types';

const HOSTS = 100;

/** The table the store writes to: whichever user table took the most inserts. */
async function storeTable(c: Client): Promise<string | undefined> {
  const r = await c.query(
    `SELECT relname FROM pg_stat_user_tables
      WHERE relname NOT IN ('drains', 'switchyard_migrations') AND n_tup_ins > 0
      ORDER BY n_tup_ins DESC LIMIT 1`,
  );
  return r.rows[0]?.relname;
}

/** The reason (or message) of the router's last JSON log line. */
function lastReason(line: string): string {
  try {
    const j = JSON.parse(line);
    return String(j.reason ?? j.msg ?? line);
  } catch {
    return line;
  }
}

export const persistentStore: Scenario = {
  id: 8,
  title: 'persistent store ingest (PostgreSQL), 100 hosts → persistent://benchkey',
  defaultMessages: 200_000,
  async run(ctx, messages) {
    const result = emptyResult(this.id, this.title);
    const db = await scratchDb('switchyard_bench_store');
    try {
      // First start applies the router's own migrations; then the routes go in.
      await (await startRouter({ databaseUrl: db.url })).stop();
      await db.client.query(
        `INSERT INTO drains (hostname, endpoint) SELECT 'host-' || i, 'persistent://benchkey' FROM generate_series(0, $1) i`,
        [HOSTS - 1],
      );
      const r = await startRouter({ databaseUrl: db.url, profileDir: ctx.profileDir });
      try {
        await sleep(1000);
        result.idleRss = memStats(r.pid)?.rss;
        const started = Date.now();
        const lg = await runLoadgen(ctx.tools.loadgen, { port: r.ports.tcp, count: messages, hosts: HOSTS });
        // Poll the row count until all arrived or nothing moved for 5 s.
        let table: string | undefined;
        let count = 0;
        let doneAt = Date.now();
        let lastChange = Date.now();
        while (count < lg.sent && Date.now() - lastChange < 5000) {
          await sleep(100);
          table ??= await storeTable(db.client);
          if (!table) continue;
          const c = Number((await db.client.query(`SELECT count(*) AS n FROM "${table}"`)).rows[0].n);
          if (c !== count) {
            count = c;
            doneAt = lastChange = Date.now();
          }
        }
        result.peakRss = memStats(r.pid)?.peak;
        if (!table || count === 0) {
          result.unavailable = `no rows reached the database; router said: ${lastReason(r.logTail(1))}`;
          return result;
        }
        result.sent = lg.sent;
        result.received = count;
        result.deliveredRatio = count / lg.sent;
        result.rate = count / ((doneAt - started) / 1000);
        result.notes.push(`rows counted in table ${table} (±100 ms polling)`);
        ctx.log(`  switchyard: ${fmtRate(result.rate)} rows, ${count}/${lg.sent} in "${table}", peak RSS ${fmtMb(result.peakRss)}`);
      } finally {
        await r.stop();
      }
    } finally {
      await db.drop();
    }
    return result;
  },
};
