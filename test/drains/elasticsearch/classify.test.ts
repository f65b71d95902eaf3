// Reading _bulk answers: statuses, errors flag, per-item results.
import t from 'tap';
import { batchOf } from '../../../src/drains/batch/record-batch';
import { classifyBulk } from '../../../src/drains/elasticsearch/classify';

const NOW = Date.UTC(2026, 10, 22);
const batch = (n: number) => batchOf(Array.from({ length: n }, (_, i) => Buffer.from(`<14>1 - h a - - - ${i}`)));
const res = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
  status,
  headers,
  body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
});
const item = (status: number, error?: { type: string; reason: string }) => ({ create: { _index: 'x', status, ...(error ? { error } : {}) } });

t.test('non-2xx: the shared status rules', async (t) => {
  t.same(classifyBulk(res(429, '', { 'retry-after': '2' }), batch(2), NOW), { kind: 'retry', afterMs: 2000, why: 'HTTP 429' });
  t.equal(classifyBulk(res(503, ''), batch(2), NOW).kind, 'retry');
  t.equal(classifyBulk(res(413, ''), batch(2), NOW).kind, 'split');
  t.equal(classifyBulk(res(401, ''), batch(2), NOW).kind, 'drop');
  t.equal(classifyBulk(res(400, { error: 'bad' }), batch(2), NOW).kind, 'drop');
});

t.test('errors:false is ok whatever the items say', async (t) => {
  t.same(classifyBulk(res(200, { took: 3, errors: false, items: [item(201), item(201)] }), batch(2), NOW), { kind: 'ok' });
  t.same(classifyBulk(res(200, { errors: false }), batch(2), NOW), { kind: 'ok' }, 'filter_path may leave only the flag');
});

t.test('errors:true: 429/5xx items retried alone, other failures dropped with their reason', async (t) => {
  const body = {
    errors: true,
    items: [
      item(201),
      item(429, { type: 'es_rejected_execution_exception', reason: 'queue full' }),
      item(400, { type: 'mapper_parsing_exception', reason: 'failed to parse field [severity]' }),
      item(201),
      item(503, { type: 'unavailable_shards_exception', reason: 'primary shard is not active' }),
      item(409, { type: 'version_conflict_engine_exception', reason: 'exists' }),
    ],
  };
  const o = classifyBulk(res(200, body), batch(6), NOW);
  t.same(o, {
    kind: 'partial',
    retry: [1, 4],
    drop: [
      { index: 2, why: '400 mapper_parsing_exception: failed to parse field [severity]' },
      { index: 5, why: '409 version_conflict_engine_exception: exists' },
    ],
    why: '400 mapper_parsing_exception: failed to parse field [severity]',
  });
});

t.test('errors:true with only retryable items', async (t) => {
  const o = classifyBulk(res(200, { errors: true, items: [item(201), item(429, { type: 'es_rejected_execution_exception', reason: 'busy' })] }), batch(2), NOW);
  t.same(o, { kind: 'partial', retry: [1], drop: [], why: '429 es_rejected_execution_exception: busy' });
});

t.test('other action names and a string error', async (t) => {
  const o = classifyBulk(res(200, { errors: true, items: [{ index: { status: 400, error: 'bad doc' } }, { index: { status: 200 } }] }), batch(2), NOW);
  t.same(o, { kind: 'partial', retry: [], drop: [{ index: 0, why: '400 bad doc' }], why: '400 bad doc' });
});

t.test('errors:true but every item fine', async (t) => {
  t.same(classifyBulk(res(200, { errors: true, items: [item(201), item(200)] }), batch(2), NOW), { kind: 'ok' });
});

t.test('answers we cannot read are retried whole', async (t) => {
  t.match(classifyBulk(res(200, '<html>proxy</html>'), batch(2), NOW), { kind: 'retry', why: /not JSON/ });
  t.match(classifyBulk(res(200, 'null'), batch(2), NOW), { kind: 'retry' });
  t.match(classifyBulk(res(200, { errors: true }), batch(2), NOW), { kind: 'retry', why: /no items for 2/ });
  t.match(classifyBulk(res(200, { errors: true, items: [item(400)] }), batch(2), NOW), { kind: 'retry', why: /1 items for 2/ });
  t.match(classifyBulk(res(200, { errors: true, items: [item(201), {}] }), batch(2), NOW), { kind: 'partial', drop: [{ index: 1, why: 'item status missing' }] });
});
