// What a scenario gets and what it gives back; the runner prints and tabulates
// ScenarioResult without knowing how each scenario measured it.
import type { CTools } from '../lib/c-tools';

export interface RunContext {
  tools: CTools;
  /** --messages: overrides each scenario's default message count. */
  messages?: number;
  /** --repeat N: throughput runs per figure, median kept. */
  repeat?: number;
  /** --no-peers: skip rsyslog/syslog-ng (quicker iterations on the router alone). */
  noPeers?: boolean;
  /** --profile: directory for the router's V8 CPU profiles. */
  profileDir?: string;
  /** Figures scenarios share (e.g. scenario 1's CPU per message for scenario 3). */
  shared: Map<string, number>;
  log(line: string): void;
}

export interface PeerFigure {
  name: string;
  /** Delivered messages/s, or why there is none. */
  rate?: number;
  peakRss?: number;
  lossRatio?: number;
  why?: string;
}

export interface ScenarioResult {
  id: number;
  title: string;
  /** Set when the scenario could not run: "not available: <why>". */
  unavailable?: string;
  /** Delivered messages/s (deliveries, i.e. × fan-out). */
  rate?: number;
  sent?: number;
  received?: number;
  /** received ÷ (sent × fan-out). */
  deliveredRatio?: number;
  idleRss?: number;
  peakRss?: number;
  /** Offered input rate for the latency figures. */
  latencyRate?: number;
  p50us?: number;
  p99us?: number;
  /** The generator straight into the sink at the same offered rate: what the machine adds without a router. */
  floorP50us?: number;
  floorP99us?: number;
  /** Delivered/sent during the latency run (UDP loss shows here too). */
  latencyDeliveredRatio?: number;
  /** Router CPU microseconds per input message. */
  cpuUsPerMsg?: number;
  /**
   * With FlowSpec.pairedWith: the median over runs of this scenario's rate ÷
   * the rate of the paired scenario measured right before it.
   */
  pairedRatio?: number;
  peers: PeerFigure[];
  /** Generator straight into the sink, msgs/s. */
  ceiling?: number;
  /** Anything else worth a column: "initial load 1.2 s", "UDP loss 3 %". */
  notes: string[];
}

export interface Scenario {
  id: number;
  title: string;
  defaultMessages: number;
  run(ctx: RunContext, messages: number): Promise<ScenarioResult>;
}

export function emptyResult(id: number, title: string): ScenarioResult {
  return { id, title, peers: [], notes: [] };
}
