// A syslog stream drain whose destination goes down and comes back on the
// same port: what was queued meanwhile is delivered after the reconnection,
// in order, and the accounting stays exact. A UDP drain delivers datagrams.
import dgram from 'node:dgram';
import t from 'tap';
import { startTestRouter } from '../../helpers/router';
import { startSyslogReceiver } from '../../helpers/syslog-receiver';
import { accounted, drainsOf, octet, sendTcp, until } from '../../inputs/stream-helpers';

const line = (i: number): string => `<14>1 2024-05-01T10:00:00Z comeback app - - - ${i}`;

for (const framing of ['octet', 'lf'] as const) {
  t.test(`${framing}: destination down and back: the backlog arrives after reconnecting, in order`, async (t) => {
    const rx = await startSyslogReceiver({ framing });
    const r = await startTestRouter({ routes: [['comeback', rx.url]] });
    t.teardown(async () => {
      await r.close();
      await rx.close();
    });
    const [d] = drainsOf(r.app, 'comeback');
    const send = (from: number, to: number): Promise<void> => {
      const frames: Buffer[] = [];
      for (let i = from; i < to; i++) frames.push(octet(line(i)));
      return sendTcp(r.ports.tcp, frames);
    };
    await send(0, 100);
    await rx.waitFor(100);
    await until(() => d.queued === 0, 'first batch confirmed');

    await rx.close();
    await until(() => !d.connected, 'the drain saw the destination go');
    await send(100, 1100);
    await until(() => d.queued === 1000, 'backlog queued while down');
    t.ok(d.stats.errors + d.stats.retried > 0, 'connection failures counted');
    t.equal(d.stats.delivered, 100);

    await rx.restart();
    await rx.waitFor(1100, 30_000);
    await until(() => d.queued === 0, 'backlog delivered');
    t.equal(d.connected, true);
    t.equal(d.stats.delivered, 1100);
    t.equal(accounted(d), 1100);
    t.same(rx.lines(), Array.from({ length: 1100 }, (_, i) => line(i)), 'every message once, in order');
  });
}

t.test('syslog+udp drain: one datagram per message', async (t) => {
  const sock = dgram.createSocket('udp4');
  const got: string[] = [];
  sock.on('message', (m) => got.push(m.toString()));
  await new Promise<void>((res) => sock.bind(0, '127.0.0.1', () => res()));
  const r = await startTestRouter({ routes: [['dgram', `syslog+udp://127.0.0.1:${sock.address().port}`]] });
  t.teardown(async () => {
    await r.close();
    sock.close();
  });
  const frames: Buffer[] = [];
  for (let i = 0; i < 50; i++) frames.push(octet(`<14>1 2024-05-01T10:00:00Z dgram app - - - ${i}`));
  await sendTcp(r.ports.tcp, frames);
  await until(() => got.length === 50, 'datagrams received');
  t.same(got, Array.from({ length: 50 }, (_, i) => `<14>1 2024-05-01T10:00:00Z dgram app - - - ${i}`));
  const [d] = drainsOf(r.app, 'dgram');
  await until(() => d.queued === 0, 'idle');
  t.equal(d.stats.delivered, 50);
});
