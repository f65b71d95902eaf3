// Scenarios 1-7 share one shape: generator → router input → drain(s) → sink.
// Each is a FlowSpec (load, routes, which input port) run by runFlow, which
// measures the ceiling, the peers and the router the same way.
import { measureLatency, measureThroughput, type Launch, type Load, type Target, type ThroughputResult } from '../lib/measure';
import { metricSum, startRouter, type RouterOptions, type RouterProcess } from '../router-process';
import type { Peer, PeerInput } from '../peers';
import { emptyResult, type RunContext, type Scenario, type ScenarioResult } from './types';

export interface FlowSpec {
  id: number;
  title: string;
  defaultMessages: number;
  load: Load;
  /** Which router port the generator sends to. */
  input(r: RouterProcess): number;
  /** Routes for the drains, given the sink's ports. */
  routes(sinkPorts: number[]): Array<[string, string]>;
  /** Extra router options (TLS certificate, ...), or why the scenario can't run. */
  prepare?(ctx: RunContext): Partial<RouterOptions> | string;
  /** Generator → sink straight, as a ceiling (TCP loads with one sink port). */
  ceiling?: boolean;
  /** Peers to run with the same load, and with how many messages at most. */
  peers?: Array<{ peer: Peer; maxMessages?: number }>;
  /** Seconds of paced load for the latency figures. */
  latencySeconds?: number;
  /**
   * A scenario whose router throughput is measured right before each of this
   * one's runs, for ScenarioResult.pairedRatio. The machine's speed drifts by
   * tens of percent within minutes; a ratio of figures taken minutes apart
   * (scenario 5 against scenario 1 was 52-92 % in one session) says more
   * about the drift than about the router.
   */
  pairedWith?: FlowSpec;
  after?(ctx: RunContext, r: ScenarioResult): void;
}

/** The generator sending straight to the sink: the ceiling, and the latency floor. */
const direct: Launch = async (ports) => ({ port: ports[0], stop: async () => {} });

export function hostRoutes(hosts: number, prefix: string, url: string): Array<[string, string]> {
  const routes: Array<[string, string]> = [];
  for (let i = 0; i < hosts; i++) routes.push([`${prefix}${i}`, url]);
  return routes;
}

export function flowScenario(spec: FlowSpec): Scenario {
  return {
    id: spec.id,
    title: spec.title,
    defaultMessages: spec.defaultMessages,
    run: (ctx, messages) => runFlow(ctx, spec, messages),
  };
}

async function runFlow(ctx: RunContext, spec: FlowSpec, messages: number): Promise<ScenarioResult> {
  const result = emptyResult(spec.id, spec.title);
  const load = spec.load;
  if (load.proto === 'tls' && !ctx.tools.tls) {
    result.unavailable = ctx.tools.tlsMissing;
    return result;
  }

  if (spec.ceiling) {
    const c = await repeated(ctx, 'ceiling', () => measureThroughput(ctx.tools, direct, load, messages));
    result.ceiling = c.rate;
    ctx.log(`  ceiling (loadgen → sink): ${fmtRate(c.rate)}`);
  }

  for (const { peer, maxMessages } of ctx.noPeers ? [] : spec.peers ?? []) {
    const why = peer.unavailable();
    if (why) {
      result.peers.push({ name: peer.name, why });
      ctx.log(`  ${peer.name}: not available: ${why}`);
      continue;
    }
    const n = Math.min(messages, maxMessages ?? messages);
    try {
      const launch: Launch = async (ports) => {
        const input: PeerInput = load.proto === 'udp' ? { proto: 'udp' } : { proto: 'tcp', framing: load.framing };
        const p = await peer.start(ports, input);
        return { pid: p.pid, port: p.port, stop: () => p.stop() };
      };
      const t = await repeated(ctx, peer.name, () => measureThroughput(ctx.tools, launch, load, n));
      result.peers.push({ name: peer.name, rate: t.rate, peakRss: t.peakRss, lossRatio: t.lossRatio });
      ctx.log(`  ${peer.name}: ${fmtRate(t.rate)}, delivered ${t.received}/${t.sent * (load.fanout ?? 1)}, peak RSS ${fmtMb(t.peakRss)} (${n} messages)`);
    } catch (e) {
      result.peers.push({ name: peer.name, why: (e as Error).message });
      ctx.log(`  ${peer.name}: failed: ${(e as Error).message}`);
    }
  }

  const extra = spec.prepare?.(ctx) ?? {};
  if (typeof extra === 'string') {
    result.unavailable = extra;
    return result;
  }
  let profiled = false;
  const launchRouter: Launch = async (ports): Promise<Target> => {
    // Profile only the throughput run: that is where the time goes.
    const profileDir = ctx.profileDir && !profiled ? ctx.profileDir : undefined;
    profiled = true;
    return routerTarget(spec, { ...extra, routes: spec.routes(ports), profileDir });
  };
  try {
    await measureRouter(ctx, spec, launchRouter, messages, result);
  } catch (e) {
    result.unavailable = (e as Error).message.split('\n')[0];
  }
  return result;
}

async function routerTarget(spec: FlowSpec, o: RouterOptions): Promise<Target> {
  const r = await startRouter(o);
  return { pid: r.pid, port: spec.input(r), metrics: () => r.metrics(), stop: async () => void (await r.stop()) };
}

async function measureRouter(ctx: RunContext, spec: FlowSpec, launchRouter: Launch, messages: number, result: ScenarioResult): Promise<void> {
  const load = spec.load;
  const base = spec.pairedWith;
  const ratios: number[] = [];
  const t = await repeated(ctx, 'switchyard', async () => {
    const b = base && (await measureThroughput(ctx.tools, (ports) => routerTarget(base, { routes: base.routes(ports) }), base.load, messages));
    const own = await measureThroughput(ctx.tools, launchRouter, load, messages);
    if (base && b && b.rate > 0) {
      ratios.push(own.rate / b.rate);
      ctx.log(`  scenario ${base.id} right before: ${fmtRate(b.rate)}; this run ${fmtRate(own.rate)} = ${((own.rate / b.rate) * 100).toFixed(0)} %`);
    }
    return own;
  });
  if (ratios.length > 0) result.pairedRatio = ratios.sort((x, y) => x - y)[Math.floor(ratios.length / 2)];
  if (t.received === 0) {
    const errs = t.loadgen.errors ? `; the generator saw ${t.loadgen.errors} errors (non-2xx or failed writes)` : '';
    result.unavailable = `router delivered nothing of ${t.sent} messages${errs} (input or drain missing?)`;
    return;
  }
  result.rate = t.rate;
  result.sent = t.sent;
  result.received = t.received;
  result.deliveredRatio = t.received / (t.sent * (load.fanout ?? 1));
  result.idleRss = t.idleRss;
  result.peakRss = t.peakRss;
  if (t.cpuSeconds !== undefined && t.sent) result.cpuUsPerMsg = (t.cpuSeconds * 1e6) / t.sent;
  ctx.log(
    `  switchyard: ${fmtRate(t.rate)}, delivered ${t.received}/${t.sent * (load.fanout ?? 1)}, ` +
      `idle RSS ${fmtMb(t.idleRss)}, peak RSS ${fmtMb(t.peakRss)}, CPU ${result.cpuUsPerMsg?.toFixed(2)} µs/msg`,
  );
  if (t.sink.bad) result.notes.push(`${t.sink.bad} unframeable`);
  if (t.metrics) {
    // The router's own counts tell where losses happen: before it (kernel,
    // UDP), inside it (dropped), or after it.
    const accepted = metricSum(t.metrics, 'switchyard_input_messages_total');
    const dropped = metricSum(t.metrics, 'switchyard_drain_messages_dropped_total') ?? 0;
    const inDropped = metricSum(t.metrics, 'switchyard_input_dropped_total') ?? 0;
    const kernel = metricSum(t.metrics, 'switchyard_input_kernel_drops_total');
    if (accepted !== undefined) {
      const kernelText = kernel ? `, ${kernel} dropped by the kernel before it (UDP)` : '';
      ctx.log(`  router counted ${accepted} messages in, ${inDropped} dropped at input, ${dropped} dropped at drains${kernelText}`);
      if (accepted < t.sent || dropped || inDropped) result.notes.push(`router: ${accepted} in, ${inDropped + dropped} dropped${kernel ? `, kernel dropped ${kernel}` : ''}`);
    }
  }

  const latRate = t.inputRate / 2;
  const l = await measureLatency(ctx.tools, launchRouter, load, latRate, spec.latencySeconds ?? 5);
  result.latencyRate = latRate;
  result.p50us = l.p50us;
  result.p99us = l.p99us;
  result.latencyDeliveredRatio = l.received / (l.sent * (load.fanout ?? 1));
  if (l.peakRss && (result.peakRss ?? 0) < l.peakRss) result.peakRss = l.peakRss;
  ctx.log(
    `  latency at ${fmtRate(latRate)} offered: p50 ${fmtMs(l.p50us)}, p99 ${fmtMs(l.p99us)}, ` +
      `delivered ${l.received}/${l.sent * (load.fanout ?? 1)}`,
  );
  if (spec.ceiling) {
    // On a shared machine the generator, the sink and the kernel alone reach
    // a p99 of milliseconds at this rate; the router's figure includes that.
    const f = await measureLatency(ctx.tools, direct, load, latRate, spec.latencySeconds ?? 5);
    result.floorP50us = f.p50us;
    result.floorP99us = f.p99us;
    ctx.log(`  latency floor (generator → sink at the same rate): p50 ${fmtMs(f.p50us)}, p99 ${fmtMs(f.p99us)}`);
  }
  if (load.hostStats && t.sink.hosts !== undefined && t.sink.hosts !== (load.hosts ?? 100)) {
    result.notes.push(`${t.sink.hosts} of ${load.hosts} hostnames arrived`);
  }
  if (t.sink.host_overflow) result.notes.push(`the sink's hostname table overflowed (${t.sink.host_overflow} messages not counted by name)`);
  spec.after?.(ctx, result);
}

/** --repeat N: run a throughput measurement N times and keep the median run,
 * because on a shared machine one run can be off by 2× either way. */
async function repeated(ctx: RunContext, what: string, run: () => Promise<ThroughputResult>): Promise<ThroughputResult> {
  const runs: ThroughputResult[] = [];
  for (let i = 0; i < Math.max(1, ctx.repeat ?? 1); i++) runs.push(await run());
  if (runs.length === 1) return runs[0];
  runs.sort((a, b) => a.rate - b.rate);
  ctx.log(`  ${what} runs: ${runs.map((r) => fmtRate(r.rate)).join(', ')} → median`);
  return runs[Math.floor(runs.length / 2)];
}

export function fmtRate(r: number | undefined): string {
  if (r === undefined) return '–';
  return r >= 1e6 ? `${(r / 1e6).toFixed(2)} M msg/s` : `${(r / 1e3).toFixed(0)} k msg/s`;
}

export function fmtMb(b: number | undefined): string {
  return b === undefined ? '–' : `${(b / 1024 / 1024).toFixed(0)} MB`;
}

export function fmtMs(us: number | undefined): string {
  return us === undefined || us < 0 ? '–' : `${(us / 1000).toFixed(2)} ms`;
}
