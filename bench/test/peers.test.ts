// The peers' generated configs, run for real (when installed): a wrong
// config would make every comparison in the results table meaningless.
import t from 'tap';
import { buildTools } from '../lib/c-tools';
import { runLoadgen, startSink, type LoadgenOptions, type SinkResult } from '../lib/tool-process';
import { rsyslog, rsyslogConfig, syslogNg, syslogNgConfig, type Peer, type PeerInput } from '../peers';

const tools = buildTools();

t.test('configs: one action / destination per sink port, input by protocol', async (t) => {
  const rs = rsyslogConfig('/tmp/x', 5000, [6001, 6002, 6003], { proto: 'udp' });
  t.equal(rs.match(/type="omfwd"/g)?.length, 3);
  t.match(rs, 'input(type="imudp" address="127.0.0.1" port="5000"');
  t.match(rs, 'TCP_Framing="octet-counted"');
  t.match(rsyslogConfig('/tmp/x', 5000, [6001], { proto: 'tcp' }), 'input(type="imptcp"');
  const ng = syslogNgConfig(5000, [6001, 6002], { proto: 'tcp', framing: 'lf' });
  t.match(ng, 'network(ip("127.0.0.1") port(5000) transport("tcp"))');
  t.match(ng, 'destination(d0); destination(d1); flags(flow-control)');
  t.match(syslogNgConfig(5000, [6001], { proto: 'tcp' }), 'syslog(ip("127.0.0.1") port(5000) transport("tcp"))');
});

/** Generator → peer → sink; what the sink got. */
async function forwards(peer: Peer, input: PeerInput, ports: number, loadgen: Omit<LoadgenOptions, 'port'>): Promise<SinkResult> {
  const sink = await startSink(tools.sink, { ports, expect: loadgen.count * ports, idleMs: 3000, hostStats: true });
  const p = await peer.start(sink.ports, input);
  try {
    await runLoadgen(tools.loadgen, { ...loadgen, port: p.port });
    return await sink.result;
  } finally {
    await p.stop();
    await sink.stop().catch(() => undefined);
  }
}

for (const peer of [rsyslog, syslogNg]) {
  const skip = peer.unavailable() ?? false;
  t.test(`${peer.name}: TCP octet-counted in → octet-counted out`, { skip }, async (t) => {
    const r = await forwards(peer, { proto: 'tcp', framing: 'octet' }, 1, { count: 2000, hosts: 5 });
    t.equal(r.received, 2000);
    t.same([r.hosts, r.host_min, r.host_max], [5, 400, 400], 'hostnames intact');
    t.equal(r.lat_n, 2000, 'the send stamp survives');
  });
  t.test(`${peer.name}: LF-framed RFC 3164 in, fan-out to 3`, { skip }, async (t) => {
    const r = await forwards(peer, { proto: 'tcp', framing: 'lf' }, 3, { count: 500, hosts: 5, framing: 'lf', format: '3164' });
    t.same(r.per_port, [500, 500, 500], 'every message to every destination');
    t.equal(r.hosts, 5);
  });
  t.test(`${peer.name}: UDP in (paced, so nothing is lost)`, { skip }, async (t) => {
    const r = await forwards(peer, { proto: 'udp' }, 1, { proto: 'udp', count: 300, hosts: 3, rate: 3000 });
    t.equal(r.received, 300);
    t.equal(r.hosts, 3);
  });
}
