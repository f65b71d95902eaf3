// Content-Encoding on POST /syslog and /events: real compressed bodies over
// real HTTP to a real router and syslog receiver; what is refused never
// arrives, which we prove by posting a good request afterwards and seeing it
// arrive alone (drains are FIFO).
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import t from 'tap';
import { contentCoding, decodedBody, EncodingError } from '../../src/inputs/http-content-encoding';
import { startTestRouter } from '../helpers/router';
import { startSyslogReceiver } from '../helpers/syslog-receiver';
import { counterValue, logplex, logplexHeaders, post } from './http-ingest-helpers';

type Tap = { teardown(fn: () => unknown): void };

async function setup(t: Tap, env: Record<string, string> = {}) {
  const rx = await startSyslogReceiver();
  const tr = await startTestRouter({ routes: [['web-1', rx.url]], env });
  t.teardown(async () => {
    await tr.close();
    await rx.close();
  });
  return { rx, tr, port: tr.ports.http };
}

const msgs = ['<14>1 2026-11-22T02:00:00Z web-1 app web.1 - - first, compressed', '<13>1 2026-11-22T02:00:01Z web-1 app web.2 - [m a="1"] second, compressed'];
const good = '<14>1 2026-11-22T02:00:02Z web-1 app - - - plain, after the refusal';

const rejected = (reason: string, endpoint = 'syslog'): Promise<number> => counterValue('switchyard_http_ingest_rejections_total', { endpoint, reason });

/** `copies` gzip members of `member` back to back: gunzip reads them as one stream. */
function gzipBomb(member: Buffer, copies: number): Buffer {
  return Buffer.concat(Array.from({ length: copies }, () => member));
}

t.test('contentCoding: gzip, x-gzip, deflate, identity; anything else is a 415', async (t) => {
  t.equal(contentCoding(undefined), null);
  t.equal(contentCoding('identity'), null);
  t.equal(contentCoding('GZip'), 'gzip');
  t.equal(contentCoding('x-gzip'), 'gzip');
  t.equal(contentCoding(' deflate '), 'deflate');
  t.equal(contentCoding('gzip, identity'), 'gzip');
  for (const bad of ['br', 'zstd', 'gzip, gzip', 'compress']) {
    t.throws(() => contentCoding(bad), { code: 'SY_ERR_CONTENT_ENCODING', statusCode: 415, reason: 'unsupported_encoding' }, bad);
  }
});

t.test('a gzip logplex body reaches the drain byte for byte, and a deflate LF body too', async (t) => {
  const { rx, port } = await setup(t);
  const r1 = await post(port, '/syslog', zlib.gzipSync(logplex(msgs)), logplexHeaders(2, { 'content-encoding': 'gzip' }));
  t.equal(r1.status, 204, r1.text);
  const r2 = await post(port, '/syslog', zlib.deflateSync(Buffer.from(good + '\n')), { 'content-type': 'application/syslog', 'content-encoding': 'deflate' });
  t.equal(r2.status, 204, r2.text);
  await rx.waitFor(3);
  t.same(rx.lines(), [...msgs, good]);
});

t.test('gzip JSON and NDJSON on /events', async (t) => {
  const { rx, port } = await setup(t);
  const ev = (m: string) => ({ hostname: 'web-1', tag: 'web.1', message: m, time: '2026-11-22T03:04:05.678Z' });
  const r1 = await post(port, '/events', zlib.gzipSync(JSON.stringify([ev('one'), ev('two')])), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
  t.equal(r1.status, 204, r1.text);
  const r2 = await post(port, '/events', zlib.gzipSync(JSON.stringify(ev('three')) + '\n'), { 'content-type': 'application/x-ndjson', 'content-encoding': 'x-gzip' });
  t.equal(r2.status, 204, r2.text);
  await rx.waitFor(3);
  t.same(
    rx.lines().map((l) => l.slice(l.lastIndexOf(' ') + 1)),
    ['one', 'two', 'three'],
  );
});

t.test('a zip bomb: 413 once the decompressed body passes HTTP_BODY_LIMIT, counted as too_large, nothing delivered', async (t) => {
  const { rx, port } = await setup(t, { HTTP_BODY_LIMIT: '64KiB' });
  const before = await rejected('too_large');
  // 16 MiB inflated from about 16 KiB on the wire: under the limit as sent,
  // so only the decompressed size can refuse it.
  const bomb = gzipBomb(zlib.gzipSync(Buffer.alloc(1024 * 1024, 'a'), { level: 9 }), 16);
  t.ok(bomb.length < 64 * 1024, `${bomb.length} bytes on the wire`);
  const r = await post(port, '/syslog', bomb, { 'content-type': 'application/syslog', 'content-encoding': 'gzip' });
  t.equal(r.status, 413, r.text);
  t.match(r.json, { code: 'SY_ERR_BODY_TOO_LARGE', message: /over HTTP_BODY_LIMIT \(65536 bytes\) once decompressed/ });
  t.equal(await rejected('too_large'), before + 1);
  t.equal((await post(port, '/syslog', logplex([good]), logplexHeaders(1))).status, 204);
  await rx.waitFor(1);
  t.same(rx.lines(), [good]);
});

t.test('decodedBody stops reading the request once the limit is passed', async (t) => {
  const bomb = gzipBomb(zlib.gzipSync(Buffer.alloc(1024 * 1024), { level: 9 }), 256);
  const chunks: Buffer[] = [];
  for (let at = 0; at < bomb.length; at += 1024) chunks.push(bomb.subarray(at, at + 1024));
  const out = decodedBody(Readable.from(chunks, { objectMode: false }), 'gzip', 1024 * 1024);
  let got = 0;
  const err = await new Promise<unknown>((resolve) => {
    out.on('data', (c: Buffer) => (got += c.length));
    out.on('error', resolve);
    out.on('end', () => resolve(null));
  });
  t.type(err, EncodingError);
  t.match(err, { statusCode: 413, reason: 'too_large' });
  t.ok(got <= 1024 * 1024, `no more than the limit came out (${got})`);
  t.ok(out.receivedEncodedLength < bomb.length / 4, `read ${out.receivedEncodedLength} of ${bomb.length} compressed bytes`);
});

t.test('a corrupt gzip body: 400, counted as bad_encoding, nothing delivered', async (t) => {
  const { rx, port } = await setup(t);
  const before = await rejected('bad_encoding');
  const beforeEvents = await rejected('bad_encoding', 'events');
  const gz = zlib.gzipSync(logplex(msgs));
  const corrupt = Buffer.from(gz);
  corrupt.fill(0x55, 12, 30);
  const r = await post(port, '/syslog', corrupt, logplexHeaders(2, { 'content-encoding': 'gzip' }));
  t.equal(r.status, 400, r.text);
  t.match(r.json.message, /the body is not valid gzip/);
  const truncated = await post(port, '/syslog', gz.subarray(0, gz.length - 10), logplexHeaders(2, { 'content-encoding': 'gzip' }));
  t.equal(truncated.status, 400, truncated.text);
  const notGzip = await post(port, '/events', '{"hostname":"web-1","tag":"a","message":"plain"}', { 'content-type': 'application/json', 'content-encoding': 'gzip' });
  t.equal(notGzip.status, 400, notGzip.text);
  t.equal(await rejected('bad_encoding'), before + 2);
  t.equal(await rejected('bad_encoding', 'events'), beforeEvents + 1);
  t.equal((await post(port, '/syslog', logplex([good]), logplexHeaders(1))).status, 204);
  await rx.waitFor(1);
  t.same(rx.lines(), [good]);
});

t.test('an unsupported encoding: 415 naming what is taken, counted as unsupported_encoding', async (t) => {
  const { port } = await setup(t);
  const before = await rejected('unsupported_encoding', 'events');
  const r = await post(port, '/events', zlib.brotliCompressSync('{}'), { 'content-type': 'application/json', 'content-encoding': 'br' });
  t.equal(r.status, 415, r.text);
  t.match(r.json.message, /Content-Encoding "br" is not supported; send one of gzip, deflate, identity/);
  t.equal(await rejected('unsupported_encoding', 'events'), before + 1);
});
