// Overflow through the real router, judged by completeness and exact
// accounting (never by timings):
//   - backpressure: a stalled drain holds up its fast sibling only for the
//     grace period, then is cut loose and drops its oldest, counted exactly;
//   - a sender faster than a healthy drain loses nothing (200,000 messages);
//   - block: the TCP sender is paused, nothing is dropped, all arrives after
//     unstall; UDP into the full block drain is dropped and counted ('full')
//     and reported by one L10 notice.
import t from 'tap';
import { inputStats } from '../../src/telemetry/input-metrics';
import { startTestRouter } from '../helpers/router';
import { startSyslogReceiver } from '../helpers/syslog-receiver';
import { accounted, drainsOf, droppedTotal, openTcp, sendTcp, sendUdp, until } from '../inputs/stream-helpers';

const PAD = 'p'.repeat(200);
const line = (host: string, i: number): string => `<14>1 2024-05-01T10:00:00Z ${host} app - - - ${i} ${PAD}`;
const seqOf = (l: string): number => Number(l.split(' ')[7]);

/** LF-framed lines i in [from, to) for host, in one buffer per 1000. */
function batch(host: string, from: number, to: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = from; i < to; i += 1000) {
    const parts: string[] = [];
    for (let j = i; j < Math.min(to, i + 1000); j++) parts.push(line(host, j) + '\n');
    out.push(Buffer.from(parts.join('')));
  }
  return out;
}

t.test('backpressure: a stalled drain is cut loose after the grace period; its sibling gets everything; drops counted exactly', async (t) => {
  const slow = await startSyslogReceiver();
  const fast = await startSyslogReceiver();
  const r = await startTestRouter({
    routes: [['busy', `${slow.url}?buffer_messages=1000&name=slow`], ['busy', `${fast.url}?name=fast`]],
    env: { DRAIN_OVERFLOW_GRACE: '300ms' },
  });
  t.teardown(async () => {
    slow.unstall();
    await r.close();
    await slow.close();
    await fast.close();
  });
  const [ds, df] = drainsOf(r.app, 'busy');
  t.equal(ds.label, 'slow');
  slow.stall();
  // ~23 MB: far beyond the kernel buffers between the slow drain and its receiver.
  const N = 100_000;
  await sendTcp(r.ports.tcp, batch('busy', 0, N));
  await fast.waitFor(N, 30_000);
  t.ok(fast.lines().every((l, i) => seqOf(l) === i), 'the fast sibling got every message, in order');
  await until(() => df.queued === 0, 'fast drain idle');
  t.equal(df.stats.delivered, N);
  t.equal(droppedTotal(df), 0, 'the fast sibling dropped nothing');

  // The slow drain: everything it was given is delivered, queued or dropped.
  t.ok(ds.stats.dropped.overflow > 0, 'the stalled drain dropped its oldest');
  t.equal(accounted(ds), N + ds.notices, 'delivered + queued + dropped = sent (+ L10 notices) while stalled');
  t.ok(ds.queued <= 1000 + ds.inflight, 'its ring stayed within buffer_messages');

  slow.unstall();
  await until(() => ds.queued === 0, 'slow drain caught up');
  t.equal(accounted(ds), N + ds.notices, 'and after catching up');
  t.equal(droppedTotal(ds), ds.stats.dropped.overflow, 'only overflow drops');
  await slow.waitFor(ds.stats.delivered);
  t.equal(slow.messages.length, ds.stats.delivered, 'the receiver got exactly what was counted delivered');
  const got = slow.lines();
  const notices = got.filter((l) => / L10 - Error L10 \(output buffer overflow\): \d+ messages dropped/.test(l));
  t.equal(notices.length, ds.notices, 'the L10 notices arrived in the stream');
  t.ok(ds.notices >= 1);
  const seqs = got.filter((l) => !notices.includes(l)).map(seqOf);
  t.equal(seqs.length + ds.stats.dropped.overflow, N, 'every message either arrived or was counted dropped');
  t.ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]), 'what arrived is in order, no duplicates');
  t.equal(seqs[seqs.length - 1], N - 1, 'the newest were kept (drop oldest)');
});

t.test('a sender faster than a healthy drain loses nothing (200,000 messages, one connection)', async (t) => {
  const rx = await startSyslogReceiver();
  // Pausing the sender is what is under test, not the grace period (the
  // test above): the receiver runs in this process, and on a machine busy
  // with other tests it could stay behind for the default 1 s, after which
  // the drain is cut loose and drops, counted, as designed. A full test run
  // once saw 195,343 of 200,000 arrive; three such runs at once on 2 cores
  // reproduced it: the rest dropped as overflow, counted, after cut-loose.
  const r = await startTestRouter({ routes: [['flood', rx.url]], env: { DRAIN_OVERFLOW_GRACE: '60s' } });
  t.teardown(async () => {
    await r.close();
    await rx.close();
  });
  const N = 200_000;
  const frames: Buffer[] = [];
  for (let i = 0; i < N; i += 1000) {
    const parts: string[] = [];
    for (let j = i; j < i + 1000; j++) parts.push(`<14>1 2024-05-01T10:00:00Z flood app - - - ${j}\n`);
    frames.push(Buffer.from(parts.join('')));
  }
  await sendTcp(r.ports.tcp, frames);
  await rx.waitFor(N, 60_000);
  const [d] = drainsOf(r.app, 'flood');
  await until(() => d.queued === 0, 'drain idle');
  t.equal(d.stats.delivered, N);
  t.equal(droppedTotal(d), 0, 'dropped = 0');
  t.equal(d.notices, 0);
  t.equal(rx.messages.length, N);
  let inOrder = true;
  rx.lines().forEach((l, i) => {
    if (!l.endsWith(` - ${i}`)) inOrder = false;
  });
  t.ok(inOrder, 'every message, in order');
});

t.test('block: the TCP sender is paused and nothing is dropped; UDP into the full drain is dropped and counted', async (t) => {
  const rx = await startSyslogReceiver();
  const r = await startTestRouter({ routes: [['blocky', `${rx.url}?policy=block&buffer_messages=1000`]], env: { DRAIN_OVERFLOW_GRACE: '100ms' } });
  t.teardown(async () => {
    rx.unstall();
    await r.close();
    await rx.close();
  });
  const [d] = drainsOf(r.app, 'blocky');
  const tcp = inputStats('tcp');
  const udp = inputStats('udp');
  rx.stall();
  const N = 100_000;
  const { socket, closed } = await openTcp(r.ports.tcp);
  for (const b of batch('blocky', 0, N)) socket.write(b);
  socket.end();
  await until(() => tcp.pausedConnections === 1 && d.ring.count >= 800, 'the connection paused, the ring at its high-water mark');
  t.equal(droppedTotal(d), 0, 'nothing dropped while blocked');
  // Fill the ring to the brim with UDP; what does not fit is dropped and counted.
  const udpBefore = { messages: udp.messages, dropped: udp.dropped };
  const datagrams: string[] = [];
  for (let i = 0; i < 400; i++) datagrams.push(`<14>1 2024-05-01T10:00:00Z blocky app - - - udp ${i}`);
  await sendUdp(r.ports.udp, datagrams);
  await until(() => udp.messages - udpBefore.messages === 400, 'datagrams received', 5000).catch(() => {});
  const udpGot = udp.messages - udpBefore.messages;
  await until(() => d.ring.count === 1000 || udp.dropped > udpBefore.dropped, 'the ring filled');
  const udpDropped = udp.dropped - udpBefore.dropped;
  t.ok(udpDropped > 0, `UDP into the full block drain: ${udpDropped} of ${udpGot} dropped`);
  t.equal(d.stats.dropped.full, udpDropped, "counted on the drain as 'full' and on the input");
  t.equal(tcp.pausedConnections, 1, 'the TCP sender is still held');

  rx.unstall();
  await closed;
  await until(() => d.queued === 0, 'drain caught up', 30_000);
  const total = N + udpGot - udpDropped;
  // The UDP drops are an overflow episode: one L10 notice follows them into the stream.
  await rx.waitFor(total + 1, 30_000);
  t.equal(d.notices, 1, 'one L10 notice for the dropped datagrams');
  t.equal(d.stats.delivered, total + d.notices);
  t.equal(droppedTotal(d), udpDropped, 'only the UDP messages were dropped');
  t.equal(accounted(d), N + udpGot + d.notices);
  t.match(rx.lines().filter((l) => l.includes(' L10 ')), [new RegExp(`L10 \\(output buffer overflow\\): ${udpDropped} messages dropped`)]);
  const tcpSeqs = rx.lines().filter((l) => !l.includes(' udp ') && !l.includes(' L10 ')).map(seqOf);
  t.equal(tcpSeqs.length, N, 'every TCP message arrived');
  t.ok(tcpSeqs.every((s, i) => s === i), 'in order');
});
