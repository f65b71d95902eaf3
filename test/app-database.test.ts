// The router on a database, as operators run it: rows inserted, updated and
// deleted with plain SQL change where messages go, without a restart; a row
// with an invalid endpoint is skipped and counted while the others route.
// Runs on the real PostgreSQL (DATABASE_URL) and on embedded PGlite (DATA_DIR).
import pino from 'pino';
import t from 'tap';
import { App } from '../src/app';
import { loadConfig } from '../src/config';
import { backends, tempDir } from './store/db-fixture';
import { octet, sendTcp, until } from './inputs/stream-helpers';
import { startSyslogReceiver } from './helpers/syslog-receiver';

t.setTimeout(180_000); // PGlite start-up is slow on a loaded machine

async function metric(app: App, name: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${app.ports.http}/metrics`);
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(await res.text());
  return m ? Number(m[1]) : NaN;
}

t.test('routes follow the drains table', async (t) => {
  for (const b of await backends(t.teardown.bind(t), (m) => t.comment(m))) {
    await t.test(b.name, async (t) => {
      const dataDir = await tempDir(t.teardown.bind(t));
      const env: Record<string, string> = {
        HTTP_PORT: '0', SYSLOG_TCP_PORT: '0', SYSLOG_UDP_PORT: '0', ENVOY: 'false', BIND_ADDRESS: '127.0.0.1',
        LOG_LEVEL: 'silent', DATA_DIR: dataDir, SHUTDOWN_GRACE: '1s',
      };
      if (b.name === 'postgres') env.DATABASE_URL = b.url!;
      const app = new App(loadConfig(env), { logger: pino({ level: 'silent' }) });
      await app.start();
      t.teardown(() => app.close());
      // Plain SQL on a connection of its own (PostgreSQL) or on the embedded database.
      const sql = (text: string, params?: unknown[]) => (b.name === 'postgres' ? b.sql(text, params) : app.db!.query(text, params));
      await until(() => app.notReady().length === 0, 'router ready');
      const a = await startSyslogReceiver();
      const z = await startSyslogReceiver();
      t.teardown(() => a.close());
      t.teardown(() => z.close());
      const probe = (n: number): Buffer => octet(`<13>1 2026-01-01T00:00:00Z App-One test - - - probe ${n}`);
      // Keep sending until the receiver shows the change took effect.
      const sendUntil = async (cond: () => boolean, what: string): Promise<void> => {
        let n = 0;
        const deadline = Date.now() + 15_000;
        while (!cond()) {
          if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
          await sendTcp(app.ports.tcp, [probe(n++)]);
          await new Promise((r) => setTimeout(r, 25));
        }
      };

      const inserted = await sql(`INSERT INTO drains (hostname, endpoint) VALUES ('app-one', $1) RETURNING drain::text AS id`, [a.url]);
      const id = inserted.rows[0].id as string;
      await sendUntil(() => a.messages.length > 0, 'insert routes app-one to A');
      t.match(a.lines()[0], /App-One test - - - probe/, 'routed case-insensitively, bytes as sent');

      await sql(`UPDATE drains SET endpoint = $1 WHERE drain = $2`, [z.url, id]);
      await sendUntil(() => z.messages.length > 0, 'update moves app-one to Z');

      await sql(`INSERT INTO drains (hostname, endpoint) VALUES ('app-one', 'nonsense://x')`);
      await until(() => app.routes.ready, 'routes applied');
      await sendUntil(() => z.messages.length > 3, 'app-one still routed beside an invalid row');
      let invalid = NaN;
      for (const deadline = Date.now() + 10_000; invalid !== 1 && Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
        invalid = await metric(app, 'switchyard_route_rows_invalid');
      }
      t.equal(invalid, 1, 'the invalid row is counted');

      await sql(`DELETE FROM drains WHERE hostname = 'app-one'`);
      await until(() => app.router.routes.lookupName('app-one') === undefined, 'delete removes app-one');
      const unroutedBefore = app.router.unrouted;
      const zBefore = z.messages.length;
      await sendTcp(app.ports.tcp, [probe(999)]);
      await until(() => app.router.unrouted > unroutedBefore, 'a message for the deleted route is counted as unrouted');
      t.equal(z.messages.length, zBefore, 'nothing more goes to the removed drain');
    });
  }
});
