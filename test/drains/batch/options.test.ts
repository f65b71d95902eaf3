// URL parsing for every HTTP-family scheme and alias, and the batch
// parameters they share, through the real registry (parseDrainUrl).
import t from 'tap';
import '../../../src/drains';
import { BATCH_DEFAULTS } from '../../../src/drains/batch/options';
import { parseDrainUrl } from '../../../src/drains/url';

const opts = (url: string): any => parseDrainUrl(url).options;

t.test('every scheme and alias maps to its kind, origin and path', async (t) => {
  const cases: Array<[string, string, string, string]> = [
    ['http://h:8080/in', 'http', 'http://h:8080', '/in'],
    ['https://h/in', 'http', 'https://h', '/in'],
    ['https://h', 'http', 'https://h', '/'],
    ['syslog+http://h:9000/syslog', 'logplex', 'http://h:9000', '/syslog'],
    ['syslog+https://h/', 'logplex', 'https://h', '/'],
    ['syslog+https://h', 'logplex', 'https://h', '/'],
    ['es://h:9200', 'elasticsearch', 'https://h:9200', '/_bulk'],
    ['es+https://h', 'elasticsearch', 'https://h', '/_bulk'],
    ['es+http://h:9200/', 'elasticsearch', 'http://h:9200', '/_bulk'],
    ['elasticsearch://h', 'elasticsearch', 'https://h', '/_bulk'],
    ['elasticsearch+http://h/base', 'elasticsearch', 'http://h', '/base/_bulk'],
    ['elasticsearch+https://h/base/_bulk', 'elasticsearch', 'https://h', '/base/_bulk'],
  ];
  for (const [url, kind, origin, path] of cases) {
    const s = parseDrainUrl(url);
    t.equal(s.kind, kind, `${url}: kind`);
    t.equal(opts(url).target.origin, origin, `${url}: origin`);
    t.equal(opts(url).target.path.split('?')[0], path, `${url}: path`);
  }
  t.match(opts('es://h').target.path, /\?filter_path=errors,items\.\*\.status/, 'ES asks only for what it reads');
});

t.test('defaults and overrides of the batch parameters', async (t) => {
  const d = opts('https://h/');
  t.same(d.batch, { ...BATCH_DEFAULTS, timeoutMs: null, gzip: false, insecure: false });
  const o = opts(
    'https://h/?batch_size=10&batch_bytes=2048&batch_wait=0&concurrency=2&timeout=1500&retries=0&backoff_min=5&backoff_max=50&gzip=true&insecure=true',
  );
  t.same(o.batch, {
    batchSize: 10,
    batchBytes: 2048,
    batchWaitMs: 0,
    concurrency: 2,
    timeoutMs: 1500,
    retries: 0,
    backoffMinMs: 5,
    backoffMaxMs: 50,
    gzip: true,
    insecure: true,
  });
  // common params still work
  const s = parseDrainUrl('syslog+https://h/?name=mine&policy=block&buffer_messages=10');
  t.equal(s.label, 'mine');
  t.same(s.buffer, { policy: 'block', messages: 10 });
});

t.test('bad parameters are refused with SY_ERR_DRAIN_URL naming them', async (t) => {
  const bad: Array<[string, RegExp]> = [
    ['https://h/?batch_size=0', /batch_size/],
    ['https://h/?batch_size=x', /batch_size/],
    ['https://h/?batch_size=', /batch_size/],
    ['https://h/?batch_bytes=10', /batch_bytes/],
    ['https://h/?batch_wait=-1', /batch_wait/],
    ['https://h/?concurrency=0', /concurrency/],
    ['https://h/?concurrency=1000', /concurrency/],
    ['https://h/?timeout=0', /timeout/],
    ['https://h/?retries=1.5', /retries/],
    ['https://h/?backoff_min=100&backoff_max=10', /backoff_max/],
    ['https://h/?gzip=maybe', /gzip/],
    ['https://h/?insecure=yes', /insecure/],
    ['https://h/?token=abc', /unknown parameter "token"/],
    ['https://h/?index=x', /unknown parameter "index"/],
    ['syslog+https://h/?auth=basic', /unknown parameter "auth"/],
    ['syslog+https://h/?token=', /token/],
    ['syslog+https://h/?token=a%20b', /token/],
    ['es://h/?auth=digest', /auth must be/],
    ['es://h/?auth=bearer', /auth needs user:password/],
    ['es://h/?index=Logs', /uppercase/],
    ['es://h/?index=a%2Fb', /\\ \/ \*/],
    ['es://h/?index=_x', /starts with/],
    ['es://h/?index=logs-%25q', /unknown date field %q/],
    ['es://h/?index=logs-%25', /unknown date field/],
    ['es://h/?framing=lf', /unknown parameter "framing"/],
    ['syslog+https://:99/', /host|URL/],
    ['https://h:70000/', /URL/],
  ];
  for (const [url, re] of bad) {
    t.throws(() => parseDrainUrl(url), { code: 'SY_ERR_DRAIN_URL', message: re }, url);
  }
});

t.test('credentials: Basic by default, never in the label; ES bearer and apikey', async (t) => {
  for (const url of ['https://u:p%40ss@h/x', 'syslog+https://u:p%40ss@h/x', 'es+https://u:p%40ss@h', 'es://u:p%40ss@h?auth=basic']) {
    const s = parseDrainUrl(url);
    t.equal(s.options && (s.options as any).target.authorization, 'Basic ' + Buffer.from('u:p@ss').toString('base64'), url);
    t.notMatch(s.label, /p%40ss|p@ss|u:/, `${url}: label`);
    t.notMatch(s.masked, /p%40ss|p@ss/, `${url}: masked`);
  }
  t.equal(opts('es://:tok3n@h?auth=bearer').target.authorization, 'Bearer tok3n');
  t.equal(opts('es://id:key@h?auth=ApiKey').target.authorization, 'ApiKey ' + Buffer.from('id:key').toString('base64'));
  t.equal(opts('es://h').target.authorization, null);
  t.equal(opts('es://h').auth, 'none');
});

t.test('logplex drain token: param, or stable d.<uuid> per URL', async (t) => {
  t.equal(opts('syslog+https://h/?token=t.abc').token, 't.abc');
  const a = opts('syslog+https://h/a').token;
  t.match(a, /^d\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  t.equal(opts('syslog+https://h/a').token, a, 'stable');
  t.not(opts('syslog+https://h/b').token, a, 'per drain');
});

t.test('ES index parameter', async (t) => {
  t.equal(opts('es://h').index, null);
  t.equal(opts('es://h?index=logs').index.format(0), 'logs');
  t.equal(opts('es://h?index=logs-%25Y.%25m.%25d').index.format(Date.UTC(2026, 10, 2)), 'logs-2026.11.02');
});
