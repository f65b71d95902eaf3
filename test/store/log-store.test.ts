import t from 'tap';
import { keyProblem, LogStore, MAX_KEY_LENGTH } from '../../src/store/log-store';
import { migrate } from '../../src/store/migrate';
import { metricValue } from '../helpers/metrics';
import { backends, logger } from './db-fixture';

/** Lines back to back plus their end offsets, as a drain hands them over. */
function batch(lines: Array<string | Buffer>): { buf: Buffer; ends: Uint32Array; count: number } {
  const bufs = lines.map((l) => (typeof l === 'string' ? Buffer.from(l) : l));
  const ends = new Uint32Array(bufs.length);
  let o = 0;
  bufs.forEach((b, i) => (ends[i] = o += b.length));
  return { buf: Buffer.concat(bufs), ends, count: bufs.length };
}

async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
  return metricValue(name, labels);
}

const ALL = { afterId: '0', since: null, until: null };

t.setTimeout(120_000); // PGlite start-up is slow on a loaded machine

t.test('keyProblem', async (t) => {
  t.equal(keyProblem('app-space'), null);
  t.equal(keyProblem('A.b_c~d-9'), null);
  t.equal(keyProblem('x'.repeat(MAX_KEY_LENGTH)), null);
  t.match(keyProblem(''), /empty/);
  t.match(keyProblem('x'.repeat(MAX_KEY_LENGTH + 1)), /129 characters/);
  for (const bad of ['a b', 'a/b', 'a%20b', '-lead', '.hidden', 'é', 'a;drop', 'a\nb']) t.not(keyProblem(bad), null, JSON.stringify(bad));
});

t.test('each backend', async (t) => {
  for (const b of await backends(t.teardown.bind(t), (m) => t.comment(m))) {
    await t.test(b.name, async (t) => {
      const db = await b.open();
      // The whole schema (drains too), like the app does on the routes database.
      await migrate(db);
      const store = new LogStore({ db, logger, retention: { intervalMs: 0 } });
      t.teardown(() => store.close());

      await t.test('batch write and read back in order, across pages', async (t) => {
        const rowsBefore = await metric('switchyard_store_rows_written_total');
        const batchesBefore = await metric('switchyard_store_batches_total');
        const lines = Array.from({ length: 25 }, (_, i) => `<14>1 2026-01-01T00:00:00Z h app - - - line ${i}`);
        const a = batch(lines.slice(0, 20));
        await store.append('order', a.buf, a.ends, a.count);
        const c = batch(lines.slice(20));
        await store.append('order', c.buf, c.ends, c.count);
        t.equal(await metric('switchyard_store_rows_written_total'), rowsBefore + 25);
        t.equal(await metric('switchyard_store_batches_total'), batchesBefore + 2, 'one statement per batch');
        const got: string[] = [];
        const range = { ...ALL };
        for (;;) {
          const page = await store.readPage('order', range, 7);
          for (const r of page) got.push(r.line.toString());
          if (page.length < 7) break;
          range.afterId = page[page.length - 1]!.id;
        }
        t.same(got, lines);
        t.same(await store.readPage('other-key', ALL, 10), [], 'keys do not mix');
      });

      await t.test('only the used part of the buffer is stored', async (t) => {
        const a = batch(['one', 'two']);
        const big = Buffer.concat([a.buf, Buffer.from('garbage after the last end')]);
        await store.append('partial', big, a.ends, a.count);
        t.same((await store.readPage('partial', ALL, 10)).map((r) => r.line.toString()), ['one', 'two']);
      });

      await t.test('invalid UTF-8 and every byte value round-trip', async (t) => {
        const all = Buffer.alloc(256);
        for (let i = 0; i < 256; i++) all[i] = i;
        const invalid = Buffer.from([0x3c, 0x31, 0x34, 0x3e, 0xff, 0xfe, 0xc3, 0x28, 0x00, 0x5c, 0x78]);
        const a = batch([invalid, all]);
        await store.append('bytes', a.buf, a.ends, a.count);
        const rows = await store.readPage('bytes', ALL, 10);
        t.ok(Buffer.isBuffer(rows[0]!.line));
        t.ok(rows[0]!.line.equals(invalid));
        t.ok(rows[1]!.line.equals(all));
      });

      await t.test('keyExists: registered or with lines; unknown otherwise', async (t) => {
        t.equal(await store.keyExists('never-seen'), false);
        await store.registerKey('registered');
        await store.registerKey('registered');
        t.equal(await store.keyExists('registered'), true, 'registered, no lines');
        t.equal(await store.keyExists('order'), true, 'lines, never registered');
      });

      await t.test('tailStart and lastId', async (t) => {
        const ids = (await store.readPage('order', ALL, 100)).map((r) => r.id);
        t.equal(await store.lastId('order'), ids[ids.length - 1]);
        t.equal(await store.lastId('never-seen'), null);
        const from = await store.tailStart('order', 3, ALL);
        t.same((await store.readPage('order', { ...ALL, afterId: from }, 100)).map((r) => r.id), ids.slice(-3));
        t.equal(await store.tailStart('order', 1000, ALL), '0', 'more than stored: from the start');
        t.equal(await store.tailStart('order', 0, ALL), ids[ids.length - 1], 'tail 0: nothing but new lines');
        const snap = { ...ALL, throughId: ids[4]! };
        t.same((await store.readPage('order', snap, 100)).map((r) => r.id), ids.slice(0, 5), 'throughId bounds a snapshot');
        const fromSnap = await store.tailStart('order', 2, snap);
        t.same((await store.readPage('order', { ...snap, afterId: fromSnap }, 100)).map((r) => r.id), ids.slice(3, 5), 'tail within the snapshot');
      });

      await t.test('since/until on the arrival time', async (t) => {
        await b.sql(
          `INSERT INTO log_lines (key, received, line) SELECT 'timed', timestamptz '2026-01-01T00:00:00Z' + i * interval '1 hour', convert_to('at ' || i, 'UTF8')
             FROM generate_series(0, 9) i`,
        );
        const read = async (since: string | null, until: string | null) =>
          (await store.readPage('timed', { afterId: '0', since, until }, 100)).map((r) => r.line.toString());
        t.same(await read('2026-01-01T07:00:00.000Z', null), ['at 7', 'at 8', 'at 9']);
        t.same(await read(null, '2026-01-01T01:00:00.000Z'), ['at 0', 'at 1'], 'until is inclusive');
        t.same(await read('2026-01-01T03:30:00.000Z', '2026-01-01T05:00:00.000Z'), ['at 4', 'at 5']);
        const rows = await store.readPage('timed', ALL, 1);
        t.equal(rows[0]!.received.toISOString(), '2026-01-01T00:00:00.000Z', 'received comes back as a Date');
        const from = await store.tailStart('timed', 2, { afterId: '0', since: null, until: '2026-01-01T05:00:00.000Z' });
        t.same(
          (await store.readPage('timed', { afterId: from, since: null, until: '2026-01-01T05:00:00.000Z' }, 100)).map((r) => r.line.toString()),
          ['at 4', 'at 5'],
          'tail applies within the time range',
        );
      });

      await t.test('onAppend fires after the batch committed', async (t) => {
        const seen: string[] = [];
        const off = store.onAppend((k) => seen.push(k));
        const a = batch(['x']);
        await store.append('signal', a.buf, a.ends, a.count);
        off();
        await store.append('signal', a.buf, a.ends, a.count);
        t.same(seen, ['signal']);
      });

      await t.test('a failed write rejects, is counted, and stores nothing', async (t) => {
        const errorsBefore = await metric('switchyard_store_write_errors_total');
        await b.sql('ALTER TABLE log_lines RENAME TO log_lines_away');
        const a = batch(['lost?']);
        await t.rejects(store.append('failing', a.buf, a.ends, a.count));
        await b.sql('ALTER TABLE log_lines_away RENAME TO log_lines');
        t.equal(await metric('switchyard_store_write_errors_total'), errorsBefore + 1);
        t.same(await store.readPage('failing', ALL, 10), []);
        await store.append('failing', a.buf, a.ends, a.count);
        t.equal((await store.readPage('failing', ALL, 10)).length, 1, 'works again once the table is back');
      });

      await t.test('batches of many keys waiting together share statements; a bad one fails alone', async (t) => {
        const before = await metric('switchyard_store_batches_total');
        const keys = Array.from({ length: 20 }, (_, i) => `many-${i}`);
        await Promise.all(keys.map((k) => store.append(k, ...Object.values(batch([`${k} a`, `${k} b`])) as [Buffer, Uint32Array, number])));
        const used = (await metric('switchyard_store_batches_total')) - before;
        t.ok(used < keys.length, `${keys.length} batches in ${used} statements`);
        for (const k of keys) t.same((await store.readPage(k, ALL, 10)).map((r) => r.line.toString()), [`${k} a`, `${k} b`], k);

        await b.sql(`ALTER TABLE log_lines ADD CONSTRAINT no_bad_key CHECK (key <> 'bad-key')`);
        const results = await Promise.allSettled(
          ['ok-1', 'ok-2', 'bad-key', 'ok-3', 'ok-4'].map((k) => store.append(k, ...Object.values(batch([`${k} line`])) as [Buffer, Uint32Array, number])),
        );
        await b.sql('ALTER TABLE log_lines DROP CONSTRAINT no_bad_key');
        t.same(
          results.map((r) => r.status),
          ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
        );
        t.match((results[2] as PromiseRejectedResult).reason, { message: /no_bad_key/ });
        for (const k of ['ok-1', 'ok-2', 'ok-3', 'ok-4']) t.equal((await store.readPage(k, ALL, 10)).length, 1, k);
        t.equal((await store.readPage('bad-key', ALL, 10)).length, 0);
      });

      await t.test('a second store on the same database (restart) appends to existing keys', async (t) => {
        const again = new LogStore({ db, logger, retention: { intervalMs: 0 } });
        await again.registerKey('order');
        const a = batch(['after restart']);
        await again.append('order', a.buf, a.ends, a.count);
        const rows = await again.readPage('order', ALL, 100);
        t.equal(rows.length, 26);
        t.equal(rows[25]!.line.toString(), 'after restart');
        await again.close();
      });

      await t.test('closed store refuses work', async (t) => {
        const s = new LogStore({ db, logger, retention: { intervalMs: 0 } });
        await s.close();
        await t.rejects(s.keyExists('order'), { code: 'SY_ERR_STORE_CLOSED' });
      });
    });
  }
});
