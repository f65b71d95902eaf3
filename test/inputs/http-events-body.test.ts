// JSON events → RFC 5424 fields, with no network: tags, names, times, NDJSON.
import t from 'tap';
import { eventFields, parseNdjson, splitTag } from '../../src/inputs/http-events-body';
import { encode5424 } from '../../src/syslog/encode';

const NOW = new Date('2026-11-22T03:00:00.000Z');

t.test('tags become APP-NAME and PROCID', async (t) => {
  const cases: Array<[string, string, string | null]> = [
    ['app[123]', 'app', '123'],
    ['sshd[812]:', 'sshd', '812'],
    ['web.1', 'app', 'web.1'],
    ['worker-fast.12', 'app', 'worker-fast.12'],
    ['nginx', 'nginx', null],
    ['cron:', 'cron', null],
    ['my.service', 'my.service', null],
    ['a[b', 'a[b', null],
    ['[1]', '[1]', null],
  ];
  for (const [tag, appName, procId] of cases) t.same(splitTag(tag), { appName, procId }, tag);
});

t.test('an event encodes as RFC 5424 with defaults user.info and now', async (t) => {
  const f = eventFields({ hostname: 'api-prod', tag: 'web.1', message: 'GET / 200' }, NOW);
  t.not(typeof f, 'string');
  t.equal(encode5424(f as Exclude<typeof f, string>).toString(), '<14>1 2026-11-22T03:00:00.000Z api-prod app web.1 - - GET / 200');
});

t.test('severity and facility as numbers or names; time as RFC 3339 or epoch ms', async (t) => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ severity: 'err', facility: 'local0' }, '<131>1 2026-11-22T03:00:00.000Z'],
    [{ severity: 3, facility: 16 }, '<131>1 2026-11-22T03:00:00.000Z'],
    [{ severity: 'warning', facility: 'kern' }, '<4>1 2026-11-22T03:00:00.000Z'],
    [{ severity: 'debug', facility: 'local7', time: '2026-01-02T03:04:05+02:00' }, '<191>1 2026-01-02T01:04:05.000Z'],
    [{ time: 1700000000000 }, '<14>1 2023-11-14T22:13:20.000Z'],
  ];
  for (const [extra, head] of cases) {
    const f = eventFields({ hostname: 'h', tag: 'x[1]', message: 'm', ...(extra as object) }, NOW);
    t.equal(encode5424(f as Exclude<typeof f, string>).toString(), `${head} h x 1 - - m`, JSON.stringify(extra));
  }
});

t.test('a time that is no instant is refused by name', async (t) => {
  t.match(eventFields({ hostname: 'h', tag: 't', message: 'm', time: 8.64e15 + 1 }, NOW), /time 8640000000000001 is not/);
});

t.test('hostname and message are written as the encoder sanitises them', async (t) => {
  const f = eventFields({ hostname: 'bad host', tag: 'my app', message: 'ünïcode\nline' }, NOW);
  t.equal(encode5424(f as Exclude<typeof f, string>).toString(), '<14>1 2026-11-22T03:00:00.000Z bad_host my_app - - - ünïcode\nline');
});

t.test('NDJSON: one value per line, blank lines skipped, the bad line named', async (t) => {
  t.same(parseNdjson('{"a":1}\n\n{"a":2}\r\n  {"a":3}  \n'), [{ a: 1 }, { a: 2 }, { a: 3 }]);
  t.same(parseNdjson(''), []);
  t.throws(() => parseNdjson('{"a":1}\n{"a":\n{"a":3}'), /NDJSON line 2 is not valid JSON/);
});
