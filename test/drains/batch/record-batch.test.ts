import t from 'tap';
import { batchOf, pickRecords, recordStart, splitBatch, type RecordBatch } from '../../../src/drains/batch/record-batch';

const records = (b: RecordBatch): string[] => {
  const out: string[] = [];
  for (let i = 0; i < b.count; i++) out.push(b.buf.toString('utf8', recordStart(b, i), b.ends[i]));
  return out;
};

t.test('batchOf lays records back to back', async (t) => {
  const b = batchOf(['a', 'bb', 'ccc'].map((s) => Buffer.from(s)));
  t.same(Array.from(b.ends), [1, 3, 6]);
  t.equal(b.bytes, 6);
  t.same(records(b), ['a', 'bb', 'ccc']);
  t.match(b.id, /^[0-9a-f-]{36}$/);
  t.equal(b.failures, 0);
});

t.test('splitBatch: halves with new ids, failures kept', async (t) => {
  for (const n of [2, 3, 5, 8]) {
    const src = Array.from({ length: n }, (_, i) => Buffer.from(`m${i}-${'x'.repeat(i)}`));
    const b = batchOf(src);
    b.failures = 2;
    const [l, r] = splitBatch(b);
    t.equal(l.count + r.count, n);
    t.equal(l.count, n >>> 1);
    t.same([...records(l), ...records(r)], src.map(String), `${n}: same records, same order`);
    t.equal(l.bytes + r.bytes, b.bytes);
    t.not(l.id, b.id);
    t.not(r.id, b.id);
    t.not(l.id, r.id);
    t.equal(l.failures, 2);
    t.equal(r.failures, 2);
  }
});

t.test('pickRecords copies the chosen records in the given order', async (t) => {
  const b = batchOf(['zero', 'one', 'two', 'three'].map((s) => Buffer.from(s)));
  b.failures = 1;
  const p = pickRecords(b, [1, 3]);
  t.same(records(p), ['one', 'three']);
  t.equal(p.bytes, 8);
  t.equal(p.failures, 1);
  t.same(records(pickRecords(b, [])), []);
});
