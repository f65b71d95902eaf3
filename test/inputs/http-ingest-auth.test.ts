// Which token an Authorization header carries, with no network.
import t from 'tap';
import { ingestAuth, ingestCredential } from '../../src/inputs/http-ingest-auth';

const basic = (s: string): string => 'Basic ' + Buffer.from(s).toString('base64');

t.test('Bearer and Basic (token as user, password ignored)', async (t) => {
  const cases: Array<[string | undefined, string | undefined]> = [
    [undefined, undefined],
    ['', undefined],
    ['Bearer s3cret', 's3cret'],
    ['bearer   s3cret  ', 's3cret'],
    [basic('s3cret:whatever'), 's3cret'],
    [basic('s3cret:'), 's3cret'],
    [basic('s3cret'), 's3cret'],
    [basic(':s3cret'), undefined],
    ['Basic', undefined],
    ['Digest username="x"', undefined],
    ['Bearer two words', undefined],
  ];
  for (const [header, want] of cases) t.equal(ingestCredential(header), want, JSON.stringify(header));
});

t.test('no token configured: no hook', async (t) => {
  t.equal(ingestAuth(null), null);
  t.equal(ingestAuth(''), null);
  t.type(ingestAuth('x'), 'function');
});
