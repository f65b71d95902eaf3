// RFC 3339 date-time checks, without a network: the rules by example, then
// every one-character edit of a few valid stamps held to ajv-formats, which
// the events API used before and whose answers clients may rely on.
import t from 'tap';
import { isRfc3339DateTime } from '../../src/http/date-time';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ajvCompiler = require('@fastify/ajv-compiler') as () => (ext: object, opts: object) => (r: { schema: object }) => (data: unknown) => boolean;
const ajvDateTime = ajvCompiler()({}, { customOptions: {} })({ schema: { type: 'string', format: 'date-time' } });

t.test('the rules by example', async (t) => {
  const yes = [
    '2026-11-22T03:00:00Z', '2026-11-22t03:00:00.123456z', '2026-11-22 03:00:00+01:00', '2026-11-22T03:00:00-0530', '2026-11-22T03:00:00+05',
    '2024-02-29T00:00:00Z', '2000-02-29T00:00:00Z', '2016-12-31T23:59:60Z', '2016-12-31T18:59:60-05:00', '2017-01-01T00:59:60+01:00',
  ];
  const no = [
    '2023-02-29T00:00:00Z', '1900-02-29T00:00:00Z', '2026-04-31T00:00:00Z', '2026-13-01T00:00:00Z', '2026-01-00T00:00:00Z',
    '2026-11-22T24:00:00Z', '2026-11-22T03:60:00Z', '2026-11-22T03:00:60Z', '2026-11-22T23:59:61Z', '2016-12-31T23:59:60+01:00',
    '2026-11-22T03:00:00', '2026-11-22T03:00:00+24:00', '2026-11-22T03:00:00+01:60', '2026-11-22', '2026-11-22TT03:00:00Z',
    '2026-11-22T3:00:00Z', '2026-11-22T03:00:00.Z', '2026-11-22T03:00:00,5Z', ' 2026-11-22T03:00:00Z', '', '+002026-11-22T03:00:00Z',
  ];
  for (const s of yes) t.ok(isRfc3339DateTime(s), `valid: ${s}`);
  for (const s of no) t.notOk(isRfc3339DateTime(s), `invalid: ${JSON.stringify(s)}`);
});

t.test('every one-character edit of valid stamps answers as ajv-formats does', async (t) => {
  const seeds = ['2024-02-29T23:59:60.5+00:00', '2016-12-31 18:59:60-0500', '1999-12-31t00:00:00z'];
  const alphabet = '0123456789-+:.TtZz \t\n\u00a0\u2028\u3000xé';
  let n = 0;
  let valid = 0;
  for (const seed of seeds) {
    for (let i = 0; i <= seed.length; i++) {
      const edits = [seed.slice(0, i) + seed.slice(i + 1)];
      for (const ch of alphabet) edits.push(seed.slice(0, i) + ch + seed.slice(i + 1), seed.slice(0, i) + ch + seed.slice(i));
      for (const s of edits) {
        n++;
        const want = ajvDateTime(s);
        if (want) valid++;
        if (isRfc3339DateTime(s) !== want) {
          t.equal(isRfc3339DateTime(s), want, JSON.stringify(s));
          return;
        }
      }
    }
  }
  t.ok(valid > 50 && n - valid > 500, `${n} strings, ${valid} valid`);
});
