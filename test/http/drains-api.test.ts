import Fastify, { type FastifyInstance } from 'fastify';
import t from 'tap';
import { isLoopback, safeEqual } from '../../src/http/auth';
import drainsApi from '../../src/http/drains-api';
import { DbRouteSource } from '../../src/routes/postgres-source';
import type { RouteRow } from '../../src/routes/route-source';
import type { Db } from '../../src/store/db';
import { migrate } from '../../src/store/migrate';
import { openDb } from '../../src/store/db';
import { backends, closedPort, logger, tempDir } from '../store/db-fixture';

// Stand-ins for src/drains/url.ts: real functions, just simpler.
const SCHEMES = new Set(['syslog+tcp:', 'syslog+tls:', 'syslog+udp:', 'http:', 'https:']);
function validateEndpoint(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'not a URL';
  }
  return SCHEMES.has(u.protocol) ? null : `unsupported scheme ${u.protocol}`;
}
function maskEndpoint(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '****';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}

t.test('safeEqual', async (t) => {
  t.equal(safeEqual('s3cret-token', 's3cret-token'), true);
  t.equal(safeEqual('s3cret-token', 's3cret-tokem'), false);
  t.equal(safeEqual('short', 'a much longer string'), false, 'different lengths do not throw');
  t.equal(safeEqual('', ''), true);
  t.equal(safeEqual('', 'x'), false);
  t.equal(safeEqual('clé', 'clé'), true);
  t.equal(safeEqual('clé', 'cle'), false);
});

t.test('isLoopback', async (t) => {
  const cases: Array<[string | undefined, boolean]> = [
    ['127.0.0.1', true],
    ['127.255.3.4', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:10.0.0.1', false],
    ['10.0.0.1', false],
    ['128.0.0.1', false],
    ['1270.0.0.1', false],
    ['::2', false],
    ['fe80::1', false],
    [undefined, false],
  ];
  for (const [addr, want] of cases) t.equal(isLoopback(addr), want, String(addr));
});

async function app(teardown: (fn: () => unknown) => void, db: Db, token?: string): Promise<FastifyInstance> {
  const a = Fastify();
  await a.register(drainsApi, { db, token, validateEndpoint, maskEndpoint });
  teardown(() => a.close());
  await a.ready();
  return a;
}

t.test('database unreachable: 503 with a JSON error, validation still 400', async (t) => {
  const dataDir = await tempDir(t.teardown.bind(t));
  const down = await openDb({ url: `postgres://postgres:pw@127.0.0.1:${await closedPort()}/x`, dataDir, logger });
  t.teardown(() => down.close());
  const api = await app(t.teardown.bind(t), down);
  for (const [method, url, payload] of [
    ['GET', '/drains', undefined],
    ['POST', '/drains', { hostname: 'h', endpoint: 'https://a.example/' }],
    ['DELETE', '/drains/00000000-0000-4000-8000-000000000000', undefined],
  ] as const) {
    const res = await api.inject({ method, url, payload });
    t.equal(res.statusCode, 503, `${method} ${url}`);
    t.equal(res.headers['retry-after'], '5');
    t.match(res.json(), { error: /unreachable/ });
    t.notMatch(res.body, /pw/);
  }
  const bad = await api.inject({ method: 'POST', url: '/drains', payload: { hostname: 'h' } });
  t.equal(bad.statusCode, 400);
  t.match(bad.json(), { error: /endpoint/ });
});

t.test('each backend', async (t) => {
  for (const b of await backends(t.teardown.bind(t), (m) => t.comment(m))) {
    await t.test(b.name, async (t) => {
      const db = await b.open();
      await migrate(db);
      const api = await app(t.teardown.bind(t), db);

      await t.test('CRUD with validation, 404s and masking', async (t) => {
        const secret = 'https://user:hunter2@logs.example/in';
        const created = await api.inject({ method: 'POST', url: '/drains', payload: { hostname: 'app-1', endpoint: secret } });
        t.equal(created.statusCode, 201);
        const row = created.json();
        t.match(row, { hostname: 'app-1', endpoint: 'https://user:****@logs.example/in' });
        t.match(row.id, /^[0-9a-f-]{36}$/);
        t.ok(row.created && row.updated);
        t.notMatch(created.body, /hunter2/, 'the password never leaves');
        const stored = await b.sql('SELECT endpoint FROM drains WHERE drain = $1', [row.id]);
        t.equal(stored.rows[0].endpoint, secret, 'the table keeps the real endpoint');

        await api.inject({ method: 'POST', url: '/drains', payload: { hostname: 'app-2', endpoint: 'syslog+tcp://10.0.0.5:514' } });
        const all = await api.inject({ method: 'GET', url: '/drains' });
        t.equal(all.statusCode, 200);
        t.same(all.json().map((r: any) => r.hostname).sort(), ['app-1', 'app-2']);
        t.notMatch(all.body, /hunter2/);
        const filtered = await api.inject({ method: 'GET', url: '/drains?hostname=app-2' });
        t.same(filtered.json().map((r: any) => r.endpoint), ['syslog+tcp://10.0.0.5:514']);
        t.same((await api.inject({ method: 'GET', url: '/drains?hostname=none' })).json(), []);

        const one = await api.inject({ method: 'GET', url: `/drains/${row.id}` });
        t.equal(one.statusCode, 200);
        t.equal(one.json().endpoint, 'https://user:****@logs.example/in');

        const put = await api.inject({ method: 'PUT', url: `/drains/${row.id}`, payload: { endpoint: 'https://logs.example/v2' } });
        t.equal(put.statusCode, 200);
        t.match(put.json(), { id: row.id, hostname: 'app-1', endpoint: 'https://logs.example/v2' }, 'fields left out keep their value');
        const put2 = await api.inject({ method: 'PUT', url: `/drains/${row.id}`, payload: { hostname: 'app-1b', endpoint: 'https://logs.example/v3' } });
        t.match(put2.json(), { hostname: 'app-1b', endpoint: 'https://logs.example/v3' });

        const bad = await api.inject({ method: 'POST', url: '/drains', payload: { hostname: 'app-3', endpoint: 'ftp://x.example/' } });
        t.equal(bad.statusCode, 422);
        t.match(bad.json(), { error: String, reason: 'unsupported scheme ftp:' });
        const badPut = await api.inject({ method: 'PUT', url: `/drains/${row.id}`, payload: { endpoint: 'nonsense' } });
        t.equal(badPut.statusCode, 422);
        t.match(badPut.json(), { reason: 'not a URL' });
        t.equal((await b.sql('SELECT count(*)::int AS c FROM drains')).rows[0].c, 2, 'rejected writes changed nothing');

        t.equal((await api.inject({ method: 'POST', url: '/drains', payload: { hostname: 'x' } })).statusCode, 400, 'missing endpoint');
        t.equal((await api.inject({ method: 'POST', url: '/drains', payload: { hostname: '', endpoint: 'https://a/' } })).statusCode, 400, 'empty hostname');
        t.equal((await api.inject({ method: 'POST', url: '/drains', payload: { hostname: { a: 1 }, endpoint: 'https://a/' } })).statusCode, 400, 'wrong type');
        t.equal((await api.inject({ method: 'PUT', url: `/drains/${row.id}`, payload: {} })).statusCode, 400, 'empty PUT');

        const unknown = '00000000-0000-4000-8000-000000000000';
        for (const [method, payload] of [['GET', undefined], ['PUT', { hostname: 'h' }], ['DELETE', undefined]] as const) {
          for (const id of [unknown, 'not-a-uuid', '1']) {
            const res = await api.inject({ method, url: `/drains/${id}`, payload });
            t.equal(res.statusCode, 404, `${method} ${id}`);
            t.match(res.json(), { error: String });
          }
        }

        const del = await api.inject({ method: 'DELETE', url: `/drains/${row.id}` });
        t.equal(del.statusCode, 204);
        t.equal(del.body, '');
        t.equal((await api.inject({ method: 'DELETE', url: `/drains/${row.id}` })).statusCode, 404, 'already gone');
        t.equal((await api.inject({ method: 'GET', url: `/drains/${row.id}` })).statusCode, 404);
      });

      await t.test('writes reach the route source through NOTIFY', async (t) => {
        const src = new DbRouteSource({ db, dataDir: await tempDir(t.teardown.bind(t)), logger });
        t.teardown(() => src.close());
        await src.start();
        const seen = new Promise<ReadonlyArray<RouteRow>>((resolve) => {
          src.on('routes', (rows: ReadonlyArray<RouteRow>) => {
            if (rows.some((r) => r.hostname === 'via-api')) resolve(rows);
          });
        });
        const res = await api.inject({ method: 'POST', url: '/drains', payload: { hostname: 'via-api', endpoint: 'https://u:pw@api.example/' } });
        t.equal(res.statusCode, 201);
        const rows = await seen;
        t.match(
          rows.find((r) => r.hostname === 'via-api'),
          { id: res.json().id, endpoint: 'https://u:pw@api.example/' },
          'the router sees the real endpoint',
        );
      });

      await t.test('auth: bearer token when configured', async (t) => {
        const guarded = await app(t.teardown.bind(t), db, 's3cret');
        const none = await guarded.inject({ method: 'GET', url: '/drains' });
        t.equal(none.statusCode, 401);
        t.equal(none.headers['www-authenticate'], 'Bearer');
        t.match(none.json(), { error: /token/ });
        const wrong = await guarded.inject({ method: 'GET', url: '/drains', headers: { authorization: 'Bearer s3cres' } });
        t.equal(wrong.statusCode, 401);
        const basic = await guarded.inject({ method: 'GET', url: '/drains', headers: { authorization: 'Basic czNjcmV0' } });
        t.equal(basic.statusCode, 401);
        const ok = await guarded.inject({ method: 'GET', url: '/drains', headers: { authorization: 'Bearer s3cret' } });
        t.equal(ok.statusCode, 200);
        const remote = await guarded.inject({ method: 'GET', url: '/drains', remoteAddress: '203.0.113.9', headers: { authorization: 'bearer s3cret' } });
        t.equal(remote.statusCode, 200, 'with a token, any client address that has it is allowed');
        const post = await guarded.inject({ method: 'POST', url: '/drains', payload: { hostname: 'h', endpoint: 'https://a/' } });
        t.equal(post.statusCode, 401, 'writes are guarded too');
        t.equal((await b.sql(`SELECT count(*)::int AS c FROM drains WHERE hostname = 'h'`)).rows[0].c, 0);
      });

      await t.test('auth: without a token only loopback clients', async (t) => {
        for (const addr of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
          t.equal((await api.inject({ method: 'GET', url: '/drains', remoteAddress: addr })).statusCode, 200, addr);
        }
        for (const addr of ['10.0.0.1', '::ffff:192.168.1.1', '2001:db8::1']) {
          const res = await api.inject({ method: 'GET', url: '/drains', remoteAddress: addr, headers: { 'x-forwarded-for': '127.0.0.1' } });
          t.equal(res.statusCode, 403, addr);
          t.match(res.json(), { error: /loopback/ });
        }
      });

      await t.test('over a real socket on loopback', async (t) => {
        const real = Fastify();
        await real.register(drainsApi, { db, validateEndpoint, maskEndpoint });
        t.teardown(() => real.close());
        await real.listen({ port: 0, host: '127.0.0.1' });
        const { port } = real.server.address() as { port: number };
        const res = await fetch(`http://127.0.0.1:${port}/drains`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ hostname: 'socket', endpoint: 'syslog+tls://logs.example:6514' }),
        });
        t.equal(res.status, 201);
        const got = await fetch(`http://127.0.0.1:${port}/drains?hostname=socket`);
        t.same(((await got.json()) as any[]).map((r) => r.endpoint), ['syslog+tls://logs.example:6514']);
      });
    });
  }
});
