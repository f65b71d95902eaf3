// The instruments must be right before their numbers mean anything: the C
// generator and sink against each other and against plain Node servers
// (TLS, HTTP, UDP), every framing, exact counts, and the latency stamp.
import t from 'tap';
import { createSocket } from 'node:dgram';
import { createServer as createHttpServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { buildTools } from '../lib/c-tools';
import { selfSignedCert } from '../lib/tls-cert';
import { runLoadgen, startSink, type LoadgenOptions } from '../lib/tool-process';

const tools = buildTools();

/** Splits octet-counted frames; throws on anything that is not one. */
function octetFrames(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  while (i < buf.length) {
    const sp = buf.indexOf(0x20, i);
    const n = Number(buf.subarray(i, sp).toString());
    if (!Number.isInteger(n) || n <= 0) throw new Error(`bad frame length at ${i}`);
    out.push(buf.subarray(sp + 1, sp + 1 + n));
    i = sp + 1 + n;
  }
  return out;
}

t.test('loadgen → sink, octet-counted RFC 5424: every message, every hostname evenly', async (t) => {
  const sink = await startSink(tools.sink, { expect: 700, hostStats: true, idleMs: 2000 });
  const lg = await runLoadgen(tools.loadgen, { port: sink.ports[0], count: 700, hosts: 7, size: 150 });
  const r = await sink.result;
  t.equal(lg.sent, 700);
  t.equal(lg.errors, 0);
  t.equal(r.received, 700);
  t.equal(r.bytes, 700 * 150, 'size is the message without framing');
  t.equal(r.bad, 0);
  t.same([r.hosts, r.host_min, r.host_max], [7, 100, 100]);
  t.equal(r.lat_n, 700, 'every message carried a readable stamp');
  t.ok(r.last_ns >= lg.start_ns, 'sink and generator share CLOCK_MONOTONIC');
});

t.test("the sink's hostname table: 10,000 names exactly, and an overflow past its capacity said", async (t) => {
  const sink = await startSink(tools.sink, { expect: 20_000, hostStats: true, idleMs: 2000 });
  await runLoadgen(tools.loadgen, { port: sink.ports[0], count: 20_000, hosts: 10_000 });
  const r = await sink.result;
  t.same([r.hosts, r.host_min, r.host_max, r.host_overflow], [10_000, 2, 2, 0]);

  const over = await startSink(tools.sink, { expect: 13_000, hostStats: true, idleMs: 2000 });
  await runLoadgen(tools.loadgen, { port: over.ports[0], count: 13_000, hosts: 13_000 });
  const o = await over.result;
  t.equal(o.received, 13_000);
  t.equal(o.hosts, 12_288, 'three quarters of its 16,384 slots');
  t.equal(o.host_overflow, 13_000 - 12_288);
});

t.test('loadgen → sink, LF-framed RFC 3164, several connections', async (t) => {
  const sink = await startSink(tools.sink, { expect: 1000, hostStats: true, idleMs: 2000 });
  await runLoadgen(tools.loadgen, { port: sink.ports[0], count: 1000, hosts: 10, framing: 'lf', format: '3164', conns: 4 });
  const r = await sink.result;
  t.equal(r.received, 1000);
  t.equal(r.bytes, 1000 * 200);
  t.equal(r.conns, 4);
  t.same([r.hosts, r.host_min, r.host_max], [10, 100, 100]);
});

t.test('sink: frames split at every byte, stamps parsed into latency', async (t) => {
  const sink = await startSink(tools.sink, { expect: 50, idleMs: 2000 });
  // A stamp 5 ms in the past: whatever else happens, latency is at least that.
  const stamp = (process.hrtime.bigint() - 5_000_000n).toString().padStart(20, '0');
  const frames: Buffer[] = [];
  for (let i = 0; i < 50; i++) {
    const msg = `<134>1 2026-01-01T00:00:00Z host-${i % 3} app - - - t=${stamp} n=${i}`;
    frames.push(Buffer.from(`${msg.length} ${msg}`));
  }
  const all = Buffer.concat(frames);
  const sock = connect(sink.ports[0], '127.0.0.1');
  await new Promise((res) => sock.once('connect', res));
  for (let i = 0; i < all.length; i++) {
    // One byte per write with a pause now and then, so reads see split frames.
    sock.write(all.subarray(i, i + 1));
    if (i % 97 === 0) await new Promise((r) => setImmediate(r));
  }
  const r = await sink.result;
  sock.destroy();
  t.equal(r.received, 50);
  t.equal(r.bad, 0);
  t.equal(r.lat_n, 50);
  t.ok(r.p50_us >= 5000, `p50 ${r.p50_us} µs includes the 5 ms the stamp is old`);
});

t.test('sink: several ports count separately', async (t) => {
  const sink = await startSink(tools.sink, { ports: 3, expect: 42, idleMs: 60_000 });
  t.equal(sink.ports.length, 3);
  t.equal(new Set(sink.ports).size, 3);
  await runLoadgen(tools.loadgen, { port: sink.ports[0], count: 30 });
  await runLoadgen(tools.loadgen, { port: sink.ports[2], count: 12 });
  const r = await sink.result;
  t.same(r.per_port, [30, 0, 12]);
  t.equal(r.received, 42);
});

t.test('sink: SIGTERM makes it report at once, even with nothing received', async (t) => {
  const sink = await startSink(tools.sink, { expect: 1_000_000, idleMs: 60_000, waitMs: 60_000 });
  const r = await sink.stop();
  t.equal(r.received, 0);
  t.equal(r.lat_n, 0);
  t.equal(r.p50_us, -1, 'no latency figure without messages');
});

t.test('loadgen UDP: one datagram per message, unframed', async (t) => {
  const sock = createSocket('udp4');
  const got: Buffer[] = [];
  const done = new Promise<void>((res) =>
    sock.on('message', (m) => {
      got.push(m);
      if (got.length === 200) res();
    }),
  );
  await new Promise<void>((res) => sock.bind(0, '127.0.0.1', () => res()));
  // Paced and with room in the socket buffer: loopback UDP drops when full.
  sock.setRecvBufferSize(4 << 20);
  const lg = await runLoadgen(tools.loadgen, { proto: 'udp', port: sock.address().port, count: 200, rate: 5000, hosts: 4 });
  await done;
  sock.close();
  t.equal(lg.sent, 200);
  t.ok(got.every((m) => m.length === 200 && m.subarray(0, 7).toString() === '<134>1 '));
  t.equal(new Set(got.map((m) => m.toString().split(' ')[2])).size, 4, 'hostnames round-robin');
});

/** Runs loadgen over TLS into a Node TLS server; returns the octet-counted frames it received. */
async function loadgenOverTls(o: Omit<LoadgenOptions, 'port' | 'proto'>): Promise<Buffer[]> {
  const { certPem, keyPem } = selfSignedCert();
  const chunks: Buffer[] = [];
  await new Promise<void>((res) => {
    const server = createTlsServer({ cert: certPem, key: keyPem }, (s) => {
      s.on('data', (d: Buffer) => chunks.push(d));
      s.on('end', () => {
        server.close();
        res();
      });
    });
    server.listen(0, '127.0.0.1', () => {
      runLoadgen(tools.loadgen, { ...o, proto: 'tls', port: (server.address() as AddressInfo).port }).catch(() => undefined);
    });
  });
  return octetFrames(Buffer.concat(chunks));
}

t.test('loadgen TLS: all bytes arrive even though the client never reads', { skip: tools.tls ? false : tools.tlsMissing }, async (t) => {
  const frames = await loadgenOverTls({ count: 5000 });
  t.equal(frames.length, 5000);
  t.ok(frames.every((f) => f.length === 200));
});

t.test('loadgen --rate: whole bursts of --burst-us, however short each write is', { skip: tools.tls ? false : tools.tlsMissing }, async (t) => {
  // Over TLS every write is a record. Pacing must not degrade into a write
  // per message or two (as it did once a write outlasted one message's
  // interval), or a paced run offers far more records than a full-speed one.
  // 20,000 msg/s in 5 ms bursts: 100 messages per burst, 20 bursts.
  const frames = await loadgenOverTls({ count: 2000, rate: 20_000, burstUs: 5000 });
  t.equal(frames.length, 2000);
  const stamps = new Set(frames.map((f) => /t=(\d{20})/.exec(f.toString())?.[1]));
  t.notOk(stamps.has(undefined), 'every message stamped');
  // One stamp per write; a late burst only makes the next ones larger.
  t.ok(stamps.size <= 20, `${stamps.size} writes for 20 bursts`);
});

t.test('loadgen HTTP: logplex bodies of 100 frames, keep-alive, counts non-2xx as errors', async (t) => {
  let requests = 0;
  let frames = 0;
  const headersOk: boolean[] = [];
  const server = createHttpServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      requests++;
      const f = octetFrames(Buffer.concat(parts));
      frames += f.length;
      headersOk.push(
        req.method === 'POST' && req.url === '/syslog' && req.headers['content-type'] === 'application/logplex-1' &&
          Number(req.headers['logplex-msg-count']) === f.length,
      );
      // Refuse every 10th request so the error count is checked too.
      res.writeHead(requests % 10 === 0 ? 503 : 204);
      res.end();
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  const lg = await runLoadgen(tools.loadgen, { proto: 'http', port: (server.address() as AddressInfo).port, count: 2050, frames: 100 });
  server.close();
  t.equal(requests, 21, '20 full bodies and one of 50');
  t.equal(frames, 2050);
  t.ok(headersOk.every(Boolean), 'method, path, content type and message count header');
  t.equal(lg.errors, 200, 'two refused bodies of 100');
});
