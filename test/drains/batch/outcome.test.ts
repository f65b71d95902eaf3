// The shared status rules and Retry-After, as a table.
import t from 'tap';
import { classifyStatus, MAX_RETRY_AFTER_MS, networkFailure, parseRetryAfter } from '../../../src/drains/batch/outcome';

const NOW = Date.UTC(2026, 10, 22, 3, 0, 0);

t.test('every status class', async (t) => {
  const cases: Array<[number, string]> = [
    [200, 'ok'],
    [201, 'ok'],
    [202, 'ok'],
    [204, 'ok'],
    [299, 'ok'],
    [100, 'drop'],
    [301, 'drop'],
    [302, 'drop'],
    [304, 'drop'],
    [400, 'drop'],
    [401, 'drop'],
    [403, 'drop'],
    [404, 'drop'],
    [409, 'drop'],
    [422, 'drop'],
    [408, 'retry'],
    [429, 'retry'],
    [413, 'split'],
    [500, 'retry'],
    [502, 'retry'],
    [503, 'retry'],
    [504, 'retry'],
    [599, 'retry'],
    [600, 'drop'],
  ];
  for (const [status, kind] of cases) t.equal(classifyStatus(status, undefined, NOW).kind, kind, `${status} → ${kind}`);
  const r = classifyStatus(503, undefined, NOW);
  t.same(r, { kind: 'retry', afterMs: null, why: 'HTTP 503' }, 'no Retry-After: the backoff decides');
  t.same(classifyStatus(404, undefined, NOW), { kind: 'drop', why: 'HTTP 404' });
});

t.test('Retry-After on retryable statuses', async (t) => {
  t.same(classifyStatus(429, '3', NOW), { kind: 'retry', afterMs: 3000, why: 'HTTP 429' });
  t.same(classifyStatus(503, 'Sun, 22 Nov 2026 03:00:05 GMT', NOW), { kind: 'retry', afterMs: 5000, why: 'HTTP 503' });
  t.same(classifyStatus(408, ['2', '9'], NOW), { kind: 'retry', afterMs: 2000, why: 'HTTP 408' });
});

t.test('Retry-After forms', async (t) => {
  const cases: Array<[string | undefined | null, number | null, string]> = [
    ['0', 0, 'zero seconds'],
    ['1', 1000, 'delay-seconds'],
    ['120', 120_000, 'two minutes'],
    [' 7 ', 7000, 'surrounding spaces'],
    ['Sun, 22 Nov 2026 03:00:10 GMT', 10_000, 'IMF-fixdate'],
    ['Sunday, 22-Nov-26 03:00:10 GMT', 10_000, 'obsolete RFC 850 date'],
    ['Sun Nov 22 03:00:10 2026', 10_000, 'asctime date (GMT)'],
    ['Sun, 22 Nov 2026 02:59:00 GMT', 0, 'a date in the past: at once'],
    ['99999999', MAX_RETRY_AFTER_MS, 'capped'],
    ['Mon, 22 Nov 2027 03:00:00 GMT', MAX_RETRY_AFTER_MS, 'a far date is capped'],
    ['-1', null, 'negative'],
    ['1.5', null, 'fraction'],
    ['soon', null, 'garbage'],
    ['', null, 'empty'],
    [undefined, null, 'absent'],
    [null, null, 'null'],
  ];
  for (const [v, want, name] of cases) {
    t.equal(parseRetryAfter(v, NOW), want, name);
  }
});

t.test('network failures are retried and described without secrets', async (t) => {
  const e = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  t.same(networkFailure(e), { kind: 'retry', afterMs: null, why: 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1' });
  t.equal(networkFailure('boom').kind, 'retry');
});
