// Runs the C sink and load generator as child processes and parses the one
// line of JSON each prints. Everything else in the bench talks to them only
// through these two functions.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface SinkResult {
  received: number;
  bytes: number;
  /** Frames the sink could not split (framing lost). */
  bad: number;
  conns: number;
  /** CLOCK_MONOTONIC ns of the first and last message. */
  first_ns: number;
  last_ns: number;
  lat_n: number;
  p50_us: number;
  p99_us: number;
  p999_us: number;
  max_us: number;
  per_port: number[];
  hosts?: number;
  host_min?: number;
  host_max?: number;
  /** Messages whose hostname found the sink's table full (more names than it tracks). */
  host_overflow?: number;
}

export interface LoadgenResult {
  sent: number;
  errors: number;
  start_ns: number;
  end_ns: number;
  elapsed_s: number;
  rate: number;
}

export interface SinkOptions {
  /** How many ports to listen on (ephemeral). */
  ports?: number;
  /** Exit once this many messages arrived. */
  expect: number;
  /** Exit after this long without data once something arrived. */
  idleMs?: number;
  /** Exit after this long if nothing ever arrives. */
  waitMs?: number;
  /** Messages excluded from latency figures (start-up transients). */
  warmup?: number;
  hostStats?: boolean;
}

export interface Sink {
  ports: number[];
  /** Resolves when the sink exits on its own (expect/idle) or after stop(). */
  result: Promise<SinkResult>;
  /** Ask the sink to report now (SIGTERM); resolves with what it got. */
  stop(): Promise<SinkResult>;
}

export function startSink(bin: string, o: SinkOptions): Promise<Sink> {
  const args = ['--expect', String(o.expect), '--idle-ms', String(o.idleMs ?? 5000), '--wait-ms', String(o.waitMs ?? 60000)];
  for (let i = 0; i < (o.ports ?? 1); i++) args.push('--port', '0');
  if (o.warmup) args.push('--warmup', String(o.warmup));
  if (o.hostStats) args.push('--host-stats', '1');
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  return new Promise((resolveStart, rejectStart) => {
    let ports: number[] | undefined;
    let resolveResult!: (r: SinkResult) => void;
    let rejectResult!: (e: Error) => void;
    const result = new Promise<SinkResult>((res, rej) => {
      resolveResult = res;
      rejectResult = rej;
    });
    result.catch(() => {}); // the caller may never await it when a scenario fails early
    lines.on('line', (line) => {
      const j = JSON.parse(line);
      if (!ports) {
        ports = j.ports as number[];
        resolveStart({
          ports,
          result,
          stop: () => {
            if (child.exitCode === null) child.kill('SIGTERM');
            return result;
          },
        });
      } else resolveResult(j as SinkResult);
    });
    // 'close' comes after stdout has ended, so every line has been seen.
    child.on('close', (code) => {
      const err = new Error(`sink exited with code ${code} before reporting`);
      if (!ports) rejectStart(err);
      rejectResult(err); // no-op when the result line already resolved it
    });
  });
}

export interface LoadgenOptions {
  port: number;
  proto?: 'tcp' | 'udp' | 'tls' | 'http';
  framing?: 'octet' | 'lf';
  format?: '5424' | '3164';
  count: number;
  /** Messages per second in total; omitted = as fast as possible. */
  rate?: number;
  size?: number;
  hosts?: number;
  prefix?: string;
  conns?: number;
  frames?: number;
  /** With `rate`: µs of load per burst (loadgen default 200). */
  burstUs?: number;
}

export function runLoadgen(bin: string, o: LoadgenOptions): Promise<LoadgenResult> {
  const args = ['--port', String(o.port), '--count', String(o.count)];
  const add = (flag: string, v: string | number | undefined): void => {
    if (v !== undefined) args.push(flag, String(v));
  };
  add('--proto', o.proto);
  add('--framing', o.framing);
  add('--format', o.format);
  add('--rate', o.rate === undefined ? undefined : Math.round(o.rate));
  add('--size', o.size);
  add('--hosts', o.hosts);
  add('--prefix', o.prefix);
  add('--conns', o.conns);
  add('--frames', o.frames);
  add('--burst-us', o.burstUs);
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return collectJson<LoadgenResult>(child, 'loadgen');
}

function collectJson<T>(child: ChildProcess, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop();
      if (!line) return reject(new Error(`${what} exited with code ${code} and no result`));
      try {
        resolve(JSON.parse(line) as T);
      } catch {
        reject(new Error(`${what} printed no JSON: ${line}`));
      }
    });
  });
}
