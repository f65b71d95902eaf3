import { cp, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import pino from 'pino';
import t from 'tap';
import { backoffDelay } from '../../src/backoff';
import { describePostgresUrl, openDb, type DbListenHandlers } from '../../src/store/db';
import { openPgliteDb } from '../../src/store/db-pglite';
import { LISTEN_APPLICATION_NAME } from '../../src/store/db-postgres';
import { backends, closedPort, logger, pgliteTemplate, tempDir } from './db-fixture';

t.test('describePostgresUrl drops the password and the query string', async (t) => {
  t.equal(describePostgresUrl('postgres://app:s3cret@db.example:5433/routes?sslmode=require'), 'postgres://app@db.example:5433/routes');
  t.equal(describePostgresUrl('postgresql://db.example/routes'), 'postgresql://db.example/routes');
  t.notMatch(describePostgresUrl('postgres://u:p%40ss@h/d'), /p%40ss|p@ss/);
  t.equal(describePostgresUrl('not a url'), 'postgres (unparseable URL)');
});

t.test('backoffDelay grows, is jittered within [exp/2, exp] and is capped', async (t) => {
  for (let attempt = 0; attempt < 30; attempt++) {
    const exp = Math.min(30_000, 100 * 2 ** attempt);
    const d = backoffDelay(attempt);
    t.ok(d >= exp / 2 && d <= exp, `attempt ${attempt}: ${d} within [${exp / 2}, ${exp}]`);
  }
});

t.test('openDb rejects URLs that are not postgres', async (t) => {
  const dataDir = await tempDir(t.teardown.bind(t));
  await t.rejects(openDb({ url: 'mysql://root:pw@h/d', dataDir, logger }), { code: 'SY_ERR_DB_URL' });
  const err = await openDb({ url: 'mysql://root:pw@h/d', dataDir, logger }).catch((e: Error) => e);
  t.notMatch((err as Error).message, /pw/, 'the error does not echo the password');
});

t.test('description never contains the password', async (t) => {
  const dataDir = await tempDir(t.teardown.bind(t));
  const db = await openDb({ url: 'postgres://postgres:hunter2@127.0.0.1:5432/test', dataDir, logger });
  t.teardown(() => db.close());
  t.equal(db.kind, 'postgres');
  t.equal(db.description, 'postgres://postgres@127.0.0.1:5432/test');
});

t.test('PGlite: a fresh data dir is created by initdb in a child process', async (t) => {
  const dataDir = await tempDir(t.teardown.bind(t));
  const lines: Array<{ msg: string; ms?: number }> = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _enc, cb) {
        lines.push(JSON.parse(String(chunk)));
        cb();
      },
    }),
  );
  // What an initdb cut short leaves beside the data dir: removed, done again.
  await mkdir(path.join(dataDir, 'pglite.initdb-2147483646', 'base'), { recursive: true });
  await writeFile(path.join(dataDir, 'pglite.initdb-2147483646', 'PG_VERSION'), '17\n');
  const before = process.memoryUsage().external;
  const db = await openDb({ dataDir, logger: log });
  t.teardown(() => db.close());
  // initdb in this process grows WebAssembly memory by ~570 MB that is never
  // given back; opening the dir it left costs ~150 MB.
  const grown = process.memoryUsage().external - before;
  t.ok(grown < 400 * 1024 * 1024, `this process's external memory grew by ${Math.round(grown / 1048576)} MB, not initdb's ~570 MB or more`);
  const created = lines.find((l) => l.msg === 'embedded database created');
  t.ok(created && typeof created.ms === 'number', 'the log says the database was created, and how long it took');
  await stat(path.join(dataDir, 'pglite', 'PG_VERSION'));
  t.same((await readdir(dataDir)).sort(), ['pglite', 'pglite.lock'], 'built beside, renamed into place; the earlier attempt removed');
  t.same((await db.query('SHOW shared_buffers')).rows, [{ shared_buffers: '16MB' }], 'with the embedded configuration');
  await db.query('CREATE TABLE kept (v text)');
  await db.query(`INSERT INTO kept VALUES ('still here')`);
  await db.close();

  lines.length = 0;
  const again = await openDb({ dataDir, logger: log });
  t.teardown(() => again.close());
  t.same((await again.query('SELECT v FROM kept')).rows, [{ v: 'still here' }], 'reopened: the data is there');
  t.notOk(lines.some((l) => l.msg === 'embedded database created'), 'an existing data dir is opened, not created again');
});

t.test('PGlite: a failed initdb is a clear error and releases the lock', async (t) => {
  const dataDir = await tempDir(t.teardown.bind(t));
  const notADir = path.join(dataDir, 'pglite');
  await writeFile(notADir, 'a file where the data dir should be');
  const err = (await openPgliteDb(notADir, logger).catch((e: Error) => e)) as Error & { code?: string };
  t.equal(err.code, 'SY_ERR_DB_INIT');
  t.match(err.message, `creating the embedded database in ${notADir} failed: ENOTDIR: not a directory`);
  await t.rejects(stat(`${notADir}.lock`), { code: 'ENOENT' }, 'the lock is released');
});

t.test('PGlite: initdb failing in its child process is a clear error with its reason', async (t) => {
  const dataDir = await tempDir(t.teardown.bind(t));
  // 250 bytes: room for "<name>.lock" (255), not for "<name>.initdb-<pid>",
  // so the child's mkdir fails and nothing before it does.
  const dir = path.join(dataDir, 'p'.repeat(250));
  const err = (await openPgliteDb(dir, logger).catch((e: Error) => e)) as Error & { code?: string };
  t.equal(err.code, 'SY_ERR_DB_INIT');
  t.match(err.message, `creating the embedded database in ${dir} failed: ENAMETOOLONG`);
  t.same(await readdir(dataDir), [], 'nothing left behind, the lock released');
});

t.test('PGlite: the initdb child names the WASI errno PGlite throws', async (t) => {
  const dataDir = await tempDir(t.teardown.bind(t));
  const file = path.join(dataDir, 'a-file');
  await writeFile(file, 'x');
  const child = spawn(process.execPath, [path.join(__dirname, '..', '..', 'src', 'store', 'pglite-initdb.js'), file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const [code] = await once(child, 'close');
  t.equal(code, 1);
  t.equal(stderr.trim(), 'ENOTDIR: not a directory', 'PGlite threw an ErrnoError with only errno 54');
});

t.test('PGlite: a data dir with files but no database is refused, not initialised over', async (t) => {
  const dataDir = await tempDir(t.teardown.bind(t));
  const dir = path.join(dataDir, 'pglite');
  await mkdir(dir);
  await writeFile(path.join(dir, 'notes.txt'), 'mine');
  const err = (await openPgliteDb(dir, logger).catch((e: Error) => e)) as Error & { code?: string };
  t.equal(err.code, 'SY_ERR_DB_INIT');
  t.equal(err.message, `creating the embedded database in ${dir} failed: it holds files but no database (no PG_VERSION): notes.txt; move them away`);
  t.equal(await readFile(path.join(dir, 'notes.txt'), 'utf8'), 'mine', 'the files are left alone');
});

t.test('PGlite data dir lock: one process at a time, stale locks are taken over', async (t) => {
  const dataDir = await tempDir(t.teardown.bind(t));
  await cp(await pgliteTemplate(), path.join(dataDir, 'pglite'), { recursive: true });
  const lockPath = path.join(dataDir, 'pglite.lock');

  await writeFile(lockPath, String(process.ppid)); // a live process that is not us
  await t.rejects(openDb({ dataDir, logger }), { code: 'SY_ERR_DB_LOCKED', message: new RegExp(`process ${process.ppid}`) });

  await writeFile(lockPath, '2147483646'); // no such process: stale
  const db = await openDb({ dataDir, logger });
  t.equal(await readFile(lockPath, 'utf8'), String(process.pid), 'the lock now names this process');
  await t.rejects(openDb({ dataDir, logger }), { code: 'SY_ERR_DB_LOCKED' }, 'a second open in the same process is refused too');
  t.same((await db.query('SELECT 1 AS one')).rows, [{ one: 1 }], 'and the first one is unaffected');
  await db.close();
  await t.rejects(stat(lockPath), { code: 'ENOENT' }, 'close() releases the lock');
  const again = await openDb({ dataDir, logger });
  await again.close();
});

t.test('each backend', async (t) => {
  for (const b of await backends(t.teardown.bind(t), (m) => t.comment(m))) {
    await t.test(b.name, async (t) => {
      const db = await b.open();
      t.equal(db.kind, b.name);
      if (b.name === 'pglite') t.match(db.description, /^PGlite in .*pglite$/);

      await t.test('query: params, several statements, rowCount', async (t) => {
        await db.query('CREATE TABLE kv (k text PRIMARY KEY, v int NOT NULL); CREATE INDEX kv_v ON kv (v)');
        const ins = await db.query('INSERT INTO kv (k, v) VALUES ($1, $2), ($3, $4) RETURNING k', ['a', 1, 'b', 2]);
        t.equal(ins.rowCount, 2);
        t.same(ins.rows.map((r: any) => r.k).sort(), ['a', 'b']);
        const upd = await db.query('UPDATE kv SET v = v + 10 WHERE v > $1', [0]);
        t.equal(upd.rowCount, 2, 'UPDATE reports affected rows');
        const sel = await db.query<{ k: string; v: number }>('SELECT k, v FROM kv ORDER BY k');
        t.same(sel.rows, [{ k: 'a', v: 11 }, { k: 'b', v: 12 }]);
        t.equal(sel.rowCount, 2, 'SELECT reports returned rows');
        const last = await db.query('SELECT 1 AS one; SELECT 2 AS two');
        t.same(last.rows, [{ two: 2 }], 'without params the result is the last statement');
        const del = await db.query('DELETE FROM kv WHERE k = $1', ['nope']);
        t.equal(del.rowCount, 0);
        await t.rejects(db.query('SELECT * FROM no_such_table'), /no_such_table/);
      });

      await t.test('transaction commits, and rolls back when fn throws', async (t) => {
        await db.query('CREATE TABLE tx_t (n int)');
        const out = await db.transaction(async (tx) => {
          await tx.query('INSERT INTO tx_t VALUES ($1)', [1]);
          return (await tx.query('SELECT count(*)::int AS c FROM tx_t')).rows[0].c;
        });
        t.equal(out, 1);
        await t.rejects(
          db.transaction(async (tx) => {
            await tx.query('INSERT INTO tx_t VALUES ($1)', [2]);
            throw new Error('boom');
          }),
          /boom/,
        );
        const rows = (await db.query('SELECT n FROM tx_t ORDER BY n')).rows;
        t.same(rows, [{ n: 1 }], 'the failed transaction left nothing');
      });

      await t.test('listen: onConnect, then notifications with their payload', async (t) => {
        const got: string[] = [];
        let connects = 0;
        let notified: () => void = () => {};
        let connectedResolve: () => void = () => {};
        const connectedP = new Promise<void>((r) => (connectedResolve = r));
        const handlers: DbListenHandlers = {
          onNotify: (p) => {
            got.push(p);
            notified();
          },
          onConnect: () => {
            connects++;
            connectedResolve();
          },
          onDisconnect: (err) => t.fail(`unexpected disconnect: ${err.message}`),
        };
        const h = await db.listen('sy_test_channel', handlers);
        await connectedP;
        t.equal(connects, 1);
        const two = new Promise<void>((r) => {
          notified = () => {
            if (got.length === 2) r();
          };
        });
        await b.sql(`SELECT pg_notify('sy_test_channel', 'first'), pg_notify('other_channel', 'nope')`);
        await b.sql(`NOTIFY sy_test_channel, '{"op":"insert"}'`);
        await two;
        t.same(got, ['first', '{"op":"insert"}'], 'only our channel, in order, payload untouched');
        await h.close();
        await h.close(); // idempotent
      });

      if (b.name !== 'postgres') return;

      await t.test('listen: a killed backend is reported, reconnected and listening again', async (t) => {
        const events: string[] = [];
        let step: () => void = () => {};
        const next = () => new Promise<void>((r) => (step = r));
        let wait = next();
        const h = await db.listen('sy_test_reconnect', {
          onNotify: (p) => {
            events.push(`notify ${p}`);
            step();
          },
          onConnect: () => {
            events.push('connect');
            step();
          },
          onDisconnect: () => {
            events.push('disconnect');
            step();
          },
        });
        t.teardown(() => h.close());
        await wait;
        wait = next();
        const killed = await b.sql('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()', [
          LISTEN_APPLICATION_NAME,
        ]);
        t.equal(killed.rowCount, 1, 'one LISTEN backend, found by application_name');
        while (events[events.length - 1] !== 'connect' || events.length < 3) {
          await wait;
          wait = next();
        }
        t.same(events, ['connect', 'disconnect', 'connect']);
        await b.sql(`NOTIFY sy_test_reconnect, 'after'`);
        await wait;
        t.same(events[3], 'notify after', 'LISTEN was re-issued on the new connection');
      });

      await t.test('listen: an unreachable server is retried until close(), which leaves nothing running', async (t) => {
        const down = await openDb({ url: `postgres://postgres@127.0.0.1:${await closedPort()}/x`, dataDir: b.dataDir, logger });
        let failures = 0;
        let twice: () => void = () => {};
        const retried = new Promise<void>((r) => (twice = r));
        const h = await down.listen('sy_test_down', {
          onNotify: () => t.fail('no notifications from nowhere'),
          onConnect: () => t.fail('cannot connect to a closed port'),
          onDisconnect: (err) => {
            t.match(err.message, /ECONNREFUSED/);
            if (++failures === 2) twice();
          },
        });
        await retried;
        await h.close();
        await down.close();
        t.pass('closed while retrying (a leaked timer or socket would keep this test file from exiting)');
      });
    });
  }
});
