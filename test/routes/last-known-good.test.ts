import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { LastKnownGoodFile, parseLastKnownGood, serializeLastKnownGood } from '../../src/routes/last-known-good';
import type { RouteRow } from '../../src/routes/route-source';
import { logger, tempDir } from '../store/db-fixture';

function rows(n: number, tag = ''): RouteRow[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    hostname: `app-${i}${tag}`,
    endpoint: `https://u:p"w\\${i}@logs.example/${i}`,
  }));
}

t.test('serialize → parse round-trips, across chunk boundaries', async (t) => {
  for (const n of [0, 1, 1999, 2000, 2001, 4500]) {
    const text = [...serializeLastKnownGood(rows(n), new Date(0))].join('');
    t.same(parseLastKnownGood(text), rows(n), `${n} rows`);
    t.doesNotThrow(() => JSON.parse(text));
  }
});

t.test('only the three fields are written', async (t) => {
  const extra = [{ id: 'a', hostname: 'h', endpoint: 'e', created: new Date(0), secret: 'x' } as RouteRow];
  const doc = JSON.parse([...serializeLastKnownGood(extra, new Date(0))].join(''));
  t.same(doc.rows, [{ id: 'a', hostname: 'h', endpoint: 'e' }]);
});

t.test('parse rejects what is not ours', async (t) => {
  const cases = [
    '',
    'not json',
    'null',
    '[]',
    '{"rows":[]}',
    '{"version":2,"rows":[]}',
    '{"version":1,"rows":{}}',
    '{"version":1,"rows":[null]}',
    '{"version":1,"rows":[{"id":"a","hostname":"h"}]}',
    '{"version":1,"rows":[{"id":1,"hostname":"h","endpoint":"e"}]}',
  ];
  for (const c of cases) t.equal(parseLastKnownGood(c), null, JSON.stringify(c));
  t.same(parseLastKnownGood('{"version":1,"rows":[]}'), []);
});

t.test('LastKnownGoodFile writes atomically with mode 0600; newest snapshot wins', async (t) => {
  const dir = await tempDir(t.teardown.bind(t));
  const f = new LastKnownGoodFile(path.join(dir, 'nested'), logger);
  t.equal(await f.read(), null, 'no file yet');
  const live = rows(3);
  f.save(live, 50);
  f.save(rows(5, '-b'), 50);
  live.pop(); // the caller keeps mutating its own array
  await f.flush();
  t.same(await f.read(), rows(5, '-b'));
  const st = await stat(f.path);
  t.equal(st.mode & 0o777, 0o600, 'credentials in endpoints stay private');
  t.same(await readdir(path.dirname(f.path)), ['routes.json'], 'no temp file left behind');

  const big = rows(4500);
  f.save(big, 0);
  await f.flush();
  t.same(await f.read(), big);
  await f.flush(); // nothing pending: no-op
});

t.test('an unreadable file is ignored, not fatal', async (t) => {
  const dir = await tempDir(t.teardown.bind(t));
  await writeFile(path.join(dir, 'routes.json'), '{"version":1,"rows":[{"id":');
  const f = new LastKnownGoodFile(dir, logger);
  t.equal(await f.read(), null);
  t.match(await readFile(f.path, 'utf8'), /^\{"version"/, 'and left as it was');
});
