// logplex frames and headers, byte for byte.
import t from 'tap';
import { batchOf, splitBatch } from '../../../src/drains/batch/record-batch';
import { encodeLogplex, encodeLogplexBody, LOGPLEX_CONTENT_TYPE } from '../../../src/drains/logplex/encoder';

t.test('octet-counted frames of the raw bytes, back to back', async (t) => {
  const a = '<190>1 2026-11-22T00:00:00+00:00 host app web.1 - State changed';
  const b = '<14>1 - h a - - - é'; // 2-byte character: the count is bytes
  const body = encodeLogplexBody(batchOf([Buffer.from(a), Buffer.from(b)]));
  t.equal(body.toString(), `${Buffer.byteLength(a)} ${a}${Buffer.byteLength(b)} ${b}`);
  t.equal(Buffer.byteLength(b), 20);
  t.match(body.toString(), /20 <14>1 - h a - - - é$/);
});

t.test('frame lengths across digit boundaries', async (t) => {
  for (const n of [1, 9, 10, 99, 100, 999, 1000, 65536]) {
    const m = Buffer.alloc(n, 0x61);
    const body = encodeLogplexBody(batchOf([m]));
    t.equal(body.length, String(n).length + 1 + n, `${n}`);
    t.equal(body.toString('latin1', 0, String(n).length + 1), `${n} `);
  }
  t.equal(encodeLogplexBody(batchOf([])).length, 0);
});

t.test('headers: content type, count, frame id, drain token', async (t) => {
  const batch = batchOf(['<14>1 - h a - - - 1', '<14>1 - h a - - - 2', '<14>1 - h a - - - 3'].map((s) => Buffer.from(s)));
  const r = encodeLogplex(batch, 'd.token');
  t.same(r.headers, {
    'content-type': LOGPLEX_CONTENT_TYPE,
    'logplex-msg-count': '3',
    'logplex-frame-id': batch.id,
    'logplex-drain-token': 'd.token',
  });
  t.equal(LOGPLEX_CONTENT_TYPE, 'application/logplex-1');
  t.same(encodeLogplex(batch, 'd.token'), r, 'pure: the same request on every retry');
  const [l, rr] = splitBatch(batch);
  t.equal(encodeLogplex(l, 'd.token').headers['logplex-msg-count'], '1');
  t.equal(encodeLogplex(rr, 'd.token').headers['logplex-msg-count'], '2');
  t.not(encodeLogplex(l, 'd.token').headers['logplex-frame-id'], r.headers['logplex-frame-id']);
  t.equal(Buffer.concat([encodeLogplexBody(l), encodeLogplexBody(rr)]).toString(), r.body.toString(), 'halves carry the same frames');
});
