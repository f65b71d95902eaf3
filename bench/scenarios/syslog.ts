// Scenarios 1-7: the syslog/HTTP inputs into syslog+tcp drains.
import { selfSignedCert } from '../lib/tls-cert';
import { rsyslog, syslogNg } from '../peers';
import { flowScenario, hostRoutes, type FlowSpec } from './flow';
import type { Scenario } from './types';

const drain = (port: number, query = ''): string => `syslog+tcp://127.0.0.1:${port}${query}`;
const HOSTS = 100;

const tcpOctetSpec: FlowSpec = {
  id: 1,
  title: 'TCP octet-counted RFC 5424, 100 hosts → 1 drain',
  defaultMessages: 3_000_000,
  load: { proto: 'tcp', framing: 'octet', format: '5424', hosts: HOSTS, hostStats: true },
  input: (r) => r.ports.tcp,
  routes: ([p]) => hostRoutes(HOSTS, 'host-', drain(p)),
  ceiling: true,
  // syslog-ng with flow control runs at ~0.2 M/s: 1 M messages say as much as 3 M.
  peers: [{ peer: rsyslog }, { peer: syslogNg, maxMessages: 1_000_000 }],
  after: (ctx, r) => {
    if (r.cpuUsPerMsg !== undefined) ctx.shared.set('cpuUsPerMsg:1', r.cpuUsPerMsg);
  },
};
export const tcpOctet: Scenario = flowScenario(tcpOctetSpec);

export const tcpLf3164: Scenario = flowScenario({
  id: 2,
  title: 'TCP LF-framed RFC 3164, 100 hosts → 1 drain',
  defaultMessages: 2_000_000,
  load: { proto: 'tcp', framing: 'lf', format: '3164', hosts: HOSTS },
  input: (r) => r.ports.tcp,
  routes: ([p]) => hostRoutes(HOSTS, 'host-', drain(p)),
  ceiling: true,
  // rsyslog forwards the RFC 3164 line as received (%rawmsg%); syslog-ng and
  // switchyard rewrite it as RFC 5424, which is more work.
  peers: [{ peer: rsyslog }, { peer: syslogNg, maxMessages: 500_000 }],
});

const FANOUT = 10;
export const fanOut: Scenario = flowScenario({
  id: 3,
  title: 'fan-out: 1 host → 10 drains',
  // As many input messages as scenario 1, whose CPU per message it is
  // compared with: each run starts a fresh router, and with 500,000 messages
  // its start-up (JIT compilation, first connections) weighed six times as
  // much per message as in scenario 1 (3.8× of scenario 1 became 2.4-2.9×
  // with 3,000,000, on one machine on one day).
  defaultMessages: 3_000_000,
  load: { proto: 'tcp', framing: 'octet', format: '5424', hosts: 1, fanout: FANOUT, sinkPorts: FANOUT },
  input: (r) => r.ports.tcp,
  routes: (ports) => ports.map((p): [string, string] => ['host-0', drain(p)]),
  // One action / destination per sink port. syslog-ng delivers ~0.1 M/s in
  // all, so 100,000 messages (1,000,000 deliveries) say enough.
  peers: [{ peer: rsyslog }, { peer: syslogNg, maxMessages: 100_000 }],
  after: (ctx, r) => {
    const base = ctx.shared.get('cpuUsPerMsg:1');
    if (r.cpuUsPerMsg === undefined) return;
    if (base) r.notes.push(`CPU per input msg ${(r.cpuUsPerMsg / base).toFixed(1)}× scenario 1`);
    ctx.log(`  CPU per input message: ${r.cpuUsPerMsg.toFixed(2)} µs` + (base ? ` vs ${base.toFixed(2)} µs in scenario 1` : ''));
  },
});

export const udp: Scenario = flowScenario({
  id: 4,
  title: 'UDP RFC 5424, 100 hosts → 1 drain',
  defaultMessages: 1_000_000,
  load: { proto: 'udp', format: '5424', hosts: HOSTS },
  input: (r) => r.ports.udp,
  routes: ([p]) => hostRoutes(HOSTS, 'host-', drain(p)),
  peers: [{ peer: rsyslog }, { peer: syslogNg }],
  after: (ctx, r) => {
    // UDP has no backpressure: loss is the figure, at full speed and paced.
    const full = r.deliveredRatio === undefined ? '–' : `${((1 - r.deliveredRatio) * 100).toFixed(1)} %`;
    const paced = r.latencyDeliveredRatio === undefined ? '–' : `${((1 - r.latencyDeliveredRatio) * 100).toFixed(2)} %`;
    r.notes.push(`UDP loss ${full} flat out, ${paced} at ½ max`);
    ctx.log(`  UDP loss: ${full} at full speed, ${paced} at half the measured maximum`);
  },
});

const MANY = 10_000;
export const manyDrains: Scenario = flowScenario({
  id: 5,
  title: '10,000 hosts → 10,000 drains (one sink port, distinct ?name=)',
  // As many as scenario 1, which it is compared with: 300 messages per drain
  // measure the steady state, not each drain's first message.
  defaultMessages: 3_000_000,
  load: { proto: 'tcp', framing: 'octet', format: '5424', hosts: MANY, hostStats: true },
  input: (r) => r.ports.tcp,
  // Drains are identified by their whole URL, so ?name=d-N makes N distinct
  // drains (each with its own ring and metrics; they share one connection,
  // DRAIN_SHARE_CONNECTIONS) to the same sink port.
  routes: ([p]) => Array.from({ length: MANY }, (_, i): [string, string] => [`host-${i}`, drain(p, `?name=d-${i}`)]),
  ceiling: true,
  // Scenario 1's load and routes, measured right before each run of this one.
  pairedWith: tcpOctetSpec,
  after: (ctx, r) => {
    if (r.pairedRatio === undefined) return;
    r.notes.push(`${(r.pairedRatio * 100).toFixed(0)} % of scenario 1 run just before`);
    ctx.log(`  throughput ${(r.pairedRatio * 100).toFixed(0)} % of scenario 1's, each run right after one of scenario 1`);
  },
});

export const tls: Scenario = flowScenario({
  id: 6,
  title: 'TLS octet-counted RFC 5424, 100 hosts → 1 drain',
  defaultMessages: 1_000_000,
  load: { proto: 'tls', framing: 'octet', format: '5424', hosts: HOSTS },
  input: (r) => r.ports.tls,
  routes: ([p]) => hostRoutes(HOSTS, 'host-', drain(p)),
  prepare: () => ({ tls: selfSignedCert() }),
});

export const httpLogplex: Scenario = flowScenario({
  id: 7,
  title: 'HTTP POST /syslog, logplex bodies of 100, 4 connections',
  defaultMessages: 1_000_000,
  load: { proto: 'http', format: '5424', hosts: HOSTS, frames: 100, conns: 4 },
  input: (r) => r.ports.http,
  routes: ([p]) => hostRoutes(HOSTS, 'host-', drain(p)),
});
