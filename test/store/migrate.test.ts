import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { loadMigrations, migrate } from '../../src/store/migrate';
import { backends, tempDir } from './db-fixture';

t.test('loadMigrations orders by number and rejects bad names', async (t) => {
  const dir = await tempDir(t.teardown.bind(t));
  await writeFile(path.join(dir, '010_later.sql'), 'SELECT 10');
  await writeFile(path.join(dir, '002_first.sql'), 'SELECT 2');
  await writeFile(path.join(dir, 'README.md'), 'not sql, ignored');
  t.same(
    (await loadMigrations(dir)).map((m) => m.name),
    ['002_first.sql', '010_later.sql'],
  );
  await writeFile(path.join(dir, '10_again.sql'), 'SELECT 10');
  await t.rejects(loadMigrations(dir), { code: 'SY_ERR_MIGRATION_NAME', message: /share the number 10/ });
  const dir2 = await tempDir(t.teardown.bind(t));
  await writeFile(path.join(dir2, 'drains.sql'), 'SELECT 1');
  await t.rejects(loadMigrations(dir2), { code: 'SY_ERR_MIGRATION_NAME' });
  await t.rejects(loadMigrations(path.join(dir2, 'missing')), { code: 'SY_ERR_MIGRATIONS_DIR' });
});

t.test('the shipped migrations start with 001_drains.sql', async (t) => {
  const ms = await loadMigrations();
  t.equal(ms[0]?.name, '001_drains.sql');
});

t.test('each backend', async (t) => {
  for (const b of await backends(t.teardown.bind(t), (m) => t.comment(m))) {
    await t.test(b.name, async (t) => {
      const shipped = (await loadMigrations()).map((m) => m.name);
      const db1 = await b.open();
      const db2 = await b.open(); // a second connection pool (postgres) / the same instance (PGlite)

      await t.test('concurrent first runs apply every migration exactly once', async (t) => {
        const [r1, r2] = await Promise.all([migrate(db1), migrate(db2)]);
        const all = [...r1.applied, ...r2.applied].sort();
        t.same(all, [...shipped].sort(), 'between them, each migration applied once');
        const recorded = await db1.query<{ name: string }>('SELECT name FROM switchyard_migrations ORDER BY name');
        t.same(recorded.rows.map((r) => r.name), shipped);
      });

      await t.test('a later run is a no-op', async (t) => {
        t.same(await migrate(db1), { applied: [] });
        t.same(await migrate(db2), { applied: [] });
      });

      await t.test('a failing migration rolls back and is not recorded', async (t) => {
        const bad = { name: '900_broken.sql', sql: 'CREATE TABLE half_done (x int); SELECT no_such_function();' };
        await t.rejects(migrate(db1, { migrations: [bad] }), { code: 'SY_ERR_MIGRATION_FAILED', message: /900_broken\.sql/ });
        const exists = await db1.query(`SELECT 1 FROM pg_tables WHERE tablename = 'half_done'`);
        t.equal(exists.rowCount, 0, 'the half-done table was rolled back');
        const rec = await db1.query(`SELECT 1 FROM switchyard_migrations WHERE name = $1`, ['900_broken.sql']);
        t.equal(rec.rowCount, 0);
      });

      await t.test('drains: a plain INSERT is enough; updated is maintained', async (t) => {
        await b.sql(`INSERT INTO drains (hostname, endpoint) VALUES ('app-1', 'syslog+tcp://10.0.0.5:514')`);
        const row = (await db1.query(`SELECT drain::text AS id, hostname, endpoint, created, updated FROM drains WHERE hostname = 'app-1'`)).rows[0];
        t.match(row.id, /^[0-9a-f-]{36}$/);
        t.equal(row.endpoint, 'syslog+tcp://10.0.0.5:514');
        t.ok(row.created instanceof Date && row.updated instanceof Date);
        await b.sql(`UPDATE drains SET endpoint = 'syslog+tcp://10.0.0.6:514' WHERE drain = $1`, [row.id]);
        const after = (await db1.query(`SELECT created, updated FROM drains WHERE drain = $1`, [row.id])).rows[0];
        t.equal(after.created.getTime(), row.created.getTime(), 'created stays');
        t.ok(after.updated.getTime() > row.updated.getTime(), 'the trigger moved updated forward');
        await t.rejects(db1.query(`INSERT INTO drains (hostname) VALUES ('x')`), /endpoint/);
      });

      await t.test('triggers NOTIFY switchyard_drains with {op, id}', async (t) => {
        const got: Array<{ op: string; id?: string }> = [];
        let want = 0;
        let done: () => void = () => {};
        let onConnect: () => void = () => {};
        const connected = new Promise<void>((r) => (onConnect = r));
        const h = await db1.listen('switchyard_drains', {
          onNotify: (p) => {
            got.push(JSON.parse(p));
            if (got.length === want) done();
          },
          onConnect: () => onConnect(),
          onDisconnect: () => {},
        });
        t.teardown(() => h.close());
        await connected;
        const waitFor = (n: number) => {
          want = n;
          return new Promise<void>((r) => {
            done = r;
            if (got.length >= n) r();
          });
        };
        const ins = await b.sql(`INSERT INTO drains (hostname, endpoint) VALUES ('n-1', 'https://a.example/') RETURNING drain::text AS id`);
        const id = ins.rows[0].id as string;
        await b.sql(`UPDATE drains SET hostname = 'n-2' WHERE drain = $1`, [id]);
        await b.sql(`DELETE FROM drains WHERE drain = $1`, [id]);
        await waitFor(3);
        t.same(got.slice(0, 3), [
          { op: 'insert', id },
          { op: 'update', id },
          { op: 'delete', id },
        ]);
        await b.sql(`TRUNCATE drains`);
        await waitFor(4);
        t.same(got[3], { op: 'truncate' });
      });
    });
  }
});
