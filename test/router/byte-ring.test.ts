// ByteRing without any network: wrap-around, growth, trim, drop-oldest,
// shiftInto with ends, and long random operation sequences checked against a
// plain array of Buffers (the model).
import t from 'tap';
import { ByteRing } from '../../src/router/byte-ring';

const rec = (i: number, len: number): Buffer => {
  const b = Buffer.allocUnsafe(len);
  for (let k = 0; k < len; k++) b[k] = (i * 31 + k) & 0xff;
  return b;
};

const drainAll = (r: ByteRing): Buffer[] => {
  const out: Buffer[] = [];
  const buf = Buffer.alloc(r.maxBytes);
  const ends = new Uint32Array(64);
  while (r.count > 0) {
    const n = r.shiftInto(buf, 64, ends);
    if (n === 0) throw new Error('shiftInto moved nothing from a non-empty ring');
    let s = 0;
    for (let i = 0; i < n; i++) {
      out.push(Buffer.from(buf.subarray(s, ends[i])));
      s = ends[i];
    }
  }
  return out;
};

t.test('allocates nothing until the first record, and trim gives the memory back', async (t) => {
  const r = new ByteRing(1 << 20, 1000, 1024);
  t.equal(r.capacity, 0);
  t.ok(r.push(Buffer.from('hello'), 0, 5));
  t.equal(r.buf.length, 1024, 'the initial size');
  t.ok(r.capacity >= 1024);
  r.trim();
  t.equal(r.buf.length, 1024, 'a non-empty ring keeps its buffer');
  t.equal(r.dropOldest(), 5);
  t.equal(r.dropOldest(), -1, 'empty');
  r.trim();
  t.equal(r.capacity, 0);
  t.equal(r.count, 0);
  t.equal(r.bytes, 0);
  t.equal(r.peekLength(), -1);
});

t.test('wrap-around keeps records whole and in order', async (t) => {
  // Capacity fixed at 256 bytes (initial = max), records of 40 bytes (+4 header).
  const r = new ByteRing(256, 1000, 256);
  const model: Buffer[] = [];
  let next = 0;
  const out = Buffer.alloc(256);
  for (let round = 0; round < 50; round++) {
    while (r.fits(40)) {
      const b = rec(next++, 40);
      t.ok(r.push(b, 0, b.length));
      model.push(b);
    }
    if (r.buf.length > 256) t.fail('grew beyond maxBytes');
    // Take two, so the next pushes wrap.
    const n = r.shiftInto(out, 2, null);
    t.equal(n, 2);
    t.same(out.subarray(0, 80), Buffer.concat(model.splice(0, 2)));
  }
  t.same(drainAll(r), model);
});

t.test('a record that does not fit at the end wraps to the start (and is read from there)', async (t) => {
  const r = new ByteRing(100, 100, 100);
  // Fill with 26-byte records, free the two oldest: the end has less than
  // 26 bytes left, the start has more, so the next ones go to the start.
  const model: Buffer[] = [];
  for (let i = 0; r.fits(26); i++) {
    t.ok(r.push(rec(i, 26), 0, 26));
    model.push(rec(i, 26));
  }
  t.equal(model.length, 3, 'three fit in 100 bytes');
  t.equal(r.dropOldest(), 26);
  t.equal(r.dropOldest(), 26);
  model.splice(0, 2);
  for (let i = 10; r.fits(20); i++) {
    t.ok(r.push(rec(i, 20), 0, 20));
    model.push(rec(i, 20));
  }
  t.ok(model.length >= 3, 'at least two 20-byte records went in after the wrap');
  t.equal(r.buf.length, 100);
  t.same(drainAll(r), model);
});

t.test('grows by doubling up to maxBytes, keeping order across a wrapped layout', async (t) => {
  const r = new ByteRing(4096, 10_000, 128);
  const model: Buffer[] = [];
  // Wrap first at 128 bytes, then grow.
  for (let i = 0; i < 4; i++) {
    const b = rec(i, 20);
    r.push(b, 0, 20);
    model.push(b);
  }
  r.dropOldest();
  r.dropOldest();
  model.splice(0, 2);
  let i = 4;
  const sizes = new Set<number>();
  while (r.fits(20)) {
    const b = rec(i++, 20);
    t.ok(r.push(b, 0, 20));
    model.push(b);
    sizes.add(r.buf.length);
  }
  t.same([...sizes].sort((a, b) => a - b), [128, 256, 512, 1024, 2048, 4096]);
  t.equal(r.count, model.length);
  t.ok(r.bytes <= 4096);
  t.same(drainAll(r), model);
});

t.test('count limit and byte limit both refuse', async (t) => {
  const r = new ByteRing(1 << 16, 3);
  for (let i = 0; i < 3; i++) t.ok(r.push(rec(i, 10), 0, 10));
  t.notOk(r.fits(1));
  t.notOk(r.push(rec(9, 1), 0, 1));
  t.equal(r.alloc(1), -1);
  t.equal(r.count, 3);
  const small = new ByteRing(64, 1000, 64);
  t.notOk(small.canEverHold(65));
  t.ok(small.canEverHold(10));
  t.notOk(small.push(rec(0, 100), 0, 100));
  t.equal(small.count, 0);
});

t.test('a record that canEverHold() accepts can always be allocated in an empty ring', async (t) => {
  for (const max of [64, 100, 1000, 4096]) {
    for (let n = 1; n <= max; n++) {
      if (!new ByteRing(max, 10, 16).canEverHold(n)) continue;
      const r = new ByteRing(max, 10, 16);
      if (r.alloc(n) < 0) {
        t.fail(`ring of ${max} bytes: canEverHold(${n}) but alloc failed`);
        return;
      }
    }
  }
  t.pass('consistent');
});

t.test('shiftInto fills ends, stops at out size, and moves a first record alone if it fits', async (t) => {
  const r = new ByteRing(1 << 16, 1000);
  const lens = [5, 7, 11, 13, 17];
  lens.forEach((n, i) => r.push(rec(i, n), 0, n));
  const out = Buffer.alloc(20);
  const ends = new Uint32Array(10);
  t.equal(r.shiftInto(out, 10, ends), 2, '5 + 7 fit, +11 would not');
  t.same([...ends.subarray(0, 2)], [5, 12]);
  t.equal(r.lastShiftBytes, 12);
  t.same(out.subarray(0, 12), Buffer.concat([rec(0, 5), rec(1, 7)]));
  t.equal(r.shiftInto(out, 1, ends), 1, 'maxCount respected');
  t.equal(ends[0], 11);
  const tiny = Buffer.alloc(10);
  t.equal(r.shiftInto(tiny, 10, ends), 0, 'a record larger than out stays');
  t.equal(r.count, 2);
  t.equal(r.shiftInto(out, 10, new Uint32Array(1)), 1, 'ends length caps the count');
  t.equal(r.peekLength(), 17);
});

t.test('random operations agree with an array model', async (t) => {
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  for (let trial = 0; trial < 40; trial++) {
    const maxBytes = 64 + rand(4000);
    const maxCount = 1 + rand(200);
    const r = new ByteRing(maxBytes, maxCount, 16 + rand(256));
    const model: Buffer[] = [];
    let id = 0;
    for (let op = 0; op < 3000; op++) {
      const what = rand(10);
      if (what < 5) {
        const len = rand(Math.min(300, maxBytes));
        const b = rec(id++, len);
        const fits = r.fits(len);
        const ok = r.push(b, 0, len);
        if (fits && !ok) throw new Error(`trial ${trial} op ${op}: fits() said yes, push failed`);
        if (ok) model.push(b);
      } else if (what < 7) {
        const n = r.dropOldest();
        const m = model.shift();
        if (n !== (m ? m.length : -1)) throw new Error(`trial ${trial} op ${op}: dropOldest ${n} vs model ${m?.length}`);
      } else if (what < 9) {
        const out = Buffer.alloc(rand(600) + 1);
        const ends = new Uint32Array(rand(8) + 1);
        const n = r.shiftInto(out, 100, ends);
        let s = 0;
        for (let i = 0; i < n; i++) {
          const m = model.shift()!;
          if (!m || !out.subarray(s, ends[i]).equals(m)) throw new Error(`trial ${trial} op ${op}: shifted record ${i} differs`);
          s = ends[i];
        }
        if (n === 0 && model.length > 0 && model[0].length <= out.length && ends.length > 0) throw new Error(`trial ${trial} op ${op}: nothing shifted though the oldest fits`);
      } else {
        r.trim();
      }
      if (r.count !== model.length) throw new Error(`trial ${trial} op ${op}: count ${r.count} vs ${model.length}`);
      const bytes = model.reduce((a, b) => a + b.length, 0);
      if (r.bytes !== bytes) throw new Error(`trial ${trial} op ${op}: bytes ${r.bytes} vs ${bytes}`);
      if (r.buf.length > r.maxBytes) throw new Error(`data buffer ${r.buf.length} above max ${r.maxBytes}`);
      if (r.count > maxCount) throw new Error('count above maxCount');
    }
    const rest = drainAll(r);
    if (rest.length !== model.length || rest.some((b, i) => !b.equals(model[i]))) throw new Error(`trial ${trial}: final contents differ`);
  }
  t.pass('40 trials × 3000 operations agree with the model');
});

t.test('appendAtTail: only right after the newest record, never growing or wrapping; retractTail takes it back', async (t) => {
  const r = new ByteRing(256, 6, 256);
  t.equal(r.appendAtTail(10), -1, 'an empty ring has no newest record to follow');
  t.equal(r.alloc(100), 0);
  t.equal(r.appendAtTail(100), 100, 'right after the newest');
  t.equal(r.appendAtTail(57), -1, 'would pass the end of the buffer: alloc() wraps or grows, not this');
  t.equal(r.count, 2, 'nothing reserved by the refusal');
  t.equal(r.appendAtTail(56), 200, 'fits exactly');
  r.retractTail(56);
  t.equal(r.count, 2);
  t.equal(r.bytes, 200);
  t.equal(r.alloc(56), 200, 'the tail is back where it was');
  t.equal(r.dropOldest(), 100);
  t.equal(r.alloc(50), 0, 'wraps to the start');
  t.equal(r.appendAtTail(50), 50, 'after the wrapped record');
  t.equal(r.appendAtTail(1), -1, 'would overrun the oldest record (head at 100)');
  t.equal(r.alloc(0), 100, 'a zero-length record still fits before the head');
  t.equal(r.appendAtTail(0), 100);
  t.equal(r.appendAtTail(0), -1, 'count limit (6)');
  t.equal(r.count, 6);
});

t.test('random alloc / appendAtTail / retractTail / dropOldest / shiftInto agree with an array model', async (t) => {
  let seed = 777;
  const rand = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  let appended = 0;
  for (let trial = 0; trial < 40; trial++) {
    const maxBytes = 64 + rand(4000);
    const r = new ByteRing(maxBytes, 1 + rand(200), 16 + rand(256));
    const model: Buffer[] = [];
    let newestEnd = -1; // end offset of the newest record, when known
    let id = 0;
    for (let op = 0; op < 3000; op++) {
      const what = rand(10);
      const len = rand(Math.min(300, maxBytes));
      if (what < 3) {
        const at = r.alloc(len);
        if (at >= 0) {
          rec(id, len).copy(r.buf, at);
          model.push(rec(id++, len));
          newestEnd = at + len;
        }
      } else if (what < 6) {
        const at = r.appendAtTail(len);
        if (at >= 0) {
          if (at !== newestEnd) throw new Error(`trial ${trial} op ${op}: appended at ${at}, newest record ends at ${newestEnd}`);
          appended++;
          const b = rec(id++, len);
          if (rand(4) === 0) {
            r.retractTail(len);
          } else {
            b.copy(r.buf, at);
            model.push(b);
            newestEnd = at + len;
          }
        }
      } else if (what < 7) {
        const n = r.dropOldest();
        const m = model.shift();
        if (n !== (m ? m.length : -1)) throw new Error(`trial ${trial} op ${op}: dropOldest ${n} vs model ${m?.length}`);
      } else {
        const out = Buffer.alloc(rand(600) + 1);
        const ends = new Uint32Array(rand(8) + 1);
        const n = r.shiftInto(out, 100, ends);
        for (let i = 0, s = 0; i < n; s = ends[i++]) {
          if (!out.subarray(s, ends[i]).equals(model.shift()!)) throw new Error(`trial ${trial} op ${op}: shifted record ${i} differs`);
        }
      }
      if (r.count === 0) newestEnd = -1;
      if (r.count !== model.length) throw new Error(`trial ${trial} op ${op}: count ${r.count} vs ${model.length}`);
      if (r.bytes !== model.reduce((a, b) => a + b.length, 0)) throw new Error(`trial ${trial} op ${op}: bytes differ`);
    }
    const rest = drainAll(r);
    if (rest.length !== model.length || rest.some((b, i) => !b.equals(model[i]))) throw new Error(`trial ${trial}: final contents differ`);
  }
  t.ok(appended > 10000, `appendAtTail succeeded ${appended} times over 40 trials × 3000 operations, all in agreement`);
});
