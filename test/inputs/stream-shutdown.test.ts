// Shutdown while a stream connection is paused by a full drain: the frames
// the input had already read (the rest of the chunk it paused in) are routed
// before the connection closes, not silently discarded, and once stopped the
// connection reads nothing more even when the drain makes room.
import t from 'tap';
import { inputStats } from '../../src/telemetry/input-metrics';
import { startTestRouter } from '../helpers/router';
import { startSyslogReceiver } from '../helpers/syslog-receiver';
import { accounted, drainsOf, openTcp, until } from './stream-helpers';

t.test('frames read before shutdown are routed and accounted, none lost in between', async (t) => {
  const rx = await startSyslogReceiver();
  const r = await startTestRouter({
    routes: [['stopper', `${rx.url}?buffer_messages=1000`]],
    env: { DRAIN_OVERFLOW_GRACE: '60s', SHUTDOWN_GRACE: '200ms' },
  });
  t.teardown(async () => {
    rx.unstall();
    await r.close();
    await rx.close();
  });
  const [d] = drainsOf(r.app, 'stopper');
  const stats = inputStats('tcp');
  const before = { bytes: stats.bytes, messages: stats.messages };
  rx.stall();
  // Every frame is exactly L bytes on the wire, so bytes read / L = frames read.
  const frame = (i: number): string => `<14>1 2024-05-01T10:00:00Z stopper app - - - ${String(i).padStart(8, '0')} ${'s'.repeat(200)}\n`;
  const L = frame(0).length;
  const { socket } = await openTcp(r.ports.tcp);
  const all: string[] = [];
  for (let i = 0; i < 100_000; i++) all.push(frame(i));
  socket.write(all.join(''));
  await until(() => stats.pausedConnections === 1, 'the connection paused on the full drain');
  await r.app.close();
  const read = Math.floor((stats.bytes - before.bytes) / L);
  const routed = stats.messages - before.messages;
  t.ok(read > 1000, `${read} frames read before shutdown`);
  t.equal(routed, read, 'every frame read was routed');
  t.equal(accounted(d), routed + d.notices, 'and accounted for by the drain');
  socket.destroy();
});
