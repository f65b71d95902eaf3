// The two measurements every syslog scenario makes, the same way for the
// router, the peers and the bare generator → sink ceiling:
//
//   throughput: send N messages as fast as the generator can; delivered
//     rate = messages received ÷ (last arrival at the sink − first send).
//     Both clocks are CLOCK_MONOTONIC on this machine, so the span covers
//     everything the target buffered, not just what it accepted.
//   latency: offer a fixed rate (half the measured maximum) for a few
//     seconds after one second of warm-up at that rate; p50/p99 of
//     (arrival − send stamp) over the seconds after the warm-up.
import { cpuSeconds, memStats } from './proc-stats';
import { runLoadgen, startSink, type LoadgenOptions, type LoadgenResult, type SinkResult } from './tool-process';
import type { CTools } from './c-tools';

/** Something messages go through: the router, a peer, or nothing (ceiling). */
export interface Target {
  /** Process to watch for RSS and CPU; absent for the ceiling. */
  pid?: number;
  /** Where the generator sends. */
  port: number;
  /** Prometheus text from the target, read just before it stops. */
  metrics?(): Promise<string>;
  stop(): Promise<void>;
}

/** Starts a target whose drains point at the given sink ports. */
export type Launch = (sinkPorts: number[]) => Promise<Target>;

export type Load = Omit<LoadgenOptions, 'port' | 'count' | 'rate'> & {
  /** Deliveries per message sent (fan-out). */
  fanout?: number;
  /** Sink ports to open (one per drain destination). */
  sinkPorts?: number;
  hostStats?: boolean;
};

export interface ThroughputResult {
  sent: number;
  received: number;
  /** Deliveries per second, end to end. */
  rate: number;
  /** Messages sent per second of the same span (rate ÷ fanout). */
  inputRate: number;
  lossRatio: number;
  idleRss?: number;
  peakRss?: number;
  /** CPU seconds the target used during the run. */
  cpuSeconds?: number;
  sink: SinkResult;
  loadgen: LoadgenResult;
  /** The target's /metrics after the run, when it has one. */
  metrics?: string;
}

export interface LatencyResult {
  rate: number;
  sent: number;
  received: number;
  p50us: number;
  p99us: number;
  peakRss?: number;
}

/** A sink that got nothing this long after it started gives up: the target
 * lacks the feature. Covers router start-up (≤ 2 s) plus the first flush. */
const NOTHING_ARRIVED_MS = 15_000;

/** How long the target may sit idle after start before the idle RSS sample. */
const IDLE_SETTLE_MS = 1000;

export async function measureThroughput(tools: CTools, launch: Launch, load: Load, count: number): Promise<ThroughputResult> {
  const fanout = load.fanout ?? 1;
  const sink = await startSink(tools.sink, {
    ports: load.sinkPorts ?? 1,
    expect: count * fanout,
    idleMs: 5000,
    waitMs: NOTHING_ARRIVED_MS,
    hostStats: load.hostStats,
  });
  let target: Target | undefined;
  try {
    target = await launch(sink.ports);
    let idleRss: number | undefined;
    if (target.pid) {
      await sleep(IDLE_SETTLE_MS);
      idleRss = memStats(target.pid)?.rss;
    }
    const cpu0 = target.pid ? cpuSeconds(target.pid) : undefined;
    const lg = await runLoadgen(tools.loadgen, { ...load, port: target.port, count });
    const res = await sink.result;
    const cpu1 = target.pid ? cpuSeconds(target.pid) : undefined;
    const peakRss = target.pid ? memStats(target.pid)?.peak : undefined;
    const metrics = await target.metrics?.();
    const span = (res.last_ns - lg.start_ns) / 1e9;
    const rate = span > 0 ? res.received / span : 0;
    return {
      sent: lg.sent,
      received: res.received,
      rate,
      inputRate: rate / fanout,
      lossRatio: lg.sent ? 1 - res.received / (lg.sent * fanout) : 0,
      idleRss,
      peakRss,
      cpuSeconds: cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : undefined,
      sink: res,
      loadgen: lg,
      metrics,
    };
  } finally {
    await sink.stop().catch(() => undefined);
    await target?.stop();
  }
}

/**
 * Load offered before the latency window, excluded from it. A fresh router
 * compiles its hot path in the first few hundred milliseconds of load: with
 * the first 10 % of a 5 s run excluded (0.5 s), the backlog of that
 * start-up still reached the window in some runs (measured at 650 k msg/s:
 * 15-57 ms of latency for ~200 ms after the first message, then a decaying
 * tail), so the p99 said more about start-up than about a running router.
 */
const LATENCY_WARMUP_SECONDS = 1;

export async function measureLatency(
  tools: CTools,
  launch: Launch,
  load: Load,
  rate: number,
  seconds: number,
): Promise<LatencyResult> {
  const fanout = load.fanout ?? 1;
  const warmup = Math.round(rate * LATENCY_WARMUP_SECONDS);
  const count = warmup + Math.max(1000, Math.round(rate * seconds));
  const sink = await startSink(tools.sink, {
    ports: load.sinkPorts ?? 1,
    expect: count * fanout,
    idleMs: 3000,
    waitMs: NOTHING_ARRIVED_MS,
    warmup: warmup * fanout,
  });
  let target: Target | undefined;
  try {
    target = await launch(sink.ports);
    // As before the throughput run: start-up's own work (the last lazy
    // loads, its garbage) is not part of the load.
    if (target.pid) await sleep(IDLE_SETTLE_MS);
    const lg = await runLoadgen(tools.loadgen, { ...load, port: target.port, count, rate });
    const res = await sink.result;
    return {
      rate,
      sent: lg.sent,
      received: res.received,
      p50us: res.p50_us,
      p99us: res.p99_us,
      peakRss: target.pid ? memStats(target.pid)?.peak : undefined,
    };
  } finally {
    await sink.stop().catch(() => undefined);
    await target?.stop();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
