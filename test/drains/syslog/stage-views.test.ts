// Staged runs sent as views: drains sharing a link stage their messages in
// the link's next batch, and a run of them that lies in the input chunk as
// the link sends it goes to the socket as a view of the chunk (link-stage.ts).
// What must hold whichever way a message goes: every message once, intact,
// in order per host, exact per-drain counters, and a bounded amount of input
// kept alive while the destination is slow.
import t from 'tap';
import '../../../src/drains';
import { IN_PLACE_PIN_BYTES } from '../../../src/drains/syslog/link-in-place';
import { liveLinks, type StreamLink } from '../../../src/drains/syslog/stream-link';
import { startTestRouter } from '../../helpers/router';
import { startSyslogReceiver, type SyslogReceiver } from '../../helpers/syslog-receiver';
import { drainsOf, octet, sendTcp, until } from '../../inputs/stream-helpers';

const HOSTS = 7;
const PAD = 'y'.repeat(150);

function linkTo(rx: SyslogReceiver): StreamLink {
  for (const l of liveLinks()) if (l.dest.port === rx.port) return l;
  throw new Error(`no link to port ${rx.port}`);
}

/**
 * `n` messages round robin over HOSTS hosts, as a sender frames them. Every
 * 89th is an RFC 3164 line (rewritten in a scratch buffer, so it is staged
 * between two runs, not as part of one); with LF framing every 103rd ends in
 * CR LF (the CR is not part of the message: a run cannot go on across it).
 */
function traffic(n: number, framing: 'octet' | 'lf'): Buffer[] {
  const frames: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const h = i % HOSTS;
    const msg = i % 89 === 5 ? `<14>May  1 10:00:00 h-${h} app: ${i} ${PAD}` : `<14>1 2024-05-01T10:00:00Z h-${h} app - - - ${i} ${PAD}`;
    frames.push(framing === 'octet' ? octet(msg) : Buffer.from(i % 103 === 9 ? `${msg}\r\n` : `${msg}\n`));
  }
  return frames;
}

/** The first line out of order or damaged, or -1: per host, message numbers in sequence. */
function firstBad(lines: string[], n: number): number {
  const next = new Array<number>(HOSTS).fill(0);
  for (let i = 0; i < lines.length; i++) {
    const m = /^<14>1 \S+ h-(\d+) app - - - (\d+) y{150}$/.exec(lines[i]);
    if (!m) return i;
    const h = Number(m[1]);
    const k = Number(m[2]);
    if (k % HOSTS !== h || k !== next[h] * HOSTS + h) return i;
    next[h]++;
  }
  return next.reduce((a, b) => a + b, 0) === n ? -1 : lines.length;
}

const routes = (rx: SyslogReceiver): Array<[string, string]> =>
  Array.from({ length: HOSTS }, (_, h): [string, string] => [`h-${h}`, `${rx.url}${rx.url.includes('?') ? '&' : '?'}name=s-${h}`]);

for (const [inFraming, outFraming] of [['octet', 'octet'], ['lf', 'lf'], ['octet', 'lf']] as const) {
  const same = inFraming === outFraming;
  t.test(`${inFraming} in, ${outFraming} out, ${HOSTS} drains on one link: every message once, intact, in order; exact counts`, async (t) => {
    const rx = await startSyslogReceiver({ framing: outFraming });
    const r = await startTestRouter({ routes: routes(rx) });
    t.teardown(async () => {
      await r.close();
      await rx.close();
    });
    const n = 40_000; // ~8 MB: many socket reads, frames straddling them
    await sendTcp(r.ports.tcp, traffic(n, inFraming));
    await rx.waitFor(n, 30_000);
    t.equal(firstBad(rx.lines(), n), -1, `${n} messages, each intact, every host in order, none twice`);
    t.equal(rx.accepted(), 1, 'one connection');
    const link = linkTo(rx);
    if (same) t.ok(link.stageViews > 0, `runs went out as views of the input (${link.stageViews})`);
    else t.equal(link.stageViews, 0, 'framing rewritten: nothing sent as a view');
    const drains = Array.from({ length: HOSTS }, (_, h) => drainsOf(r.app, `h-${h}`)[0]);
    await until(() => drains.every((d) => d.queued === 0), 'all confirmed');
    t.same(
      drains.map((d) => d.stats.delivered),
      drains.map((_, h) => Math.floor(n / HOSTS) + (h < n % HOSTS ? 1 : 0)),
      'each drain counts its own messages, viewed or copied',
    );
    t.equal(link.pinnedBytes, 0, 'no input chunk kept alive once everything is written');
  });
}

t.test('a shared destination that stops reading: views stop at the pin bound, the rings take over, nothing is lost', async (t) => {
  const rx = await startSyslogReceiver();
  const r = await startTestRouter({ routes: routes(rx), env: { DRAIN_BUFFER_BYTES: String(64 << 20), DRAIN_BUFFER_MESSAGES: '1000000' } });
  t.teardown(async () => {
    await r.close();
    await rx.close();
  });
  rx.stall();
  const n = 70_000; // ~14 MB: more than the kernel's buffers, the stage and the pin bound together
  const sent = sendTcp(r.ports.tcp, traffic(n, 'octet'));
  const drains = Array.from({ length: HOSTS }, (_, h) => drainsOf(r.app, `h-${h}`)[0]);
  await until(() => drains.some((d) => d.ring.count > 0), 'the rings take what the stage may not', 20_000);
  const link = linkTo(rx);
  let maxPinned = 0;
  for (let i = 0; i < 20; i++) {
    maxPinned = Math.max(maxPinned, link.pinnedBytes);
    await new Promise((res) => setTimeout(res, 10));
  }
  t.ok(maxPinned > 0 && maxPinned <= IN_PLACE_PIN_BYTES, `input kept alive while stalled stays within its bound (${maxPinned} bytes)`);
  rx.unstall();
  await sent;
  await rx.waitFor(n, 60_000);
  t.equal(firstBad(rx.lines(), n), -1, `${n} messages, each intact, every host in order, none twice`);
  await until(() => drains.every((d) => d.queued === 0), 'all confirmed');
  t.equal(
    drains.reduce((a, d) => a + d.stats.delivered, 0),
    n,
    'counted exactly',
  );
  t.equal(drains.reduce((a, d) => a + Object.values(d.stats.dropped).reduce((x, y) => x + y, 0), 0), 0, 'nothing dropped');
  t.ok(link.stageViews > 0, 'views before and after the stall');
});
