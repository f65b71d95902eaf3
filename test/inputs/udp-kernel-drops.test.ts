// Datagrams the kernel drops on the UDP input's socket are counted
// (switchyard_input_kernel_drops_total): a real socket with a small receive
// buffer, flooded while the router's event loop is held up, must account for
// every datagram as received or dropped. Plus the /proc/net/udp parser, and
// the warning when the kernel grants less buffer than asked.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import pino from 'pino';
import t from 'tap';
import { parseProcNetUdp } from '../../src/inputs/udp-kernel-drops';
import { metricValue } from '../helpers/metrics';
import { startTestRouter } from '../helpers/router';

t.test('/proc/net/udp rows: port, inode and drops; the header and malformed lines skipped', async (t) => {
  // As the kernel writes it: a header, then one socket per line (the second
  // with less padding, as a hand-edited sample), then noise.
  const text = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  123: 0100007F:2329 00000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 48213 2 0000000000000000 17
 9: 00000000:0202 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 123 2 0000000000000000 0
garbage
`;
  t.same(parseProcNetUdp(text), [
    { port: 0x2329, inode: 48213, drops: 17 },
    { port: 0x0202, inode: 123, drops: 0 },
  ]);
  const v6 = '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n' +
    '  400: 00000000000000000000000001000000:A3F1 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 777 2 0000000000000000 3\n';
  t.same(parseProcNetUdp(v6), [{ port: 0xa3f1, inode: 777, drops: 3 }]);
});

const linux = existsSync('/proc/net/udp');

t.test('a flood while the loop is held up: every datagram is received or counted as a kernel drop', { skip: !linux && 'no /proc/net/udp here' }, async (t) => {
  const r = await startTestRouter({ env: { UDP_RECEIVE_BUFFER: '4KiB' } });
  t.teardown(() => r.close());
  const received0 = await metricValue('switchyard_input_messages_total', { input: 'udp' });
  const dropped0 = await metricValue('switchyard_input_kernel_drops_total', { input: 'udp' });
  t.ok(await metricValue('switchyard_input_receive_buffer_bytes', { input: 'udp' }) > 0, 'the granted buffer is published');

  // spawnSync holds this process's event loop, the router's, while the child
  // sends: the socket's few KiB fill at once and the kernel drops the rest.
  const N = 3000;
  const sender = `
    const s = require('node:dgram').createSocket('udp4');
    const msg = Buffer.from('<14>1 2026-12-01T00:00:00Z flood app - - - ' + 'x'.repeat(120));
    let left = ${N};
    for (let i = 0; i < ${N}; i++) s.send(msg, ${r.ports.udp}, '127.0.0.1', () => { if (--left === 0) s.close(); });`;
  const child = spawnSync(process.execPath, ['-e', sender], { stdio: 'inherit', timeout: 30_000 });
  t.equal(child.status, 0, 'the sender sent everything');

  let received = 0;
  let dropped = 0;
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((res) => setTimeout(res, 20))) {
    received = (await metricValue('switchyard_input_messages_total', { input: 'udp' })) - received0;
    dropped = (await metricValue('switchyard_input_kernel_drops_total', { input: 'udp' })) - dropped0;
    if (received + dropped === N) break;
  }
  t.equal(received + dropped, N, `${received} received + ${dropped} dropped by the kernel`);
  t.ok(dropped > 0, 'the flood overflowed the buffer');
  t.ok(received > 0, 'what fitted was read once the loop ran');
});

t.test('a receive buffer larger than net.core.rmem_max: granted what the kernel allows, with a warning', { skip: !linux && 'no /proc/net/udp here' }, async (t) => {
  const rmemMax = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8').trim());
  const lines: Array<{ msg: string; asked?: number; granted?: number }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l));
      done();
    },
  });
  const asked = rmemMax * 4;
  const r = await startTestRouter({ env: { UDP_RECEIVE_BUFFER: String(asked) }, logger: pino({ level: 'warn' }, sink) });
  t.teardown(() => r.close());
  const granted = await metricValue('switchyard_input_receive_buffer_bytes', { input: 'udp' });
  t.equal(granted, 2 * rmemMax, 'Linux caps at rmem_max and reports it doubled');
  const warning = lines.find((l) => /granted a smaller receive buffer/.test(l.msg));
  t.ok(warning, 'the start-up log says so');
  t.same([warning?.asked, warning?.granted], [asked, granted]);
});
