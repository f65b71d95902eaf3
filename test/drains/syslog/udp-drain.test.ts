// A syslog+udp drain counts each datagram's own outcome: a datagram the kernel
// refuses is an error and a drop, never a delivery, wherever it falls in a
// batch (the last one included). The refusal is real: over IPv4 a UDP
// datagram holds at most 65,507 bytes, and a larger send fails with EMSGSIZE.
import dgram from 'node:dgram';
import t from 'tap';
import { startTestRouter } from '../../helpers/router';
import { accounted, drainsOf, octet, sendTcp, until } from '../../inputs/stream-helpers';

const small = (i: number): string => `<14>1 2024-05-01T10:00:00Z dgram app - - - small ${i}`;
const huge = (i: number): string => `<14>1 2024-05-01T10:00:00Z dgram app - - - huge ${i} ${'x'.repeat(70_000)}`;

t.test('datagrams over the UDP maximum: errors and oversize drops, the rest delivered', async (t) => {
  const sock = dgram.createSocket('udp4');
  const got: string[] = [];
  sock.on('message', (m) => got.push(m.toString()));
  await new Promise<void>((res) => sock.bind(0, '127.0.0.1', () => res()));
  const r = await startTestRouter({ routes: [['dgram', `syslog+udp://127.0.0.1:${sock.address().port}`]], env: { MAX_MESSAGE_BYTES: '128KiB' } });
  t.teardown(async () => {
    await r.close();
    sock.close();
  });
  const [d] = drainsOf(r.app, 'dgram');
  // One TCP write: the drain takes them as one batch when it can, with a
  // refused datagram in the middle and one last.
  const msgs = [small(0), huge(1), small(2), huge(3)];
  await sendTcp(r.ports.tcp, [Buffer.concat(msgs.map((m) => octet(m)))]);
  await until(() => d.queued === 0 && d.stats.delivered + d.stats.dropped.oversize >= 4, 'every datagram settled');
  t.equal(d.stats.dropped.oversize, 2, 'the two huge ones dropped as oversize');
  t.equal(d.stats.errors, 2, 'each refused send is an error');
  await until(() => got.length === d.stats.delivered, 'delivered datagrams received');
  // The next message taken from the ring is when an L10 notice would go out.
  await sendTcp(r.ports.tcp, [octet(small(4))]);
  await until(() => d.queued === 0 && d.stats.delivered >= 3, 'the next one delivered');
  await until(() => got.length === d.stats.delivered, 'delivered datagrams received');
  t.same(got, [small(0), small(2), small(4)], 'the small ones, and no L10 notice: no buffer overflowed');
  t.equal(d.notices, 0);
  t.equal(d.stats.delivered, 3, 'only the small ones counted as delivered');
  t.equal(accounted(d), msgs.length + 1);
});
