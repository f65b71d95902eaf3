import t from 'tap';
import { IndexNamer, indexForHostname, indexNameProblem, UNKNOWN_HOST_INDEX } from '../../../src/drains/elasticsearch/index-name';

t.test('default index from the hostname', async (t) => {
  const cases: Array<[string | null, string]> = [
    ['web.example.com', 'web.example.com'],
    ['Web.Example.COM', 'web.example.com'],
    ['api-default', 'api-default'],
    ['a b,c#d:e', 'a_b_c_d_e'],
    ['x\\y/z*?"<>|', 'x_y_z______'],
    ['-lead', 'lead'],
    ['_lead', 'lead'],
    ['+lead', 'lead'],
    ['.hidden', 'hidden'],
    ['--_+x', 'x'],
    ['.', UNKNOWN_HOST_INDEX],
    ['..', UNKNOWN_HOST_INDEX],
    ['', UNKNOWN_HOST_INDEX],
    ['___', UNKNOWN_HOST_INDEX],
    [null, UNKNOWN_HOST_INDEX],
    ['tab\there', 'tab_here'],
    ['ÉCOLE', 'école'],
  ];
  for (const [host, want] of cases) {
    const got = indexForHostname(host);
    t.equal(got, want, `${JSON.stringify(host)} → ${want}`);
    t.equal(indexNameProblem(got), null, `${got} is valid`);
  }
});

t.test('at most 255 bytes, cut at a character boundary', async (t) => {
  t.equal(indexForHostname('a'.repeat(300)), 'a'.repeat(255));
  const s = indexForHostname('é'.repeat(200)); // 2 bytes each
  t.equal(Buffer.byteLength(s), 254);
  t.equal(s, 'é'.repeat(127));
  t.equal(indexNameProblem(s), null);
});

t.test('indexNameProblem', async (t) => {
  t.equal(indexNameProblem('logs-2026.11.22'), null);
  t.match(indexNameProblem(''), /empty/);
  t.match(indexNameProblem('.'), /\. or \.\./);
  t.match(indexNameProblem('..'), /\. or \.\./);
  t.match(indexNameProblem('Logs'), /uppercase/);
  for (const c of ['\\', '/', '*', '?', '"', '<', '>', '|', ' ', ',', '#', ':']) t.match(indexNameProblem(`a${c}b`), /one of/, JSON.stringify(c));
  for (const c of ['-', '_', '+']) t.match(indexNameProblem(`${c}ab`), /starts with/);
  t.match(indexNameProblem('a'.repeat(256)), /255/);
});

t.test('date patterns', async (t) => {
  const at = Date.UTC(2026, 0, 2, 3, 4, 5);
  const cases: Array<[string, string]> = [
    ['logs', 'logs'],
    ['logs-%Y.%m.%d', 'logs-2026.01.02'],
    ['logs-%Y-%m-%d-%H', 'logs-2026-01-02-03'],
    ['%Y%m', '202601'],
    ['pct-%%-%Y', 'pct-%-2026'],
  ];
  for (const [p, want] of cases) t.equal(new IndexNamer(p).format(at), want, p);
  t.equal(new IndexNamer('logs').dated, false);
  t.equal(new IndexNamer('l-%d').dated, true);
  t.equal(new IndexNamer('l-%H').format(Date.UTC(2026, 11, 31, 23, 59)), 'l-23', 'UTC hours');
  t.throws(() => new IndexNamer('logs-%j'), /unknown date field %j/);
  t.throws(() => new IndexNamer('Logs-%Y'), /uppercase/);
  t.throws(() => new IndexNamer('-%Y'), /starts with/);
  t.throws(() => new IndexNamer(''), /empty/);
});
