// Micro-benchmark of the router's hot path as a TCP connection drives it:
// StreamFramer → Intake.take → Router.route → Drain.push into real syslog
// stream drains (octet-counted), chunk by chunk with the deferred copies
// settled after each chunk, as StreamConnection does. The rings are emptied
// after every chunk (a transport would take the records), so they never fill.
//
//   one drain:  100 hostnames → 1 drain   (bench scenario 1's shape)
//   fan-out:    1 hostname → 10 drains    (bench scenario 3's shape)
//   mixed:      as fan-out, the last drain LF-framed (the fast path's worst case)
//   many:       10,000 hostnames → 10,000 drains sharing one link (scenario 5's
//               shape: messages go through the link's stage, which is emptied
//               and confirmed after every chunk, as a completed write does)
//
//   npx tsc -p . && node dist/bench/micro/fanout.js [--seconds 2] [--case one|fanout|mixed|many]
//
// --seconds is per case, run as 150 ms rounds interleaved across the cases.
//
// Each case runs twice: "before" with the router as it was
// before its fast path (RouterBeforeFastPath below: wouldRefuse() on every
// target, then push() to each), "now" with the router as it is. Prints CPU ns
// per input message and the fan-out ÷ one-drain ratio (the figure bench
// scenario 3 reports as "CPU per input msg N× scenario 1", here without
// sockets). Numbers guide optimisation; they are not assertions.
import pino from 'pino';
import { createDrain, parseDrainUrl } from '../../src/drains';
import { settlePendingCopies } from '../../src/drains/deferred-copy';
import type { Drain } from '../../src/drains/drain';
import type { Feeder } from '../../src/drains/drain-types';
import { StreamLinkPool } from '../../src/drains/syslog/link-pool';
import type { StreamLink } from '../../src/drains/syslog/stream-link';
import { Intake } from '../../src/inputs/intake';
import { RouteTable } from '../../src/router/route-table';
import { Router } from '../../src/router/router';
import { ACCEPTED, PAUSE, REFUSED, UNROUTED } from '../../src/router/verdict';
import { StreamFramer, type FrameHandler } from '../../src/syslog/framer';
import { InputStats } from '../../src/telemetry/input-metrics';
import { chunked, octetFramed, syslogMessage } from './input-stream';

const MSG_SIZE = 200;
const CHUNK = 64 * 1024;
const STREAM_MESSAGES = 20000;
const secondsArg = process.argv.indexOf('--seconds');
const SECONDS = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 2;
const ROUND_MS = 150;

const stream = (hosts: number): Buffer => octetFramed(Array.from({ length: STREAM_MESSAGES }, (_, i) => syslogMessage(i, 5424, hosts, MSG_SIZE)));

const logger = pino({ level: 'silent' });
const ctx = {
  logger,
  buffer: { policy: 'backpressure' as const, bytes: 8 << 20, messages: 50000, graceMs: 1000 },
  connectTimeoutMs: 1000,
  writeTimeoutMs: 1000,
  services: {},
};

// Port 9 (discard) on loopback: nothing connects during the synchronous run.
const drain = (i: number, framing = 'octet', links?: StreamLinkPool): Drain =>
  createDrain(parseDrainUrl(`syslog+tcp://127.0.0.1:9?name=micro-${i}&framing=${framing}`), { ...ctx, links });

/** Empties a shared link's stage as completed writes would: every batch confirmed to its drains. */
function drainStage(link: StreamLink): number {
  let bytes = 0;
  for (let b = link['stage'].take(); b !== null; b = link['stage'].take()) {
    bytes += b.buf.length;
    b.segs.confirmAll();
    link['pools'].release(b);
  }
  return bytes;
}

/** What StreamConnection does per chunk, without the socket. */
class Connection implements FrameHandler, Feeder {
  private readonly framer = new StreamFramer(64 * 1024, this);
  private readonly stats = new InputStats('micro');
  private readonly fallback = Buffer.from('127.0.0.1');
  private chunk: Buffer | null = null;
  pauses = 0;

  constructor(private readonly intake: Intake) {}

  feed(chunk: Buffer): void {
    this.chunk = chunk;
    if (!this.framer.push(chunk)) throw new Error('paused: the rings are emptied after every chunk, this should not happen');
    this.chunk = null;
    settlePendingCopies();
  }

  onFrame(buf: Buffer, start: number, end: number): boolean {
    this.intake.take(buf, start, end, this.fallback, this, this.stats, buf === this.chunk);
    return true;
  }

  onOversize(): void {}
  resumeFeed(): void {}
}

/**
 * The router before the fast path (kept to compare, in the same run): every
 * message asks every target wouldRefuse(), then push()es to each.
 */
class RouterBeforeFastPath extends Router {
  route(buf: Buffer, start: number, end: number, hostStart: number, hostEnd: number, feeder: Feeder | null, stable = false): number {
    const to = this.routes.lookupAny(buf, hostStart, hostEnd);
    if (to === undefined) return UNROUTED;
    const n = end - start;
    if (!Array.isArray(to)) return to.wouldRefuse(n, feeder) ? REFUSED : to.push(buf, start, end, feeder, stable);
    for (let i = 0; i < to.length; i++) if (to[i].wouldRefuse(n, feeder)) return REFUSED;
    let verdict = ACCEPTED;
    for (let i = 0; i < to.length; i++) if (to[i].push(buf, start, end, feeder, stable) === PAUSE) verdict = PAUSE;
    return verdict;
  }
}

// `lfLast`: the last target writes LF framing, so no message of an octet-counted
// chunk can extend its run: the fast path fails there every time (its worst case).
// `hosts` === `drains` > 1: hostname i → drain i, all on one shared link.
function setup(hosts: number, drains: number, before: boolean, lfLast: boolean): { pass: () => number; drains: Drain[] } {
  const own = hosts === drains && drains > 1;
  const links = own ? new StreamLinkPool() : undefined;
  const targets = Array.from({ length: drains }, (_, i) => drain(i, lfLast && i === drains - 1 ? 'lf' : 'octet', links));
  const routes = new Map<string, Drain[]>();
  for (let h = 0; h < hosts; h++) routes.set(`host-${h}`, own ? [targets[h]] : targets);
  const router = before ? new RouterBeforeFastPath() : new Router();
  router.setTable(new RouteTable(routes));
  const conn = new Connection(new Intake(router, { tzOffsetMinutes: 0, fallbackHostname: null, maxMessageBytes: 64 * 1024 }));
  const input = chunked(stream(hosts), CHUNK);
  const out = Buffer.allocUnsafe(1 << 20);
  const link = own ? (targets[0] as unknown as { link: StreamLink }).link : null;
  const pass = (): number => {
    let bytes = 0;
    for (const c of input) {
      conn.feed(c);
      // Every message of the shared link goes through its stage (the
      // drains' rings stay empty, checked below): visiting 10,000 rings per
      // chunk would cost more than the messages do.
      if (link !== null) bytes += drainStage(link);
      else for (const d of targets) while (d.ring.shiftInto(out, 1 << 30, null) > 0) bytes += d.ring.lastShiftBytes;
    }
    if (link !== null && targets.some((d) => d.ring.count > 0)) throw new Error('a message went to a ring, not the stage');
    return bytes;
  };
  return { pass, drains: targets };
}

// One round of a case: ns of CPU per input message over ~ROUND_MS.
function round(pass: () => number): number {
  let messages = 0;
  let sink = 0;
  // CPU time rather than wall time: on a shared machine, time spent descheduled is not ours.
  const cpu0 = process.cpuUsage();
  const deadline = Date.now() + ROUND_MS;
  while (Date.now() < deadline) {
    sink += pass();
    messages += STREAM_MESSAGES;
  }
  const cpu = process.cpuUsage(cpu0);
  checksum += sink;
  return ((cpu.user + cpu.system) * 1000) / messages;
}

// `--case one|fanout|mixed` runs one case alone (for a CPU profile of it).
const caseArg = process.argv.indexOf('--case');
const only = caseArg > 0 ? process.argv[caseArg + 1] : null;
const cases: Array<[string, number, number, boolean]> = [];
if (only === null || only === 'one') cases.push(['one drain (100 hosts → 1 drain)', 100, 1, false]);
if (only === null || only === 'fanout') cases.push(['fan-out (1 host → 10 drains)', 1, 10, false]);
if (only === null || only === 'mixed') cases.push(['mixed (10 drains, the last LF-framed)', 1, 10, true]);
if (only === null || only === 'many') cases.push(['many (10,000 hosts → 10,000 drains, one link)', 10000, 10000, false]);
const made: Drain[] = [];
const runs: Array<{ key: string; name: string; pass: () => number; ns: number[] }> = [];
for (const [name, hosts, drains, lfLast] of cases) {
  for (const before of [true, false]) {
    const c = setup(hosts, drains, before, lfLast);
    made.push(...c.drains);
    runs.push({ key: `${before}${drains}${lfLast}`, name: `${before ? 'before' : 'now   '}  ${name}`, pass: c.pass, ns: [] });
  }
}
// The speed of a shared machine drifts by tens of percent from one second to
// the next: every case runs in short rounds, interleaved with the others, and
// the median round is kept, so a slow spell hits every case alike.
let checksum = 0;
for (const r of runs) {
  const warmEnd = Date.now() + 300;
  while (Date.now() < warmEnd) r.pass();
}
const rounds = Math.max(3, Math.round((SECONDS * 1000) / ROUND_MS));
for (let i = 0; i < rounds; i++) for (const r of runs) r.ns.push(round(r.pass));
const ns = new Map<string, number>();
for (const r of runs) {
  const m = median(r.ns);
  ns.set(r.key, m);
  console.log(`${r.name.padEnd(44)} ${m.toFixed(1).padStart(7)} ns CPU/input msg ${(1e9 / m / 1e6).toFixed(2).padStart(6)} M msg/CPU-s  (median of ${rounds} rounds, ${Math.min(...r.ns).toFixed(0)}-${Math.max(...r.ns).toFixed(0)})`);
}
console.log(`(check ${checksum % 1000})`);
for (const before of [true, false]) {
  const a = ns.get(`${before}1false`);
  const b = ns.get(`${before}10false`);
  if (a !== undefined && b !== undefined) console.log(`${before ? 'before' : 'now   '}  fan-out ÷ one drain: ${(b / a).toFixed(2)}×`);
  const m = ns.get(`${before}10000false`);
  if (a !== undefined && m !== undefined) console.log(`${before ? 'before' : 'now   '}  many ÷ one drain: ${(m / a).toFixed(2)}×`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}
for (const d of made) d.destroy();
