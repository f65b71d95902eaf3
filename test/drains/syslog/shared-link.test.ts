// Syslog stream drains that name the same endpoint share one connection
// (DRAIN_SHARE_CONNECTIONS, on by default) and still keep their own rings and
// exact counters; a busy drain cannot starve a quiet one on the same link.
import pino from 'pino';
import t from 'tap';
import '../../../src/drains';
import { createDrain, parseDrainUrl, type DrainContext } from '../../../src/drains/url';
import { linkKey, StreamLinkPool } from '../../../src/drains/syslog/link-pool';
import { STAGE_BYTES } from '../../../src/drains/syslog/link-stage';
import { parseSyslogUrl } from '../../../src/drains/syslog/config';
import type { Drain } from '../../../src/drains/drain';
import { metricsText } from '../../../src/telemetry/metrics';
import { PATIENT, startTestRouter } from '../../helpers/router';
import { startSyslogReceiver } from '../../helpers/syslog-receiver';
import { accounted, drainsOf, octet, sendTcp, until } from '../../inputs/stream-helpers';

const HOSTS = 50;
const PER_HOST = 20;
const line = (h: number, i: number): string => `<14>1 2024-05-01T10:00:00Z h-${h} app - - - ${i}`;

async function connections(state: string): Promise<number> {
  const m = new RegExp(`^switchyard_drain_connections\\{transport="tcp",state="${state}"\\} (\\d+)$`, 'm').exec(await metricsText());
  return m ? Number(m[1]) : NaN;
}

/** What the router gives its drains, for drains made by hand on one pool of links. */
function drainContext(links: StreamLinkPool, bufferBytes: number): DrainContext {
  return {
    logger: pino({ level: 'silent' }),
    buffer: { policy: 'drop', bytes: bufferBytes, messages: 100_000, graceMs: 1000 },
    connectTimeoutMs: 2000,
    writeTimeoutMs: 10_000,
    lingerMs: 0,
    links,
    services: {},
  };
}

function interleaved(): Buffer[] {
  const frames: Buffer[] = [];
  for (let i = 0; i < PER_HOST; i++) for (let h = 0; h < HOSTS; h++) frames.push(octet(line(h, i)));
  return frames;
}

function routes(url: string): Array<[string, string]> {
  const sep = url.includes('?') ? '&' : '?';
  return Array.from({ length: HOSTS }, (_, h): [string, string] => [`h-${h}`, `${url}${sep}name=d-${h}`]);
}

/** Every host's messages arrived once each, in the order sent. */
function perHostInOrder(lines: string[]): boolean {
  const next = new Array<number>(HOSTS).fill(0);
  for (const l of lines) {
    const m = / h-(\d+) app - - - (\d+)$/.exec(l);
    if (!m || Number(m[2]) !== next[Number(m[1])]++) return false;
  }
  return next.every((n) => n === PER_HOST);
}

t.test('50 drains to one endpoint: one connection, exact per-drain counts, per-host order', async (t) => {
  const rx = await startSyslogReceiver();
  const [connected0, idle0] = [await connections('connected'), await connections('idle')];
  const r = await startTestRouter({ routes: routes(rx.url), env: PATIENT });
  t.teardown(async () => {
    await r.close();
    await rx.close();
  });
  t.equal(await connections('idle'), idle0 + 1, 'one link, not opened before the first message');
  await sendTcp(r.ports.tcp, interleaved());
  await rx.waitFor(HOSTS * PER_HOST);
  t.equal(rx.accepted(), 1, 'one connection for all 50 drains');
  t.equal(await connections('connected'), connected0 + 1, 'the gauge shows one connection');
  t.ok(perHostInOrder(rx.lines()), 'every message once, each host in order');
  const drains = Array.from({ length: HOSTS }, (_, h) => drainsOf(r.app, `h-${h}`)[0]);
  await until(() => drains.every((d) => d.queued === 0), 'all confirmed');
  t.same(drains.map((d) => d.stats.delivered), new Array(HOSTS).fill(PER_HOST), 'each drain counts its own');
  t.ok(drains.every((d) => d.connected), 'every member reports the link connected');

  // Removing drains keeps the link for the rest; removing the last closes it.
  await r.setRoutes(routes(rx.url).slice(0, 1));
  await until(() => drains.slice(1).every((d) => !d.connected), 'removed drains left the link');
  await sendTcp(r.ports.tcp, [octet(line(0, PER_HOST))]);
  await rx.waitFor(HOSTS * PER_HOST + 1);
  t.equal(rx.accepted(), 1, 'the remaining drain still uses the same connection');
  await r.setRoutes([]);
  await until(() => rx.open() === 0, 'the last drain leaving closes the connection');
  t.equal(await connections('connected'), connected0, 'and the gauge drops it');
});

// In and out framings that match are copied in runs straight from the input
// chunk into the stage; a mismatch is copied message by message.
for (const [inFraming, outFraming] of [['octet', 'octet'], ['lf', 'lf'], ['octet', 'lf']] as const) {
  t.test(`${inFraming} in, ${outFraming} out, more than the stage in one go: every drain's messages leave in order`, async (t) => {
    const rx = await startSyslogReceiver({ framing: outFraming });
    const r = await startTestRouter({ routes: routes(rx.url), env: PATIENT });
    t.teardown(async () => {
      await r.close();
      await rx.close();
    });
    const pad = 'x'.repeat(300);
    const n = 400;
    const frames: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      for (let h = 0; h < HOSTS; h++) {
        const msg = `${line(h, i)} ${pad}`;
        frames.push(inFraming === 'octet' ? octet(msg) : Buffer.from(`${msg}\n`));
      }
    }
    await sendTcp(r.ports.tcp, frames);
    await rx.waitFor(HOSTS * n, 30_000);
    const next = new Array<number>(HOSTS).fill(0);
    let inOrder = true;
    for (const l of rx.lines()) {
      const m = /^<14>1 \S+ h-(\d+) app - - - (\d+) x{300}$/.exec(l);
      if (!m || Number(m[2]) !== next[Number(m[1])]++) inOrder = false;
    }
    t.ok(inOrder && next.every((c) => c === n), `${HOSTS * n} messages (${((HOSTS * n * 360) / 1048576).toFixed(0)} MiB): intact, every host in order`);
    t.equal(rx.accepted(), 1);
  });
}

t.test('DRAIN_SHARE_CONNECTIONS=false: one connection per drain', async (t) => {
  const rx = await startSyslogReceiver();
  const r = await startTestRouter({ routes: routes(rx.url), env: { DRAIN_SHARE_CONNECTIONS: 'false' } });
  t.teardown(async () => {
    await r.close();
    await rx.close();
  });
  await sendTcp(r.ports.tcp, interleaved());
  await rx.waitFor(HOSTS * PER_HOST);
  t.equal(rx.accepted(), HOSTS);
  t.ok(perHostInOrder(rx.lines()));
});

t.test('a shared destination down and back: every drain sharing it delivers its backlog, exactly', async (t) => {
  const rx = await startSyslogReceiver();
  const r = await startTestRouter({ routes: routes(rx.url).slice(0, 2) });
  t.teardown(async () => {
    await r.close();
    await rx.close();
  });
  const [a, b] = [drainsOf(r.app, 'h-0')[0], drainsOf(r.app, 'h-1')[0]];
  const send = (from: number, to: number): Promise<void> => {
    const frames: Buffer[] = [];
    for (let i = from; i < to; i++) frames.push(octet(line(0, i)), octet(line(1, i)));
    return sendTcp(r.ports.tcp, frames);
  };
  await send(0, 10);
  await rx.waitFor(20);
  await until(() => a.queued === 0 && b.queued === 0, 'first messages confirmed');
  await rx.close();
  await until(() => !a.connected && !b.connected, 'both saw the destination go');
  await send(10, 510);
  await until(() => a.queued === 500 && b.queued === 500, 'backlogs queued while down');
  t.ok(a.stats.errors + a.stats.retried > 0 && b.stats.errors + b.stats.retried > 0, 'each member counts the failure');
  await rx.restart();
  await rx.waitFor(1020, 30_000);
  await until(() => a.queued === 0 && b.queued === 0, 'backlogs delivered');
  t.equal(a.stats.delivered, 510);
  t.equal(b.stats.delivered, 510);
  t.equal(accounted(a), 510);
  t.equal(accounted(b), 510);
  for (const h of [0, 1]) {
    const got = rx.lines().filter((l) => l.includes(` h-${h} `));
    t.same(got, Array.from({ length: 510 }, (_, i) => line(h, i)), `h-${h}: every message once, in order`);
  }
});

t.test('round robin: a drain with megabytes queued does not hold back a quiet one on the same link', async (t) => {
  const rx = await startSyslogReceiver();
  const pool = new StreamLinkPool();
  const ctx = drainContext(pool, 16 << 20);
  const busy = createDrain(parseDrainUrl(`${rx.url}?name=busy`), ctx);
  const quiet = createDrain(parseDrainUrl(`${rx.url}?name=quiet`), ctx);
  t.teardown(async () => {
    busy.destroy();
    quiet.destroy();
    await rx.close();
  });
  t.equal(pool.size, 1, 'both drains on one link');
  // Records of 1,005 bytes: the first fill the link's stage, 3,000 more queue in the busy ring.
  const big = Buffer.alloc(1000, 0x61);
  const staged = Math.floor(STAGE_BYTES / 1005);
  const total = staged + 3000;
  for (let i = 0; i < total; i++) busy.push(big, 0, big.length, null);
  // Larger than what the stage has left, so it queues in its own ring behind the busy one's.
  const q = Buffer.from(`<14>1 - quiet app - - - ${'q'.repeat(2000)}`);
  quiet.push(q, 0, q.length, null);
  await rx.waitFor(total + 1);
  const at = rx.lines().indexOf(q.toString());
  // The stage goes first, then ring batches round robin: one busy batch (260 records), then the quiet one.
  t.ok(at >= staged && at < staged + 1000, `the quiet message did not wait for the whole busy backlog (position ${at} of ${total + 1}, ${staged} staged)`);
  await until(() => busy.queued === 0 && quiet.queued === 0, 'all confirmed');
  t.equal(busy.stats.delivered, total);
  t.equal(quiet.stats.delivered, 1);
  await Promise.all([busy.close(1000), quiet.close(1000)]);
  t.equal(pool.size, 0, 'the link left the pool with its last drain');
  await until(() => rx.open() === 0, 'connection closed');
});

t.test('link identity: endpoint, framing and TLS settings, not the drain name', async (t) => {
  const key = (u: string): string => {
    const url = new URL(u);
    return linkKey(parseSyslogUrl(url, url.protocol.slice(0, -1)));
  };
  const ca = Buffer.from('-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n').toString('base64');
  t.equal(key('syslog+tcp://a:514?name=x'), key('syslog+tcp://a:514?name=y'));
  t.not(key('syslog+tcp://a:514'), key('syslog+tcp://a:514?framing=lf'));
  t.not(key('syslog+tcp://a:514'), key('syslog+tls://a:514'));
  t.not(key('syslog+tcp://a:514'), key('syslog+tcp://b:514'));
  t.not(key('syslog+tls://a:6514'), key(`syslog+tls://a:6514?ca=${ca}`));
  t.not(key('syslog+tls://a:6514'), key('syslog+tls://a:6514?insecure=true'));
});

// Drains are the unit of policy even on a shared link: overflow in one does not touch the other.
t.test('overflow in one drain of a shared link is its own', async (t) => {
  const rx = await startSyslogReceiver();
  rx.stall();
  const pool = new StreamLinkPool();
  const ctx = drainContext(pool, 64 * 1024);
  const small: Drain = createDrain(parseDrainUrl(`${rx.url}?name=small&buffer_bytes=8192`), ctx);
  const other: Drain = createDrain(parseDrainUrl(`${rx.url}?name=other`), ctx);
  t.teardown(async () => {
    small.destroy();
    other.destroy();
    await rx.close();
  });
  // The first STAGE_BYTES go to the link's stage; the rest queue in the 8 KiB ring.
  const m = Buffer.alloc(500, 0x62);
  const sent = Math.ceil(STAGE_BYTES / 504) + 100;
  for (let i = 0; i < sent; i++) small.push(m, 0, m.length, null);
  other.push(m, 0, m.length, null);
  t.ok(small.stats.dropped.overflow > 0, 'the small ring dropped its oldest');
  t.equal(other.stats.dropped.overflow, 0, 'its neighbour on the link dropped nothing');
  rx.unstall();
  await until(() => other.stats.delivered === 1 && small.queued === 0, 'both delivered what they kept');
  t.equal(accounted(small), sent + small.notices);
});

t.test('a drain whose messages go through the stage gives its ring memory back', async (t) => {
  const rx = await startSyslogReceiver();
  const ctx = drainContext(new StreamLinkPool(), 16 << 20);
  const a = createDrain(parseDrainUrl(`${rx.url}?name=a`), ctx);
  const b = createDrain(parseDrainUrl(`${rx.url}?name=b`), ctx);
  t.teardown(async () => {
    a.destroy();
    b.destroy();
    await rx.close();
  });
  // More than the stage holds: the rest goes through a's ring.
  const m = Buffer.alloc(1000, 0x61);
  const sent = Math.ceil(STAGE_BYTES / 1005) + 100;
  for (let i = 0; i < sent; i++) a.push(m, 0, m.length, null);
  await until(() => a.stats.delivered === sent, 'delivered');
  t.ok(a.ring.capacity > 0, 'the ring was used');
  a.housekeep();
  // Now its messages skip the ring (it is empty and the stage has room).
  for (let tick = 0; tick < 2; tick++) {
    a.push(m, 0, m.length, null);
    await until(() => a.queued === 0, 'staged message delivered');
    a.housekeep();
  }
  t.equal(a.ring.capacity, 0, 'a tick without anything through the ring: its memory is given back');
  t.equal(a.stats.delivered, sent + 2);
});
