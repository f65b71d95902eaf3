// syslog into the real router → persistent://e2e → rows → GET /logs/e2e, on
// PostgreSQL (PERSISTENT_DATABASE_URL) and on the embedded PGlite (DATA_DIR).
import http from 'node:http';
import net from 'node:net';
import t from 'tap';
import { startTestRouter, type TestRouter } from '../../helpers/router';
import { backends, tempDir } from '../../store/db-fixture';

t.setTimeout(180_000); // PGlite start-up is slow on a loaded machine

function sendTcp(port: number, lines: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.end(lines.map((l) => l + '\n').join('')));
    s.on('close', () => resolve());
    s.on('error', reject);
  });
}

function get(r: TestRouter, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(`http://127.0.0.1:${r.ports.http}${path}`, { headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      })
      .on('error', reject);
  });
}

const AUTH = { authorization: 'Bearer e2e-token' };

async function lines(r: TestRouter, want: number): Promise<string[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await get(r, '/logs/e2e', AUTH);
    const got = res.status === 200 ? res.body.split('\n').filter(Boolean) : [];
    if (got.length >= want || Date.now() > deadline) return got;
    await new Promise((res) => setTimeout(res, 50));
  }
}

t.test('each backend', async (t) => {
  for (const b of await backends(t.teardown.bind(t), (m) => t.comment(m))) {
    await t.test(b.name, async (t) => {
      const dataDir = await tempDir(t.teardown.bind(t));
      const env: Record<string, string> = { DATA_DIR: dataDir, API_TOKEN: 'e2e-token' };
      if (b.name === 'postgres') env.PERSISTENT_DATABASE_URL = b.url!;
      const routes: Array<[string, string]> = [['web-1', 'persistent://e2e']];

      let r = await startTestRouter({ routes, env });
      // The drain registers its key in the background as it starts (opening and
      // migrating the store first): poll until it has.
      let unknown = await get(r, '/logs/e2e', AUTH);
      for (const deadline = Date.now() + 20_000; unknown.status === 404 && Date.now() < deadline; ) {
        await new Promise((res) => setTimeout(res, 50));
        unknown = await get(r, '/logs/e2e', AUTH);
      }
      t.equal(unknown.status, 200, 'the drain registered its key: known before any line');
      t.equal(unknown.body, '');
      t.equal((await get(r, '/logs/e2e')).status, 401, 'the admin token is required');
      t.equal((await get(r, '/logs/nope', AUTH)).status, 404);

      const first = [
        '<14>1 2026-02-03T04:05:06Z web-1 app 42 - - first 5424',
        '<13>Feb  3 04:05:07 web-1 app[7]: a 3164 line',
        '<14>1 2026-02-03T04:05:08Z other-host app - - - not routed here',
        '<14>1 2026-02-03T04:05:09Z web-1 app - - - third',
      ];
      await sendTcp(r.ports.tcp, first);
      const got = await lines(r, 3);
      t.equal(got.length, 3, 'only the routed hostname');
      t.equal(got[0], first[0]);
      t.match(got[1], /^<13>1 \S+ web-1 app 7 - - a 3164 line$/, 'stored as RFC 5424');
      t.equal(got[2], first[3]);
      const nd = await get(r, '/logs/e2e?format=ndjson&tail=1', AUTH);
      t.match(JSON.parse(nd.body), { hostname: 'web-1', app_name: 'app', message: 'third' });
      await r.close();

      // A restart with the same route: the key's rows stay, new ones append.
      r = await startTestRouter({ routes, env });
      await sendTcp(r.ports.tcp, ['<14>1 2026-02-03T04:06:00Z web-1 app - - - after restart']);
      const after = await lines(r, 4);
      t.same(after.slice(0, 3), got, 'earlier lines kept');
      t.equal(after[3], '<14>1 2026-02-03T04:06:00Z web-1 app - - - after restart');
      await r.close();
    });
  }
});
