// From one syslog message, as any input received it, to the router.
//
// RFC 5424 messages go through as the bytes that came in. RFC 3164 lines are
// rewritten as RFC 5424 once here, so every drain gets one format. A message
// without a hostname (nil '-' or a 3164 line without one) gets the fallback
// (the sender's address by default) written in, so it can be routed and the
// drain sees who sent it. The scratch buffer is shared: the router copies the
// bytes into each drain's ring before route() returns.
import { isIPv4 } from 'node:net';
import type { Feeder } from '../drains/drain-types';
import type { Router } from '../router/router';
import { convert3164To5424, converted, measure3164, replaceNilHost5424, write3164, writeOctetFrameHeader } from '../syslog/encode';
import { FORMAT_3164, FORMAT_5424, newHeaderScan, scanHeader, type HeaderScan } from '../syslog/header';
import type { InputStats } from '../telemetry/input-metrics';
import { REFUSED, UNROUTED } from '../router/verdict';

export const PARSE_ERROR = -1;

/** Size of the buffers converted RFC 3164 lines of stream inputs are written into (see takeConverted). */
const RUNS_BYTES = 64 * 1024;
/** The longest octet count and its SP (a message is under 2 GiB: 10 digits). */
const MAX_COUNT_BYTES = 11;

export interface IntakeOptions {
  /** Offset applied to RFC 3164 timestamps that carry no zone, in minutes east of UTC. */
  tzOffsetMinutes: number;
  /** A fixed fallback hostname, or null to use the sender's address. */
  fallbackHostname: string | null;
  maxMessageBytes: number;
}

export class Intake {
  private readonly scan = newHeaderScan();
  private scratch: Buffer;
  private readonly convertOpts: ConvertOptions;
  private readonly fixedFallback: Buffer | null;
  private runs: Buffer | null = null;
  private runsAt = 0;

  constructor(
    readonly router: Router,
    readonly opts: IntakeOptions,
  ) {
    // RFC 3164 → 5424 adds a version, a full timestamp and nil fields; twice
    // the input size (plus room for a long fallback host) always fits.
    this.scratch = Buffer.allocUnsafe(2 * opts.maxMessageBytes + 1024);
    this.convertOpts = { now: new Date(), tzOffsetMinutes: opts.tzOffsetMinutes };
    this.fixedFallback = opts.fallbackHostname === null ? null : Buffer.from(opts.fallbackHostname);
  }

  /** The fallback hostname for a sender, computed once per connection or datagram source. */
  fallbackFor(address: string | undefined): Buffer {
    return this.fixedFallback ?? Buffer.from(unmapIPv4(address) || 'unknown');
  }

  /** Call once per read chunk or request: the clock RFC 3164 year inference compares against. */
  tick(now: Date): void {
    this.convertOpts.now = now;
  }

  /**
   * Routes `buf[start:end]`. Returns the router's verdict, or PARSE_ERROR when
   * the message has no valid PRI (counted, dropped). `stable`: see Router.route.
   */
  take(buf: Buffer, start: number, end: number, fallback: Buffer, feeder: Feeder | null, stats: InputStats, stable = false): number {
    const scan = this.scan;
    stats.messages++;
    if (!scanHeader(buf, start, end, scan, false)) {
      stats.parseErrors++;
      return PARSE_ERROR;
    }
    let v: number;
    if (scan.format !== FORMAT_3164 && scan.hostStart !== scan.hostEnd) {
      v = this.router.route(buf, start, end, scan.hostStart, scan.hostEnd, feeder, stable);
    } else if (stable && scan.format === FORMAT_3164) {
      v = this.takeConverted(buf, start, end, fallback, feeder);
    } else {
      const len = rewrite5424(buf, start, end, fallback, this.scratch, this.convertOpts, scan);
      v = this.router.route(this.scratch, 0, len, scan.hostStart, scan.hostEnd, feeder);
    }
    if (v === REFUSED && feeder === null) stats.dropped++;
    return v;
  }

  /**
   * An RFC 3164 line of a stream's read chunk, converted into `runs` right
   * after the previous one with the octet count before it: consecutive
   * converted lines then lie as an octet-counted input chunk's frames do, and
   * drains take them as runs (one copy per run, or none) rather than copying
   * each from the scratch buffer. `runs` is only ever appended to, as a read
   * chunk is never changed: a drain may send parts of it as they lie. A line
   * nobody took (refused, no route) leaves its room to the next.
   */
  private takeConverted(buf: Buffer, start: number, end: number, fallback: Buffer, feeder: Feeder | null): number {
    const n = measure3164(buf, start, end, this.convertOpts, fallback);
    let out = this.runs;
    let at = this.runsAt;
    if (out === null || at + MAX_COUNT_BYTES + n > out.length) {
      out = this.runs = Buffer.allocUnsafe(Math.max(RUNS_BYTES, MAX_COUNT_BYTES + n));
      at = 0;
    }
    const msgStart = writeOctetFrameHeader(out, at, n);
    const msgEnd = write3164(out, msgStart);
    const v = this.router.route(out, msgStart, msgEnd, converted.hostStart, converted.hostEnd, feeder, true);
    this.runsAt = v === REFUSED || v === UNROUTED ? at : msgEnd;
    return v;
  }
}

/** The receiver's clock and the zone RFC 3164 times without one are read in. */
type ConvertOptions = { now: Date; tzOffsetMinutes: number };

/** normalize5424(): the message is fine as it came. */
export const AS_IS = 0;

/**
 * Makes one message routable RFC 5424: RFC 5424 with a hostname stays as it is
 * (returns AS_IS); RFC 3164, or a nil hostname, is rewritten into `out` with
 * `fallback` as the hostname where there is none (returns the length in `out`).
 * Returns -1 without a valid PRI. `scan` describes the result either way.
 * Shared by every syslog input, so they all treat a message alike.
 */
export function normalize5424(buf: Buffer, start: number, end: number, fallback: Buffer, out: Buffer, convertOpts: ConvertOptions, scan: HeaderScan): number {
  if (!scanHeader(buf, start, end, scan, false)) return -1;
  if (scan.format !== FORMAT_3164 && scan.hostStart !== scan.hostEnd) return AS_IS;
  return rewrite5424(buf, start, end, fallback, out, convertOpts, scan);
}

/**
 * normalize5424() after its scanHeader(..., false), for a message that is not
 * fine as it came: the rewritten length in `out`, `scan` describing it.
 */
function rewrite5424(buf: Buffer, start: number, end: number, fallback: Buffer, out: Buffer, convertOpts: ConvertOptions, scan: HeaderScan): number {
  if (scan.format === FORMAT_3164) {
    // The conversion scans the line and knows where it wrote the hostname.
    const len = convert3164To5424(buf, start, end, out, convertOpts, fallback);
    scan.format = FORMAT_5424;
    scan.pri = converted.pri;
    scan.hostStart = converted.hostStart;
    scan.hostEnd = converted.hostEnd;
    return len;
  }
  const len = replaceNilHost5424(buf, start, end, fallback, out);
  // A valid PRI survives the rewrite; scanning again finds the new hostname.
  return scanHeader(out, 0, len, scan) ? len : -1;
}

/**
 * A listener bound to '::' sees IPv4 senders as '::ffff:a.b.c.d'. Routes and
 * drains should see the same 'a.b.c.d' whichever address family the listener
 * was bound with, so the mapping prefix is dropped.
 */
export function unmapIPv4(address: string | undefined): string | undefined {
  if (address !== undefined && address.length > 7 && address.slice(0, 7).toLowerCase() === '::ffff:' && isIPv4(address.slice(7))) return address.slice(7);
  return address;
}
