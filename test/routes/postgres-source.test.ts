import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import t from 'tap';
import pg from 'pg';
import { parseLastKnownGood } from '../../src/routes/last-known-good';
import { DbRouteSource, type DbRouteSourceOptions } from '../../src/routes/postgres-source';
import type { RouteRow } from '../../src/routes/route-source';
import { openDb, type Db } from '../../src/store/db';
import { LISTEN_APPLICATION_NAME } from '../../src/store/db-postgres';
import { migrate } from '../../src/store/migrate';
import { registry } from '../../src/telemetry/metrics';
import { ADMIN_URL, backends, closedPort, logger, tempDir, type Backend } from '../store/db-fixture';

type Teardown = (fn: () => unknown) => void;

/** Order-independent, comparable form of a route set. */
function key(rows: ReadonlyArray<RouteRow>): string[] {
  return rows.map((r) => `${r.id} ${r.hostname} ${r.endpoint}`).sort();
}

async function dbSet(b: Backend): Promise<string[]> {
  const res = await b.sql('SELECT drain::text AS id, hostname, endpoint FROM drains');
  return key(res.rows as RouteRow[]);
}

/**
 * Follows a source's emits from before start(), so a set emitted before the
 * test gets around to asking is not missed. until() resolves with the latest
 * (or a later) set equal to `want`. The guard timer only turns a hang into a
 * readable failure; it is not a speed assertion.
 */
class Watch {
  latest: ReadonlyArray<RouteRow> | undefined;
  emits = 0;
  private waiter: ((rows: ReadonlyArray<RouteRow>) => void) | undefined;

  constructor(src: DbRouteSource) {
    src.on('routes', (rows: ReadonlyArray<RouteRow>) => {
      this.latest = rows;
      this.emits++;
      this.waiter?.(rows);
    });
  }

  until(want: string[], what: string): Promise<ReadonlyArray<RouteRow>> {
    const wanted = JSON.stringify(want);
    return new Promise((resolve, reject) => {
      const check = (rows: ReadonlyArray<RouteRow>) => {
        if (JSON.stringify(key(rows)) !== wanted) return false;
        clearTimeout(guard);
        this.waiter = undefined;
        resolve(rows);
        return true;
      };
      const guard = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`${what}: never emitted the expected ${want.length} rows (latest had ${this.latest?.length ?? 'none'})`));
      }, 15_000);
      if (this.latest !== undefined && check(this.latest)) return;
      this.waiter = (rows) => void check(rows);
    });
  }
}

async function metric(name: string): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (m === undefined) throw new Error(`metric ${name} is not registered`);
  return (await m.get()).values.reduce((s, v) => s + v.value, 0);
}

async function source(teardown: Teardown, db: Db, dataDir: string, extra: Partial<DbRouteSourceOptions> = {}): Promise<DbRouteSource & { watch: Watch }> {
  const src = new DbRouteSource({ db, dataDir, logger, ...extra });
  teardown(() => src.close());
  return Object.assign(src, { watch: new Watch(src) });
}

t.test('each backend', async (t) => {
  for (const b of await backends(t.teardown.bind(t), (m) => t.comment(m))) {
    await t.test(b.name, async (t) => {
      const db = await b.open();
      await migrate(db);
      const insert = async (hostname: string, endpoint: string): Promise<string> =>
        (await b.sql('INSERT INTO drains (hostname, endpoint) VALUES ($1, $2) RETURNING drain::text AS id', [hostname, endpoint])).rows[0].id;
      for (let i = 0; i < 3; i++) await insert(`app-${i}`, `syslog+tcp://10.0.0.${i}:514`);
      const lkgDir = await tempDir(t.teardown.bind(t));

      await t.test('initial load, then insert / update / delete each emit the exact set', async (t) => {
        const src = await source(t.teardown.bind(t), db, lkgDir);
        t.equal(src.ready, false);
        const first = src.watch.until(await dbSet(b), 'initial load');
        await src.start();
        t.equal(src.ready, true, 'ready once loaded from the database');
        t.equal((await first).length, 3);

        const id = await insert('app-new', 'https://logs.example/in');
        await src.watch.until(await dbSet(b), 'after insert');
        await b.sql(`UPDATE drains SET endpoint = 'https://logs.example/v2' WHERE drain = $1`, [id]);
        await src.watch.until(await dbSet(b), 'after update');
        await b.sql(`DELETE FROM drains WHERE hostname = 'app-0'`);
        await src.watch.until(await dbSet(b), 'after delete');
        // Several changes in one transaction: one burst, read together.
        await b.sql(`INSERT INTO drains (hostname, endpoint) SELECT 'burst-' || g, 'https://b.example/' || g FROM generate_series(1, 50) g`);
        await src.watch.until(await dbSet(b), 'after a 50-row burst');
        t.equal(await metric('switchyard_routes_rows'), (await dbSet(b)).length, 'rows gauge follows the set');

        await src.close();
        const saved = parseLastKnownGood(await readFile(src.lastKnownGoodPath, 'utf8'));
        t.same(key(saved ?? []), await dbSet(b), 'close() leaves the last-known-good file equal to the table');
        await src.close(); // idempotent
      });

      await t.test('emitted sets are snapshots: later changes do not alter them', async (t) => {
        const src = await source(t.teardown.bind(t), db, await tempDir(t.teardown.bind(t)));
        const firstP = src.watch.until(await dbSet(b), 'initial');
        await src.start();
        const first = await firstP;
        const before = key(first);
        await b.sql(`UPDATE drains SET endpoint = endpoint || '?x=1' WHERE hostname LIKE 'burst-%'`);
        await b.sql(`DELETE FROM drains WHERE hostname = 'app-1'`);
        await src.watch.until(await dbSet(b), 'after update + delete');
        t.same(key(first), before, 'the earlier array and its rows are unchanged');
      });

      await t.test('a burst larger than maxBatchIds is read with one full resync', async (t) => {
        const src = await source(t.teardown.bind(t), db, await tempDir(t.teardown.bind(t)), { maxBatchIds: 10 });
        await src.start();
        const resyncsBefore = await metric('switchyard_route_source_resyncs_total');
        await b.sql(`INSERT INTO drains (hostname, endpoint) SELECT 'big-' || g, 'https://big.example/' || g FROM generate_series(1, 40) g`);
        await src.watch.until(await dbSet(b), 'after a 40-row burst');
        t.ok((await metric('switchyard_route_source_resyncs_total')) > resyncsBefore, 'a full resync ran');
      });

      await t.test('the periodic resync catches changes whose NOTIFY was lost', async (t) => {
        const src = await source(t.teardown.bind(t), db, await tempDir(t.teardown.bind(t)), { resyncIntervalMs: 100 });
        await src.start();
        await b.sql('ALTER TABLE drains DISABLE TRIGGER switchyard_drains_notify');
        t.teardown(() => b.sql('ALTER TABLE drains ENABLE TRIGGER switchyard_drains_notify'));
        await insert('silent', 'https://silent.example/');
        await src.watch.until(await dbSet(b), 'after a silent insert');
        await b.sql('ALTER TABLE drains ENABLE TRIGGER switchyard_drains_notify');
        t.pass('the silent insert arrived through the periodic resync');
      });

      await t.test('TRUNCATE reloads everything', async (t) => {
        const src = await source(t.teardown.bind(t), db, await tempDir(t.teardown.bind(t)));
        await src.start();
        const saveId = await insert('keep', 'https://keep.example/');
        await src.watch.until(await dbSet(b), 'before truncate');
        const all = await b.sql('SELECT drain::text AS id, hostname, endpoint FROM drains');
        await b.sql('TRUNCATE drains');
        await src.watch.until([], 'after truncate');
        // Put the rows back for the next tests.
        for (const r of all.rows as RouteRow[]) await b.sql('INSERT INTO drains (drain, hostname, endpoint) VALUES ($1, $2, $3)', [r.id, r.hostname, r.endpoint]);
        await src.watch.until(await dbSet(b), 'after restoring');
        t.ok(saveId);
      });

      await t.test('two sources on one database converge', async (t) => {
        const dbB = await b.open();
        const s1 = await source(t.teardown.bind(t), db, await tempDir(t.teardown.bind(t)));
        const s2 = await source(t.teardown.bind(t), dbB, await tempDir(t.teardown.bind(t)));
        await Promise.all([s1.start(), s2.start()]);
        const id = await insert('conv', 'https://c.example/1');
        await b.sql(`UPDATE drains SET hostname = 'conv-2' WHERE drain = $1`, [id]);
        await b.sql(`DELETE FROM drains WHERE hostname LIKE 'big-%'`);
        const want = await dbSet(b);
        const [r1, r2] = await Promise.all([s1.watch.until(want, 'source 1'), s2.watch.until(want, 'source 2')]);
        t.same(key(r1), key(r2));
      });

      await t.test('close() while start() is still running: both settle, nothing is left listening', async (t) => {
        const src = await source(t.teardown.bind(t), db, await tempDir(t.teardown.bind(t)));
        const started = src.start();
        await src.close();
        await started;
        const emitsAtClose = src.watch.emits;
        await insert('after-close', 'https://closed.example/');
        // A fresh source sees the insert; by then the closed one would have too, had it still listened.
        const probe = await source(t.teardown.bind(t), db, await tempDir(t.teardown.bind(t)));
        await probe.start();
        await probe.watch.until(await dbSet(b), 'probe');
        t.equal(src.watch.emits, emitsAtClose, 'the closed source emitted nothing more');
        if (b.name === 'postgres') {
          const left = await b.sql('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()', [LISTEN_APPLICATION_NAME]);
          t.equal(left.rows[0].n, 1, 'only the probe is listening');
        }
      });

      await t.test('database unreachable at start: start() resolves, not ready, last-known-good emitted', async (t) => {
        // lkgDir holds the file the first test's source saved from this backend.
        const saved = parseLastKnownGood(await readFile(`${lkgDir}/routes.json`, 'utf8'));
        t.ok(saved !== null && saved.length > 0, 'a last-known-good file exists');
        const port = await closedPort();
        const down = await openDb({ url: `postgres://postgres@127.0.0.1:${port}/nowhere`, dataDir: lkgDir, logger });
        t.teardown(() => down.close());
        const src = await source(t.teardown.bind(t), down, lkgDir);
        const got = src.watch.until(key(saved!), 'last-known-good');
        await src.start();
        t.equal(src.ready, false, 'not ready: nothing came from the database');
        t.same(key(await got), key(saved!));
        t.equal(await metric('switchyard_route_source_connected'), 0);
      });

      await t.test('no database and no last-known-good file: start() still resolves, emits nothing', async (t) => {
        const port = await closedPort();
        const dir = await tempDir(t.teardown.bind(t));
        const down = await openDb({ url: `postgres://postgres@127.0.0.1:${port}/nowhere`, dataDir: dir, logger });
        t.teardown(() => down.close());
        const src = await source(t.teardown.bind(t), down, dir);
        let emits = 0;
        src.on('routes', () => emits++);
        await src.start();
        t.equal(src.ready, false);
        t.equal(emits, 0);
      });

      if (b.name !== 'postgres') return;

      await t.test('postgres comes up after start: the source connects and loads', async (t) => {
        const port = await closedPort();
        const src = await source(t.teardown.bind(t), await downThenUp(t.teardown.bind(t), port, b), await tempDir(t.teardown.bind(t)));
        await src.start();
        t.equal(src.ready, false);
        const want = await dbSet(b);
        const loaded = src.watch.until(want, 'after postgres became reachable');
        await startProxy(t.teardown.bind(t), port);
        await loaded;
        t.equal(src.ready, true);
      });

      await t.test('LISTEN backend killed and rows changed while it is down: the reconnect resync gets them', async (t) => {
        const src = await source(t.teardown.bind(t), db, await tempDir(t.teardown.bind(t)));
        await src.start();
        const admin = new pg.Client({ connectionString: ADMIN_URL });
        await admin.connect();
        const writer = new pg.Client({ connectionString: b.url });
        await writer.connect();
        t.teardown(async () => {
          await admin.query(`ALTER DATABASE ${b.database} ALLOW_CONNECTIONS true`);
          await admin.end();
          await writer.end();
        });
        // Keep the listener out while rows change, so their NOTIFYs reach no one.
        await admin.query(`ALTER DATABASE ${b.database} ALLOW_CONNECTIONS false`);
        const killed = await admin.query('SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1 AND datname = $2', [
          LISTEN_APPLICATION_NAME,
          b.database,
        ]);
        t.equal(killed.rowCount, 1, 'found and terminated the LISTEN backend');
        for (;;) {
          const left = await admin.query('SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND datname = $2', [LISTEN_APPLICATION_NAME, b.database]);
          if (left.rowCount === 0) break;
          await new Promise((r) => setTimeout(r, 10));
        }
        await writer.query(`INSERT INTO drains (hostname, endpoint) VALUES ('while-down', 'https://down.example/')`);
        await writer.query(`DELETE FROM drains WHERE hostname LIKE 'burst-1%'`);
        await writer.query(`UPDATE drains SET endpoint = 'https://moved.example/' WHERE hostname = 'conv-2'`);
        const want = key((await writer.query('SELECT drain::text AS id, hostname, endpoint FROM drains')).rows);
        const after = src.watch.until(want, 'after reconnect');
        await admin.query(`ALTER DATABASE ${b.database} ALLOW_CONNECTIONS true`);
        await after;
        t.equal(await metric('switchyard_route_source_connected'), 1, 'listening again');
      });
    });
  }
});

/** A Db whose URL points at `port`, where startProxy later forwards to the real server. */
async function downThenUp(teardown: Teardown, port: number, b: Backend): Promise<Db> {
  const u = new URL(b.url!);
  u.port = String(port);
  const db = await openDb({ url: u.toString(), dataDir: b.dataDir, logger });
  teardown(() => db.close());
  return db;
}

async function startProxy(teardown: Teardown, port: number): Promise<void> {
  const target = new URL(ADMIN_URL);
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((down) => {
    const up = net.connect(Number(target.port || 5432), target.hostname);
    for (const s of [down, up]) {
      sockets.add(s);
      s.on('error', () => {
        down.destroy();
        up.destroy();
      });
      s.on('close', () => sockets.delete(s));
    }
    down.pipe(up);
    up.pipe(down);
  });
  srv.listen(port, '127.0.0.1');
  await once(srv, 'listening');
  teardown(async () => {
    for (const s of sockets) s.destroy();
    srv.close();
    await once(srv, 'close');
  });
}
