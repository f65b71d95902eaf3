import Fastify, { type FastifyInstance } from 'fastify';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import logsApi from '../../src/http/logs-api';
import { LogStore } from '../../src/store/log-store';
import { migrate } from '../../src/store/migrate';
import { metricValue } from '../helpers/metrics';
import { backends, logger } from '../store/db-fixture';

t.setTimeout(120_000); // PGlite start-up is slow on a loaded machine

interface Got {
  status: number;
  type: string;
  body: Buffer;
}

function get(base: string, path: string, headers: Record<string, string> = {}): Promise<Got> {
  return new Promise((resolve, reject) => {
    http
      .get(base + path, { headers }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body: Buffer.concat(parts) }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** A streaming GET: lines as they arrive. */
function follow(base: string, path: string): Promise<{ res: http.IncomingMessage; req: http.ClientRequest; lines: string[]; waitFor(n: number): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const req = http.get(base + path, (res) => {
      const lines: string[] = [];
      let partial = '';
      const waiters: Array<[number, () => void]> = [];
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        partial += c;
        let nl: number;
        while ((nl = partial.indexOf('\n')) >= 0) {
          lines.push(partial.slice(0, nl));
          partial = partial.slice(nl + 1);
        }
        for (const [n, fn] of waiters) if (lines.length >= n) fn();
      });
      res.on('error', () => {});
      resolve({
        res,
        req,
        lines,
        waitFor: (n) => (lines.length >= n ? Promise.resolve() : new Promise((r) => waiters.push([n, r]))),
      });
    });
    req.on('error', reject);
  });
}

async function followers(): Promise<number> {
  return metricValue('switchyard_store_follow_clients');
}

async function until(cond: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function batch(lines: Array<string | Buffer>): [Buffer, Uint32Array, number] {
  const bufs = lines.map((l) => (typeof l === 'string' ? Buffer.from(l) : l));
  const ends = new Uint32Array(bufs.length);
  let o = 0;
  bufs.forEach((b, i) => (ends[i] = o += b.length));
  return [Buffer.concat(bufs), ends, bufs.length];
}

async function serve(teardown: (fn: () => unknown) => void, store: LogStore, opts: { token?: string; path?: string } = {}): Promise<{ app: FastifyInstance; base: string }> {
  const app = Fastify();
  await app.register(logsApi, { store, pageSize: 3, followPollMs: 50, ...opts });
  await app.listen({ port: 0, host: '127.0.0.1' });
  teardown(() => app.close());
  return { app, base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}

const LINES = Array.from({ length: 8 }, (_, i) => `<165>1 2026-03-04T05:06:0${i}.123Z web-1 app web.${i} ID${i} [ex@32473 n="${i}" q="a\\"b"] message ${i}`);

t.test('each backend', async (t) => {
  for (const b of await backends(t.teardown.bind(t), (m) => t.comment(m))) {
    await t.test(b.name, async (t) => {
      const db = await b.open();
      await migrate(db);
      const store = new LogStore({ db, logger, retention: { intervalMs: 0 } });
      t.teardown(() => store.close());
      const { base } = await serve(t.teardown.bind(t), store);
      await store.append('web', ...batch(LINES));
      const invalid = Buffer.concat([Buffer.from('<14>1 - h a - - - bad '), Buffer.from([0xff, 0xc3, 0x28, 0x00])]);
      await store.append('bytes', ...batch([invalid, 'not syslog at all']));
      await store.registerKey('empty');

      await t.test('text: every line in arrival order, across pages', async (t) => {
        const r = await get(base, '/logs/web');
        t.equal(r.status, 200);
        t.match(r.type, /^text\/plain/);
        t.equal(r.body.toString(), LINES.join('\n') + '\n');
      });

      await t.test('404 for an unknown key, 200 and empty for a known key without lines, 400 for a bad key', async (t) => {
        const nf = await get(base, '/logs/nobody');
        t.equal(nf.status, 404);
        t.match(JSON.parse(nf.body.toString()), { error: /nobody/ });
        const empty = await get(base, '/logs/empty');
        t.equal(empty.status, 200);
        t.equal(empty.body.length, 0);
        const emptyJson = await get(base, '/logs/empty', { accept: 'application/json' });
        t.same(JSON.parse(emptyJson.body.toString()), []);
        t.equal((await get(base, `/logs/${'k'.repeat(129)}`)).status, 400, 'too long');
        await store.registerKey('k'.repeat(128));
        t.equal((await get(base, `/logs/${'k'.repeat(128)}`)).status, 200, 'the longest key');
        t.equal((await get(base, '/logs/web/more')).status, 400, 'no slashes');
        t.equal((await get(base, '/logs/')).status, 400, 'no key');
        const head = (path: string) =>
          new Promise<number>((resolve, reject) => http.request(base + path, { method: 'HEAD' }, (res) => (res.resume(), resolve(res.statusCode!))).on('error', reject).end());
        t.equal(await head('/logs/web'), 200, 'HEAD of a known key');
        t.equal(await head('/logs/nobody'), 404, 'HEAD of an unknown key');
        t.equal((await get(base, '/logs/a%20b')).status, 400, 'odd characters');
      });

      await t.test('tail, limit, and both', async (t) => {
        const text = async (q: string) => (await get(base, `/logs/web?${q}`)).body.toString();
        t.equal(await text('tail=3'), LINES.slice(-3).join('\n') + '\n');
        t.equal(await text('tail=100'), LINES.join('\n') + '\n');
        t.equal(await text('tail=0'), '');
        t.equal(await text('limit=4'), LINES.slice(0, 4).join('\n') + '\n');
        t.equal(await text('limit=0'), '');
        t.equal(await text('tail=5&limit=2'), LINES.slice(3, 5).join('\n') + '\n', 'limit counts within the tail');
      });

      await t.test('since/until on the arrival time', async (t) => {
        await b.sql(
          `INSERT INTO log_lines (key, received, line) SELECT 'timed', timestamptz '2026-01-01T00:00:00Z' + i * interval '1 minute', convert_to('m' || i, 'UTF8')
             FROM generate_series(0, 9) i`,
        );
        const text = async (q: string) => (await get(base, `/logs/timed?${q}`)).body.toString().split('\n').filter(Boolean);
        t.same(await text('since=2026-01-01T00:07:00Z'), ['m7', 'm8', 'm9']);
        t.same(await text('until=2026-01-01T01:01:00%2B01:00'), ['m0', 'm1'], 'zone offsets are honoured, until inclusive');
        t.same(await text('since=2026-01-01T00:02:30Z&until=2026-01-01T00:05:00Z&tail=2'), ['m4', 'm5']);
        const bad = await get(base, '/logs/timed?since=yesterday');
        t.equal(bad.status, 400);
        t.match(JSON.parse(bad.body.toString()).error, /RFC 3339/);
        t.equal((await get(base, '/logs/timed?since=2026-01-01T00:00:00')).status, 400, 'a zone is required');
      });

      await t.test('ndjson and JSON records: parsed fields and the message', async (t) => {
        const nd = await get(base, '/logs/web?format=ndjson&tail=2');
        t.equal(nd.type, 'application/x-ndjson');
        const recs = nd.body.toString().trim().split('\n').map((l) => JSON.parse(l));
        t.equal(recs.length, 2);
        t.match(recs[1], {
          id: /^\d+$/,
          received: /^\d{4}-\d\d-\d\dT/,
          line: LINES[7],
          facility: 20,
          severity: 5,
          timestamp: '2026-03-04T05:06:07.123Z',
          hostname: 'web-1',
          app_name: 'app',
          proc_id: 'web.7',
          msg_id: 'ID7',
          structured_data: { 'ex@32473': { n: '7', q: 'a"b' } },
          message: 'message 7',
        });
        t.notOk('line_base64' in recs[1]);
        t.ok(BigInt(recs[0].id) < BigInt(recs[1].id), 'ids ascend');
        const viaAccept = await get(base, '/logs/web?limit=5', { accept: 'application/x-ndjson' });
        t.equal(viaAccept.body.toString().trim().split('\n').length, 5);

        const js = await get(base, '/logs/web', { accept: 'application/json' });
        t.match(js.type, /^application\/json/);
        const arr = JSON.parse(js.body.toString());
        t.same(arr.map((r: any) => r.line), LINES, 'a JSON array of every record, across pages');
        t.equal(JSON.parse((await get(base, '/logs/web?format=json&limit=1')).body.toString()).length, 1);
        t.equal((await get(base, '/logs/web?format=xml')).status, 400);
        t.equal((await get(base, '/logs/web?format=text', { accept: 'application/json' })).body.toString(), LINES.join('\n') + '\n', '?format wins over Accept');
      });

      await t.test('invalid UTF-8 survives: raw in text, base64 in records; unparsable lines are still returned', async (t) => {
        const text = await get(base, '/logs/bytes');
        t.ok(text.body.equals(Buffer.concat([invalid, Buffer.from('\nnot syslog at all\n')])), 'the exact bytes');
        const recs = (await get(base, '/logs/bytes?format=ndjson')).body.toString().trim().split('\n').map((l) => JSON.parse(l));
        t.ok(Buffer.from(recs[0].line_base64, 'base64').equals(invalid));
        t.equal(recs[0].hostname, 'h');
        t.match(recs[1], { line: 'not syslog at all', parse_error: /PRI/ });
        t.notOk('facility' in recs[1]);
      });

      await t.test('bad parameters are 400 with a reason', async (t) => {
        for (const q of ['tail=-1', 'tail=x', 'limit=1.5', 'follow=maybe', 'bogus=1', 'tail=1&tail=2', 'follow=true&until=2026-01-01T00:00:00Z', 'follow=true&format=json']) {
          const r = await get(base, `/logs/web?${q}`);
          t.equal(r.status, 400, q);
          t.type(JSON.parse(r.body.toString()).error, 'string');
        }
      });

      await t.test('follow: lines stored after connecting arrive; the server notices the client leaving', async (t) => {
        const before = await followers();
        const f = await follow(base, '/logs/web?tail=1&follow=true');
        t.equal(f.res.statusCode, 200);
        await f.waitFor(1);
        t.same(f.lines, [LINES[7]], 'the tail first');
        t.equal(await followers(), before + 1);
        await store.append('web', ...batch(['<14>1 - h a - - - live 1', '<14>1 - h a - - - live 2']));
        await store.append('elsewhere', ...batch(['<14>1 - h a - - - other key']));
        await f.waitFor(3);
        // Written by "another router": straight into the table, found by polling.
        await b.sql(`INSERT INTO log_lines (key, line) VALUES ('web', convert_to('<14>1 - h a - - - from afar', 'UTF8'))`);
        await f.waitFor(4);
        t.same(f.lines.slice(1), ['<14>1 - h a - - - live 1', '<14>1 - h a - - - live 2', '<14>1 - h a - - - from afar']);
        f.req.destroy();
        await until(async () => (await followers()) === before, 'the server to drop the follower');
        t.pass('the follow response ended when the client went away');
      });

      await t.test('follow in ndjson, with limit: ends once the limit is reached', async (t) => {
        const f = await follow(base, '/logs/empty?follow=true&limit=2&format=ndjson');
        const ended = new Promise((r) => f.res.on('end', r));
        await store.append('empty', ...batch(['<14>1 - h a - - - e1', '<14>1 - h a - - - e2', '<14>1 - h a - - - e3']));
        await ended;
        t.same(f.lines.map((l) => JSON.parse(l).message), ['e1', 'e2']);
      });

      await t.test('closing the server ends open follow responses', async (t) => {
        const own = await serve(() => {}, store);
        const f = await follow(own.base, '/logs/web?tail=0&follow=true');
        const ended = new Promise((r) => f.res.on('close', r));
        await own.app.close();
        await ended;
        t.pass('close() returned and the follower was ended');
      });

      await t.test('admin token: 401 without or with a wrong one, 200 with it; custom path prefix', async (t) => {
        const { base: guarded } = await serve(t.teardown.bind(t), store, { token: 's3cret', path: '/store' });
        const none = await get(guarded, '/store/web');
        t.equal(none.status, 401);
        t.equal((await get(guarded, '/store/web', { authorization: 'Bearer nope' })).status, 401);
        const ok = await get(guarded, '/store/web?limit=1', { authorization: 'Bearer s3cret' });
        t.equal(ok.status, 200);
        t.equal(ok.body.toString(), LINES[0] + '\n');
        t.equal((await get(guarded, '/logs/web', { authorization: 'Bearer s3cret' })).status, 404, 'not under the default prefix');
      });
    });
  }
});
