import t, { type Test } from 'tap';
import { createDrain, parseDrainUrl } from '../../../src/drains';
import type { Drain } from '../../../src/drains/drain';
import type { DrainContext } from '../../../src/drains/url';
import { BATCH_MESSAGES, PersistentDrain } from '../../../src/drains/persistent/persistent-drain';
import { LogStore } from '../../../src/store/log-store';
import { migrate } from '../../../src/store/migrate';
import { metricValue } from '../../helpers/metrics';
import { backends, logger } from '../../store/db-fixture';

t.setTimeout(120_000); // PGlite start-up is slow on a loaded machine

t.test('persistent:// URLs: the key is checked before anything opens', async (t) => {
  const ok: Array<[string, string]> = [
    ['persistent://app-space', 'app-space'],
    ['persistent://My.App_1~x', 'My.App_1~x'],
    ['persistent://k/', 'k'],
    ['persistent://k?name=store&policy=block&buffer_messages=10', 'k'],
    [`persistent://${'a'.repeat(128)}`, 'a'.repeat(128)],
  ];
  for (const [url, key] of ok) {
    const spec = parseDrainUrl(url);
    t.equal(spec.kind, 'persistent', url);
    t.same(spec.options, { key }, url);
  }
  const bad: Array<[string, RegExp]> = [
    ['persistent://', /empty/],
    [`persistent://${'a'.repeat(129)}`, /129 characters/],
    ['persistent://a%20b', /only contain/],
    ['persistent://-x', /start with/],
    ['persistent://k/sub', /without a path/],
    ['persistent:///k', /path|empty/],
    ['persistent://u:pw@k', /no user or password/],
    ['persistent://k:5432', /no port/],
    ['persistent://k?table=x', /unknown parameter "table"/],
  ];
  for (const [url, why] of bad) {
    let err: any;
    try {
      parseDrainUrl(url);
    } catch (e) {
      err = e;
    }
    t.equal(err?.code, 'SY_ERR_DRAIN_URL', url);
    t.match(err?.message, why, url);
    t.notMatch(err?.message ?? '', /pw@/, 'no password in the message');
  }
});

function ctxWith(store: LogStore | undefined): DrainContext {
  return {
    logger,
    buffer: { policy: 'backpressure', bytes: 8 << 20, messages: 50_000, graceMs: 1000 },
    connectTimeoutMs: 1000,
    writeTimeoutMs: 1000,
    services: store === undefined ? {} : { persistent: store },
  };
}

t.test('without a log store the drain cannot be created', async (t) => {
  t.throws(() => createDrain(parseDrainUrl('persistent://k'), ctxWith(undefined)), { code: 'SY_ERR_NO_STORE' });
});

async function until(cond: () => Promise<boolean> | boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function batches(): Promise<number> {
  return metricValue('switchyard_store_batches_total');
}

const msg = (i: number) => Buffer.from(`<14>1 2026-01-01T00:00:00Z h app - - - message ${i}`);

function push(d: Drain, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const b = msg(i);
    d.push(b, 0, b.length, null);
  }
}

function balanced(t: Test, d: Drain, pushed: number): void {
  const dropped = Object.values(d.stats.dropped).reduce((a, b) => a + b, 0);
  t.equal(d.stats.delivered + d.queued + dropped, pushed + d.notices, 'delivered + queued + dropped = pushed');
}

t.test('each backend', async (t) => {
  for (const b of await backends(t.teardown.bind(t), (m) => t.comment(m))) {
    await t.test(b.name, async (t) => {
      const db = await b.open();
      await migrate(db);
      const store = new LogStore({ db, logger, retention: { intervalMs: 0 } });
      t.teardown(() => store.close());
      const stored = async (key: string) =>
        (await db.query<{ l: string }>('SELECT convert_from(line, $2) AS l FROM log_lines WHERE key = $1 ORDER BY id', [key, 'UTF8'])).rows.map((r) => r.l);

      await t.test('messages land as rows, in order, in batches', async (t) => {
        const d = createDrain(parseDrainUrl('persistent://batched'), ctxWith(store)) as PersistentDrain;
        t.equal(d.kind, 'persistent');
        d.start();
        await until(() => store.keyExists('batched'), 'the key to be registered on start');
        t.same(await stored('batched'), [], 'known before any line');
        const before = await batches();
        const n = 2 * BATCH_MESSAGES + 500;
        push(d, 0, n);
        balanced(t, d, n);
        await until(() => d.stats.delivered === n, 'every message delivered');
        const rows = await stored('batched');
        t.equal(rows.length, n);
        t.ok(rows.every((l, i) => l === msg(i).toString()), 'in push order');
        const used = (await batches()) - before;
        t.ok(used >= 3 && used <= 6, `a few statements for ${n} messages (${used})`);
        t.equal(d.stats.deliveredBytes, rows.reduce((a, l) => a + Buffer.byteLength(l), 0));
        balanced(t, d, n);
        t.equal(d.connected, true);
        await d.close(2000);
      });

      await t.test('a trickle is batched by the linger, not written one row per statement', async (t) => {
        const d = createDrain(parseDrainUrl('persistent://trickle'), ctxWith(store));
        d.start();
        const before = await batches();
        for (let i = 0; i < 20; i++) {
          push(d, i, i + 1);
          await new Promise((r) => setImmediate(r));
        }
        await until(() => d.stats.delivered === 20, 'delivered');
        t.ok((await batches()) - before < 10, 'far fewer statements than messages');
        t.equal((await stored('trickle')).length, 20);
        await d.close(2000);
      });

      await t.test('database errors: kept as queued, retried with backoff, delivered in order once it is back', async (t) => {
        const d = createDrain(parseDrainUrl('persistent://outage'), ctxWith(store));
        d.start();
        push(d, 0, 10);
        await until(() => d.stats.delivered === 10, 'first messages');
        await b.sql('ALTER TABLE log_lines RENAME TO log_lines_away');
        push(d, 10, 30);
        await until(() => d.stats.errors >= 2 && d.stats.retried >= 2, 'failures and retries');
        t.equal(d.queued, 20, 'nothing lost meanwhile: all queued');
        t.equal(d.connected, false);
        push(d, 30, 40);
        balanced(t, d, 40);
        await b.sql('ALTER TABLE log_lines_away RENAME TO log_lines');
        await until(() => d.stats.delivered === 40, 'everything delivered after the outage', 60_000);
        const rows = await stored('outage');
        t.same(rows, Array.from({ length: 40 }, (_, i) => msg(i).toString()), 'once each, in order');
        t.equal(Object.values(d.stats.dropped).reduce((a, b) => a + b, 0), 0, 'nothing dropped');
        balanced(t, d, 40);
        await d.close(2000);
      });

      await t.test('a failing drain does not hold up another key', async (t) => {
        // A CHECK constraint that fails one key's rows only: one drain fails, the other writes.
        await b.sql(`ALTER TABLE log_lines ADD CONSTRAINT no_blocked CHECK (key <> 'blocked')`);
        const bad = createDrain(parseDrainUrl('persistent://blocked'), ctxWith(store));
        const good = createDrain(parseDrainUrl('persistent://flowing'), ctxWith(store));
        bad.start();
        good.start();
        push(bad, 0, 5);
        push(good, 0, 5);
        await until(() => good.stats.delivered === 5, 'the healthy drain delivered');
        await until(() => bad.stats.errors > 0, 'the other failed');
        t.equal(bad.stats.delivered, 0);
        t.equal(bad.queued, 5);
        await b.sql('ALTER TABLE log_lines DROP CONSTRAINT no_blocked');
        await until(() => bad.stats.delivered === 5, 'recovered', 60_000);
        await Promise.all([bad.close(2000), good.close(2000)]);
      });

      await t.test('data the database refuses for good is dropped as rejected, counted', async (t) => {
        // A CHECK violation is class 23 and retried; a data exception (class 22) is not.
        await b.sql(`CREATE OR REPLACE FUNCTION sy_test_reject() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN IF NEW.key = 'poison' THEN RAISE EXCEPTION 'bad data' USING ERRCODE = '22023'; END IF; RETURN NEW; END $$`);
        await b.sql('CREATE TRIGGER sy_test_reject BEFORE INSERT ON log_lines FOR EACH ROW EXECUTE FUNCTION sy_test_reject()');
        const d = createDrain(parseDrainUrl('persistent://poison'), ctxWith(store));
        d.start();
        push(d, 0, 7);
        await until(() => d.stats.dropped.rejected === 7, 'rejected');
        t.equal(d.queued, 0);
        balanced(t, d, 7);
        await b.sql('DROP TRIGGER sy_test_reject ON log_lines');
        await d.close(2000);
      });

      await t.test('close() writes what lingers at once; a new drain for the same key appends', async (t) => {
        const first = createDrain(parseDrainUrl('persistent://restart'), ctxWith(store));
        first.start();
        push(first, 0, 3);
        await first.close(5000);
        t.equal(first.stats.delivered, 3, 'flushed on close');
        const second = createDrain(parseDrainUrl('persistent://restart?name=again'), ctxWith(store));
        second.start();
        push(second, 3, 6);
        await until(() => second.stats.delivered === 3, 'second drain delivered');
        t.same(await stored('restart'), Array.from({ length: 6 }, (_, i) => msg(i).toString()), 'appended, nothing replaced');
        await second.close(2000);
      });
    });
  }
});
