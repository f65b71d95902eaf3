import t from 'tap';
import pino from 'pino';
import { Retention } from '../../src/store/retention';
import { LogStore } from '../../src/store/log-store';
import { migrate } from '../../src/store/migrate';
import { metricValue } from '../helpers/metrics';
import { backends, logger } from './db-fixture';

async function deletedMetric(reason: string): Promise<number> {
  return metricValue('switchyard_store_retention_deleted_rows_total', { reason });
}

async function forgottenMetric(): Promise<number> {
  return metricValue('switchyard_store_retention_forgotten_keys_total');
}

t.setTimeout(120_000); // PGlite start-up is slow on a loaded machine

t.test('each backend', async (t) => {
  for (const b of await backends(t.teardown.bind(t), (m) => t.comment(m))) {
    await t.test(b.name, async (t) => {
      const db = await b.open();
      await migrate(db);
      const lines = async (key: string): Promise<string[]> =>
        (await db.query<{ l: string }>('SELECT convert_from(line, $2) AS l FROM log_lines WHERE key = $1 ORDER BY id', [key, 'UTF8'])).rows.map((r) => r.l);
      /** n lines "<key> i" for i in 0..n-1, each `size` bytes, received `ageMs` ago (same for all unless step). */
      const fill = async (key: string, n: number, size = 10, ageMs = 0, stepMs = 0) => {
        await b.sql(
          `INSERT INTO log_lines (key, received, line)
           SELECT $1::text, now() - ($3::bigint - i * $5::bigint) * interval '1 millisecond', convert_to(rpad('L' || i || ' ', $4::int, 'x'), 'UTF8')
             FROM generate_series(0, $2::int - 1) i ORDER BY i`,
          [key, n, ageMs, size, stepMs],
        );
      };
      const run = (opts: ConstructorParameters<typeof Retention>[1]) =>
        new Retention(async () => db, { maxLines: 0, maxBytes: 0, maxAgeMs: 0, intervalMs: 0, ...opts }, logger).runOnce();

      await t.test('by line count, in chunks, per key', async (t) => {
        await fill('lines-a', 120);
        await fill('lines-b', 30);
        const before = await deletedMetric('lines');
        const r = await run({ maxLines: 50, chunkRows: 7 });
        t.equal(r.deleted.lines, 70);
        t.equal(await deletedMetric('lines'), before + 70, 'counted in the metric');
        const a = await lines('lines-a');
        t.equal(a.length, 50);
        t.match(a[0], /^L70 /, 'the oldest went, the newest stayed');
        t.match(a[49], /^L119 /);
        t.equal((await lines('lines-b')).length, 30, 'a key under the limit is untouched');
        t.equal((await run({ maxLines: 50, chunkRows: 7 })).deleted.lines, 0, 'a second pass has nothing to do');
      });

      await t.test('by bytes', async (t) => {
        await fill('bytes', 40, 100); // 4000 bytes
        const r = await run({ maxBytes: 1050 });
        t.equal(r.deleted.bytes, 30, 'keeps the newest 10 lines (1000 bytes ≤ 1050)');
        const left = await lines('bytes');
        t.equal(left.length, 10);
        t.match(left[0], /^L30 /);
        t.equal((await run({ maxBytes: 1000 })).deleted.bytes, 0, 'exactly at the limit stays');
        t.equal((await run({ maxBytes: 999 })).deleted.bytes, 1);
      });

      await t.test('by age, on the arrival time', async (t) => {
        // 20 lines, 10 h old down to 1 h old in steps of ~28 min.
        await fill('aged', 20, 10, 10 * 3600_000, 1_700_000);
        const r = await run({ maxAgeMs: 5 * 3600_000, chunkRows: 3 });
        const left = await lines('aged');
        t.ok(r.deleted.age > 0 && r.deleted.age < 20, `some deleted (${r.deleted.age})`);
        t.equal(left.length + r.deleted.age, 20);
        const ages = (await db.query<{ age: number }>(`SELECT extract(epoch FROM now() - received)::float8 AS age FROM log_lines WHERE key = 'aged'`)).rows;
        t.ok(ages.every((a) => a.age <= 5 * 3600), 'nothing older than the limit remains');
        t.equal(r.deleted.age, 11, 'lines 0..10 were older than 5 h');
      });

      await t.test('keys with no lines left are forgotten once registered longer ago than the age limit; GET /logs/:key then finds them unknown', async (t) => {
        const store = new LogStore({ db, logger, retention: { intervalMs: 0 } });
        t.teardown(() => store.close());
        const register = (key: string, ageMs: number) => b.sql(`INSERT INTO log_keys (key, created) VALUES ($1, now() - $2::bigint * interval '1 millisecond')`, [key, ageMs]);
        const known = async (keys: string[]) => Promise.all(keys.map((k) => store.keyExists(k)));
        const keys = ['expired', 'empty-old', 'empty-new', 'old-with-new-line'];
        await register('expired', 10 * 3600_000);
        await fill('expired', 5, 10, 9 * 3600_000); // every line past the limit
        await register('empty-old', 10 * 3600_000); // a drain that never stored a line
        await store.registerKey('empty-new'); // a drain that just started
        await register('old-with-new-line', 10 * 3600_000);
        await fill('old-with-new-line', 1);
        t.same(await known(keys), [true, true, true, true], 'all known before the pass');
        const before = await forgottenMetric();
        const r = await run({ maxAgeMs: 5 * 3600_000, chunkRows: 1 });
        t.equal(r.deleted.age, 5);
        t.equal(r.keysForgotten, 2, 'the expired key and the long-empty one');
        t.same(await known(keys), [false, false, true, true], 'a forgotten key reads as an unknown one');
        t.equal(await forgottenMetric(), before + 2, 'counted in the metric');
        t.equal((await run({ maxAgeMs: 5 * 3600_000 })).keysForgotten, 0, 'a second pass has nothing to do');
        t.equal((await run({ maxLines: 1 })).keysForgotten, 0, 'without an age limit no key is forgotten');
        const w = Buffer.from('back again');
        await store.append('expired', w, Uint32Array.of(w.length), 1);
        t.equal(await store.keyExists('expired'), true, 'a new line makes it known again');
      });

      await t.test('no limits: nothing is read or deleted', async (t) => {
        const r = await run({});
        t.same(r, { keys: 0, deleted: { age: 0, lines: 0, bytes: 0 }, keysForgotten: 0 });
      });

      await t.test('writes proceed while a pass runs; concurrent runOnce calls share one pass', async (t) => {
        await fill('busy', 3000);
        const ret = new Retention(async () => db, { maxLines: 10, maxBytes: 0, maxAgeMs: 0, intervalMs: 0, chunkRows: 100 }, logger);
        const p1 = ret.runOnce();
        const p2 = ret.runOnce();
        t.equal(p1, p2);
        const store = new LogStore({ db, logger: pino({ level: 'silent' }), retention: { intervalMs: 0 } });
        const w = Buffer.from('written during retention');
        await store.append('other', w, Uint32Array.of(w.length), 1);
        await store.close();
        const r = await p1;
        t.ok(r.deleted.lines >= 2990, 'the pass finished');
        t.equal((await lines('busy')).length, 10);
        t.same(await lines('other'), ['written during retention']);
      });

      await t.test('the periodic timer runs passes by itself and stops', async (t) => {
        await fill('timer', 30);
        const store = new LogStore({ db, logger, retention: { maxLines: 5, maxBytes: 0, maxAgeMs: 0, intervalMs: 50 } });
        await store.keyExists('timer'); // opens the database, which starts the timer
        const deadline = Date.now() + 10_000;
        while ((await lines('timer')).length > 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        t.equal((await lines('timer')).length, 5);
        await store.close();
      });
    });
  }
});
