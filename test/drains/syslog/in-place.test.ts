// In-place sending: a syslog stream drain alone on its link sends runs of
// messages as they lie in the input chunk (StreamLink.sendInPlace), without
// copying them into its ring. What must hold whichever way a message goes:
// every message once, intact, in the order sent, exact counters, and a
// bounded amount of input kept alive while the destination is slow.
import pino from 'pino';
import t from 'tap';
import '../../../src/drains';
import { settlePendingCopies } from '../../../src/drains/deferred-copy';
import { StreamLinkPool } from '../../../src/drains/syslog/link-pool';
import { createDrain, parseDrainUrl, type DrainContext } from '../../../src/drains/url';
import { ACCEPTED, PAUSE } from '../../../src/router/verdict';
import { IN_PLACE_PIN_BYTES } from '../../../src/drains/syslog/link-in-place';
import { liveLinks, type StreamLink } from '../../../src/drains/syslog/stream-link';
import { makeCerts } from '../../helpers/certs';
import { PATIENT, startTestRouter, type TestRouter } from '../../helpers/router';
import { startSyslogReceiver, type SyslogReceiver } from '../../helpers/syslog-receiver';
import { drainsOf, octet, sendTcp, sendTls, until } from '../../inputs/stream-helpers';

type Tap = { teardown(fn: () => unknown): void };

const PAD = 'x'.repeat(180);

function linkTo(rx: SyslogReceiver): StreamLink {
  for (const l of liveLinks()) if (l.dest.port === rx.port) return l;
  throw new Error(`no link to port ${rx.port}`);
}

/**
 * `n` messages for host h-0 as a sender frames them, and the lines a
 * receiver should see. Every 97th is an RFC 3164 line (rewritten as RFC 5424
 * in a scratch buffer, so it goes through the ring between in-place runs);
 * with LF framing every 101st ends in CR LF (the CR is not part of the
 * message, so it cannot be sent in place).
 */
function traffic(n: number, framing: 'octet' | 'lf'): { frames: Buffer[]; expected: RegExp[] } {
  const frames: Buffer[] = [];
  const expected: RegExp[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 97 === 3) {
      const msg = `<14>May  1 10:00:00 h-0 app: ${i} ${PAD}`;
      frames.push(framing === 'octet' ? octet(msg) : Buffer.from(`${msg}\n`));
      expected.push(new RegExp(`^<14>1 \\S+ h-0 app - - - ${i} ${PAD}$`));
      continue;
    }
    const msg = `<14>1 2024-05-01T10:00:00Z h-0 app - - - ${i} ${PAD}`;
    frames.push(framing === 'octet' ? octet(msg) : Buffer.from(i % 101 === 7 ? `${msg}\r\n` : `${msg}\n`));
    expected.push(new RegExp(`^<14>1 2024-05-01T10:00:00Z h-0 app - - - ${i} ${PAD}$`));
  }
  return { frames, expected };
}

/** The index of the first line that is not the one expected there, or -1. */
function firstMismatch(lines: string[], expected: RegExp[]): number {
  for (let i = 0; i < Math.max(lines.length, expected.length); i++) if (i >= lines.length || i >= expected.length || !expected[i].test(lines[i])) return i;
  return -1;
}

for (const [inFraming, outFraming] of [['octet', 'octet'], ['lf', 'lf'], ['octet', 'lf'], ['lf', 'octet']] as const) {
  const same = inFraming === outFraming;
  t.test(`${inFraming} in, ${outFraming} out, fan-out to two destinations: every message once, intact, in order`, async (t) => {
    const rx = [await startSyslogReceiver({ framing: outFraming }), await startSyslogReceiver({ framing: outFraming })];
    const r = await startTestRouter({ routes: rx.map((x, i): [string, string] => ['h-0', `${x.url}${x.url.includes('?') ? '&' : '?'}name=d-${i}`]), env: PATIENT });
    t.teardown(async () => {
      await r.close();
      for (const x of rx) await x.close();
    });
    // A first message connects the links, so the bulk meets them up.
    await sendTcp(r.ports.tcp, [inFraming === 'octet' ? octet('<14>1 2024-05-01T10:00:00Z h-0 app - - - warm-up') : '<14>1 2024-05-01T10:00:00Z h-0 app - - - warm-up\n']);
    for (const x of rx) await x.waitFor(1);
    const n = 30_000; // ~7 MB: many socket reads, frames straddling them
    const { frames, expected } = traffic(n, inFraming);
    await sendTcp(r.ports.tcp, frames);
    for (const x of rx) await x.waitFor(n + 1, 30_000);
    for (const [i, x] of rx.entries()) {
      t.equal(firstMismatch(x.lines().slice(1), expected), -1, `destination ${i}: ${n} messages, each intact, in order, none twice`);
      const link = linkTo(x);
      if (same) t.ok(link.inPlaceRuns > 0, `destination ${i}: runs went out in place (${link.inPlaceRuns})`);
      else t.equal(link.inPlaceRuns, 0, `destination ${i}: framing rewritten, nothing in place`);
    }
    const drains = drainsOf(r.app, 'h-0');
    await until(() => drains.every((d) => d.queued === 0), 'all confirmed');
    t.same(
      drains.map((d) => d.stats.delivered),
      [n + 1, n + 1],
      'each drain counts every message delivered, in place or not',
    );
    t.ok(rx.every((x) => linkTo(x).pinnedBytes === 0), 'no input chunk kept alive once everything is confirmed');
  });
}

/** A router with h-0 → one drain to a receiver, its link connected by a first message. */
async function oneDrain(t: Tap, name: string, env: Record<string, string> = {}): Promise<{ rx: SyslogReceiver; r: TestRouter }> {
  const rx = await startSyslogReceiver();
  const r = await startTestRouter({ routes: [['h-0', `${rx.url}?name=${name}`]], env: { ...PATIENT, ...env } });
  t.teardown(async () => {
    await r.close();
    await rx.close();
  });
  await sendTcp(r.ports.tcp, [octet('<14>1 2024-05-01T10:00:00Z h-0 app - - - warm-up')]);
  await rx.waitFor(1);
  return { rx, r };
}

t.test('a destination that stops reading: in-place sending stops at its bound, the ring takes over, nothing is lost', async (t) => {
  const { rx, r } = await oneDrain(t, 'slow', { DRAIN_BUFFER_BYTES: String(64 << 20), DRAIN_BUFFER_MESSAGES: '1000000' });
  rx.stall();
  const n = 60_000; // ~14 MB: more than the kernel's buffers and the in-place bound together
  const { frames, expected } = traffic(n, 'octet');
  const sent = sendTcp(r.ports.tcp, frames);
  const [d] = drainsOf(r.app, 'h-0');
  const link = linkTo(rx);
  await until(() => d.ring.count > 0, 'the ring takes what in-place sending may not', 20_000);
  let maxPinned = 0;
  for (let i = 0; i < 20; i++) {
    maxPinned = Math.max(maxPinned, link.pinnedBytes);
    await new Promise((res) => setTimeout(res, 10));
  }
  t.ok(maxPinned <= IN_PLACE_PIN_BYTES, `input kept alive stays within its bound while stalled (${maxPinned} bytes)`);
  rx.unstall();
  await sent;
  await rx.waitFor(n + 1, 60_000);
  t.equal(firstMismatch(rx.lines().slice(1), expected), -1, `${n} messages, each intact, in order, none twice`);
  await until(() => d.queued === 0, 'all confirmed');
  t.equal(d.stats.delivered, n + 1, 'counted exactly');
  t.equal(Object.values(d.stats.dropped).reduce((a, b) => a + b, 0), 0, 'nothing dropped');
  t.ok(link.inPlaceRuns > 0, 'in place before and after the stall');
});

t.test('TLS in: runs of decrypted reads go out in place, every message intact and in order', async (t) => {
  const certs = makeCerts();
  const { rx, r } = await oneDrain(t, 'from-tls', { SYSLOG_TLS_CERT_PEM: certs.serverCert, SYSLOG_TLS_KEY_PEM: certs.serverKey });
  // The receiver stalls first, so views of decrypted reads wait while more is
  // read: a reused read buffer would show as corrupt messages.
  rx.stall();
  const n = 30_000;
  const { frames, expected } = traffic(n, 'octet');
  const sent = sendTls(r.ports.tls, frames, { ca: certs.ca });
  await until(() => linkTo(rx).pinnedBytes > 0 && drainsOf(r.app, 'h-0')[0].ring.count > 0, 'views held, and the ring taking over', 20_000);
  rx.unstall();
  await sent;
  await rx.waitFor(n + 1, 30_000);
  t.equal(firstMismatch(rx.lines().slice(1), expected), -1, `${n} messages over TLS, each intact, in order, none twice`);
  t.ok(linkTo(rx).inPlaceRuns > 0, `runs went out in place (${linkTo(rx).inPlaceRuns})`);
});

t.test('a run sent in place that had paused its input resumes it: the ring empties without a take', async (t) => {
  const rx = await startSyslogReceiver();
  const links = new StreamLinkPool();
  // block: no grace period would let the input go on its own.
  const ctx: DrainContext = {
    logger: pino({ level: 'silent' }),
    buffer: { policy: 'block', bytes: 32 * 1024, messages: 100_000, graceMs: 1000 },
    connectTimeoutMs: 2000,
    writeTimeoutMs: 10_000,
    lingerMs: 0,
    links,
    services: {},
  };
  const d = createDrain(parseDrainUrl(`${rx.url}?name=resume`), ctx);
  t.teardown(async () => {
    d.destroy();
    await rx.close();
  });
  const msg = (i: number): Buffer => Buffer.from(`<14>1 2024-05-01T10:00:00Z h-0 app - - - ${i} ${PAD}`);
  const feeder = { resumed: 0, resumeFeed(): void { this.resumed++; } };
  // Grow the ring to its 32 KiB (it starts at 1 KiB) and connect the link.
  let sent = 0;
  for (; sent < 120; sent++) {
    const m = msg(sent);
    d.push(m, 0, m.length, null);
  }
  await rx.waitFor(sent);
  await until(() => d.queued === 0, 'the first messages confirmed');
  // One socket read's worth, octet-counted as sent: a run from the start of
  // the empty ring, past the high-water mark (80 % of 32 KiB).
  const frames: Buffer[] = [];
  for (let i = 0; i < 150; i++) frames.push(octet(msg(sent + i)));
  const chunk = Buffer.concat(frames);
  let at = 0;
  let verdict = ACCEPTED;
  while (verdict !== PAUSE) {
    const sp = chunk.indexOf(0x20, at);
    const n = Number(chunk.subarray(at, sp).toString());
    verdict = d.push(chunk, sp + 1, sp + 1 + n, feeder, true);
    at = sp + 1 + n;
    sent++;
  }
  t.ok(d.ring.bytes > 0.8 * 32 * 1024, `paused above the high-water mark (${d.ring.bytes} bytes queued)`);
  settlePendingCopies();
  t.equal(d.ring.count, 0, 'the run went out in place: the ring is empty');
  await until(() => feeder.resumed > 0, 'the paused input resumed', 3000);
  await rx.waitFor(sent);
  t.equal(firstMismatch(rx.lines().slice(120), Array.from({ length: sent - 120 }, (_, i) => new RegExp(` - ${120 + i} ${PAD}$`))), -1, 'the run arrived, in order');
});
