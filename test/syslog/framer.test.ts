import t from 'tap';
import { StreamFramer, FrameHandler } from '../../src/syslog/framer';
import { FramingError } from '../../src/syslog/errors';

// Records what the framer delivers. Frames are copied: the framer's buffers
// are only valid during the call.
class Recorder implements FrameHandler {
  frames: string[] = [];
  oversize: number[] = [];
  stopAt = new Set<number>(); // frame indexes after which to return false
  onFrame(buf: Buffer, start: number, end: number): boolean {
    this.frames.push(buf.toString('latin1', start, end));
    return !this.stopAt.has(this.frames.length - 1);
  }
  onOversize(n: number): void {
    this.oversize.push(n);
  }
}

function octet(msg: string): string {
  return `${Buffer.byteLength(msg, 'latin1')} ${msg}`;
}

// Feeds `chunks`, resuming whenever the framer pauses; checks the memory bound
// after every push and returns the recorder.
function feed(t: { fail(msg: string): unknown } | null, maxFrame: number, chunks: Buffer[], rec = new Recorder()): Recorder {
  const f = new StreamFramer(maxFrame, rec);
  for (const c of chunks) {
    let ok = f.push(c);
    while (!ok) ok = f.resume();
    if (f.bufferedBytes > maxFrame + 1 && t) t.fail(`bufferedBytes ${f.bufferedBytes} above ${maxFrame + 1}`);
  }
  return rec;
}

function splitAt(b: Buffer, ...cuts: number[]): Buffer[] {
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of cuts) {
    out.push(b.subarray(prev, c));
    prev = c;
  }
  out.push(b.subarray(prev));
  return out;
}

// Each part: the bytes on the wire and the frame it must yield (null: none).
const parts: Array<[string, string | null]> = [
  [octet('<13>1 - host app - - - one'), '<13>1 - host app - - - one'],
  ['<13>Nov 22 02:30:00 host app: two\n', '<13>Nov 22 02:30:00 host app: two'],
  ['\n\r\0', null], // stray bytes between frames
  ['<14>three\r\n', '<14>three'],
  [octet('<15>1 - h a - - - has\nLF and\r\nCRLF inside') + '\n', '<15>1 - h a - - - has\nLF and\r\nCRLF inside'],
  [octet('<16>x'), '<16>x'],
  ['<17>\n', '<17>'],
  [octet('<18>' + 'y'.repeat(40)), '<18>' + 'y'.repeat(40)],
  ['<19>with \r inside\r\n', '<19>with \r inside'],
];
const wire = Buffer.from(parts.map((p) => p[0]).join(''), 'latin1');
const expected = parts.filter((p) => p[1] !== null).map((p) => p[1]);

t.test('mixed octet-counted and LF frames give the same frames however the stream is split', async (t) => {
  t.same(feed(t, 256, [wire]).frames, expected, 'one chunk');
  t.same(feed(t, 256, [...wire].map((b) => Buffer.from([b]))).frames, expected, '1-byte chunks');
  let bad = 0;
  for (let i = 0; i <= wire.length; i++) {
    const got = feed(t, 256, splitAt(wire, i)).frames;
    if (JSON.stringify(got) !== JSON.stringify(expected)) {
      bad++;
      if (bad < 3) t.same(got, expected, `split at ${i}`);
    }
  }
  t.equal(bad, 0, `all ${wire.length + 1} two-chunk splits agree`);
  bad = 0;
  let n = 0;
  for (let i = 0; i <= wire.length; i++) {
    for (let j = i; j <= wire.length; j++) {
      n++;
      const got = feed(t, 256, splitAt(wire, i, j)).frames;
      if (JSON.stringify(got) !== JSON.stringify(expected)) {
        bad++;
        if (bad < 3) t.same(got, expected, `split at ${i}, ${j}`);
      }
    }
  }
  t.equal(bad, 0, `all ${n} three-chunk splits agree`);
});

t.test('frames inside one chunk are views of it, not copies', async (t) => {
  const chunk = Buffer.from(octet('<13>abc') + '<13>def\n', 'latin1');
  const seen: Buffer[] = [];
  const f = new StreamFramer(100, { onFrame: (b) => (seen.push(b), true), onOversize: () => {} });
  f.push(chunk);
  t.equal(seen.length, 2);
  t.ok(seen.every((b) => b === chunk));
  t.equal(f.bufferedBytes, 0);
});

t.test('oversize octet-counted frames are skipped whole without buffering', async (t) => {
  const big = octet('<13>' + 'z'.repeat(5000));
  const b = Buffer.from(octet('<13>before') + big + octet('<13>after') + '<13>lf\n', 'latin1');
  const want = ['<13>before', '<13>after', '<13>lf'];
  for (const size of [1, 7, 100, 4096, b.length]) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < b.length; i += size) chunks.push(b.subarray(i, i + size));
    const rec = feed(t, 64, chunks);
    t.same(rec.frames, want, `chunks of ${size}`);
    t.same(rec.oversize, [5004], `declared length reported once (chunks of ${size})`);
  }
  // Memory: across the whole skipped frame nothing is held.
  const rec = new Recorder();
  const f = new StreamFramer(64, rec);
  let max = 0;
  for (let i = 0; i < b.length; i += 13) {
    f.push(b.subarray(i, i + 13));
    max = Math.max(max, f.bufferedBytes);
  }
  t.ok(max <= 65, `bufferedBytes peaked at ${max}`);
});

t.test('oversize LF frames are truncated to maxFrame, the rest discarded', async (t) => {
  const long = '<13>' + 'a'.repeat(30) + 'TAIL';
  const b = Buffer.from(long + '\r\n' + '<13>next\n' + octet('<13>oc'), 'latin1');
  const want = [long.slice(0, 20), '<13>next', '<13>oc'];
  for (let i = 0; i <= b.length; i++) {
    const rec = feed(t, 20, splitAt(b, i));
    if (JSON.stringify(rec.frames) !== JSON.stringify(want) || rec.oversize.length !== 1) {
      t.fail(`split at ${i}: ${JSON.stringify(rec.frames)} oversize ${rec.oversize}`);
      return;
    }
    t.ok(rec.oversize[0] > 20);
  }
  const rec = feed(t, 20, [...b].map((x) => Buffer.from([x])));
  t.same(rec.frames, want, '1-byte chunks');
  t.same(feed(t, 20, [b]).oversize, [38], 'whole line length reported when the line is in one chunk');
});

t.test('an LF frame of exactly maxFrame bytes is not oversize, even with CR split from LF', async (t) => {
  const msg = '<13>' + 'b'.repeat(16); // 20 bytes
  const b = Buffer.from(msg + '\r\n' + msg + '\n', 'latin1');
  for (let i = 0; i <= b.length; i++) {
    const rec = feed(t, 20, splitAt(b, i));
    t.same(rec.frames, [msg, msg], `split at ${i}`);
    t.same(rec.oversize, []);
  }
  const one = feed(t, 19, [b]);
  t.same(one.frames, [msg.slice(0, 19), msg.slice(0, 19)], 'one byte more than maxFrame is truncated');
  t.same(one.oversize, [20, 20]);
});

t.test('bytes that cannot start a frame throw FramingError', async (t) => {
  const cases: Array<[string, Buffer]> = [
    ['TLS ClientHello on a plain port', Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00])],
    ['letters', Buffer.from('hello world\n')],
    ['octet count with a leading zero', Buffer.from('012 <13>abcdefgh')],
    ['digits not followed by SP', Buffer.from('12<13>abcdefgh')],
    ['more than 9 digits', Buffer.from('1234567890 x')],
    ['garbage after a good frame', Buffer.from(octet('<13>ok') + '\x00\x00{json}')],
  ];
  for (const [name, b] of cases) {
    for (const chunks of [[b], [...b].map((x) => Buffer.from([x]))]) {
      const rec = new Recorder();
      const f = new StreamFramer(100, rec);
      let err: unknown = null;
      try {
        chunks.forEach((c) => f.push(c));
      } catch (e) {
        err = e;
      }
      t.ok(err instanceof FramingError && err.code === 'SY_ERR_FRAMING', `${name}: ${String(err)}`);
      t.throws(() => f.push(Buffer.from('<13>x\n')), { code: 'SY_ERR_FRAMING' }, `${name}: the framer stays failed`);
    }
  }
});

t.test('stop and resume keep the remainder and deliver the rest in order', async (t) => {
  for (let cut = 0; cut <= wire.length; cut++) {
    const rec = new Recorder();
    rec.stopAt = new Set([0, 2, 3]);
    const f = new StreamFramer(256, rec);
    const seenPauses: number[] = [];
    for (const c of splitAt(wire, cut)) {
      let ok = f.push(c);
      while (!ok) {
        t.equal(f.paused, true);
        seenPauses.push(rec.frames.length);
        ok = f.resume();
      }
      t.equal(f.paused, false);
    }
    if (JSON.stringify(rec.frames) !== JSON.stringify(expected)) t.fail(`cut ${cut}: ${JSON.stringify(rec.frames)}`);
    t.same(seenPauses, [1, 3, 4], `cut ${cut}: paused right after each stopping frame`);
  }
});

t.test('the remainder is counted while paused and chunks pushed while paused are queued', async (t) => {
  const rec = new Recorder();
  rec.stopAt = new Set([0]);
  const f = new StreamFramer(100, rec);
  const first = Buffer.from(octet('<13>a') + '<13>b\n', 'latin1');
  t.equal(f.push(first), false);
  t.same(rec.frames, ['<13>a']);
  t.equal(f.bufferedBytes, '<13>b\n'.length);
  t.equal(f.push(Buffer.from('<13>c\n')), false, 'push while paused does nothing but queue');
  t.same(rec.frames, ['<13>a']);
  t.equal(f.resume(), true);
  t.same(rec.frames, ['<13>a', '<13>b', '<13>c']);
  t.equal(f.bufferedBytes, 0);
  t.equal(f.resume(), true, 'resume when not paused is harmless');
});

t.test('stopping on a reassembled frame keeps the rest of the chunk', async (t) => {
  const rec = new Recorder();
  rec.stopAt = new Set([0]);
  const f = new StreamFramer(100, rec);
  t.equal(f.push(Buffer.from('<13>spl')), true);
  t.equal(f.bufferedBytes, 7);
  t.equal(f.push(Buffer.from('it\n<13>z\n')), false);
  t.same(rec.frames, ['<13>split']);
  t.equal(f.resume(), true);
  t.same(rec.frames, ['<13>split', '<13>z']);
});

// Seeded random streams: random frames, random chunking, against the model.
t.test('random streams and chunkings agree with the frames that were written', async (t) => {
  let seed = 42;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const maxFrame = 50;
  for (let round = 0; round < 200; round++) {
    let s = '';
    const want: string[] = [];
    let oversize = 0;
    for (let k = 0; k < 20; k++) {
      const len = rnd(70);
      let body = '<' + rnd(192) + '>';
      while (body.length < len) body += String.fromCharCode(32 + rnd(95));
      if (rnd(2) === 0) {
        s += octet(body);
        if (body.length > maxFrame) oversize++;
        else want.push(body);
      } else {
        s += body + (rnd(2) ? '\r\n' : '\n');
        if (body.length > maxFrame) {
          oversize++;
          want.push(body.slice(0, maxFrame));
        } else want.push(body);
      }
      if (rnd(4) === 0) s += '\n';
    }
    const b = Buffer.from(s, 'latin1');
    const chunks: Buffer[] = [];
    for (let i = 0; i < b.length; ) {
      const n = 1 + rnd(90);
      chunks.push(b.subarray(i, i + n));
      i += n;
    }
    const rec = feed(t, maxFrame, chunks);
    if (JSON.stringify(rec.frames) !== JSON.stringify(want) || rec.oversize.length !== oversize) {
      t.fail(`round ${round} differs`);
      t.same(rec.frames, want);
      return;
    }
  }
  t.pass('200 random streams framed as written');
});
