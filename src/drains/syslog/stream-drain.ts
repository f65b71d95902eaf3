// syslog over TCP or TLS: records are kept in the ring already framed
// (octet-counted or LF), so delivery is copying a run of them into one large
// write. The connection belongs to a StreamLink (stream-link.ts), shared with
// every other drain of the router that names the same endpoint unless sharing
// is off; the drain keeps its own ring, policy and counters. While the link is
// down the ring keeps filling (up to its bound).
import { RunDrain } from '../run-drain';
import type { Feeder } from '../drain-types';
import { ACCEPTED } from '../../router/verdict';
import { bufferOptions, type DrainContext, type DrainSpec } from '../url';
import type { SyslogDrainOptions } from './config';
import type { LinkMember } from './link-batch';
import { StreamLink } from './stream-link';

const RUN_OCTET = 1;
const RUN_LF = 2;

export class SyslogStreamDrain extends RunDrain implements LinkMember {
  private readonly octet: boolean;
  private readonly link: StreamLink;
  linkQueued = false;
  lastTaken = 0;

  constructor(spec: DrainSpec<SyslogDrainOptions>, ctx: DrainContext) {
    super({ url: spec.url, label: spec.label, kind: spec.kind, buffer: bufferOptions(spec, ctx), logger: ctx.logger });
    this.octet = spec.options.framing === 'octet';
    const opts = { connectTimeoutMs: ctx.connectTimeoutMs, writeTimeoutMs: ctx.writeTimeoutMs, lingerMs: ctx.lingerMs ?? 0, logger: ctx.logger };
    this.link = ctx.links ? ctx.links.acquire(spec.options, opts) : new StreamLink(spec.options, opts);
    this.link.join(this);
  }

  protected recordLength(n: number): number {
    return this.octet ? n + digits(n) + 1 : n + 1;
  }

  protected writeRecord(dst: Buffer, at: number, src: Buffer, start: number, end: number): void {
    const n = end - start;
    if (this.octet) {
      at = writeDecimal(dst, at, n);
      dst[at++] = 0x20;
      src.copy(dst, at, start, end);
    } else {
      src.copy(dst, at, start, end);
      dst[at + n] = 0x0a;
    }
  }

  // Deferred run copies (RunDrain.push): octet-counted records are `LEN SP MSG`,
  // LF records `MSG LF`. Between two messages of an octet-counted input chunk
  // lie exactly the next one's `LEN SP` (the framer read LEN from those bytes);
  // between two messages of an LF chunk lies one LF.
  runPrefixLength(n: number): number {
    return this.octet ? digits(n) + 1 : 0;
  }

  runKind(): number {
    return this.octet ? RUN_OCTET : RUN_LF;
  }

  gapMatches(src: Buffer, gapStart: number, start: number): boolean {
    if (this.octet) return start - gapStart >= 2 && src[start - 1] === 0x20 && src[gapStart] !== 0x0a && start - gapStart === digitsAt(src, gapStart) + 1;
    return start - gapStart === 1 && src[gapStart] === 0x0a;
  }

  writeRunPrefix(dst: Buffer, at: number, n: number): void {
    if (this.octet) dst[writeDecimal(dst, at, n)] = 0x20;
  }

  writeRunSuffix(dst: Buffer, at: number): void {
    if (!this.octet) dst[at] = 0x0a;
  }

  protected suffixInPlace(src: Buffer, at: number, to: number): boolean {
    return this.octet ? at === to : to === at + 1 && src[at] === 0x0a;
  }

  /** A run that lies in its input chunk exactly as the link would send it goes out from there (see StreamLink.sendInPlace). */
  protected sendInPlace(view: Buffer, count: number): boolean {
    if (this.closing || !this.link.sendInPlace(this, view, count)) return false;
    this.inflight += count;
    return true;
  }

  /** What the ring holds goes ahead of the next run, if the link can send that run in place. */
  protected beforeRun(): void {
    if (!this.closing) this.link.sendAheadOfRun(this);
  }

  /**
   * Hot path: a message for a drain with nothing queued goes straight into
   * the shared link's next batch when there is room (see link-stage.ts).
   * False when it cannot (a ring that holds records, a link with one member,
   * a full stage): the message then queues in the ring, under the drain's
   * policy (push).
   */
  stage(src: Buffer, start: number, end: number, stable: boolean): boolean {
    if (this.ring.count !== 0 || this.closing || !this.link.staging) return false;
    const len = this.recordLength(end - start);
    if (stable) {
      if (!this.link.reserveInRun(this, src, start, end, len)) return false;
    } else {
      const at = this.link.reserve(this, len);
      if (at < 0) return false;
      this.writeRecord(this.link.stageBuf, at, src, start, end);
    }
    this.inflight++;
    return true;
  }

  push(src: Buffer, start: number, end: number, feeder: Feeder | null, stable = false): number {
    return this.stage(src, start, end, stable) ? ACCEPTED : super.push(src, start, end, feeder, stable);
  }

  /** The link connects lazily, on the first message: a large route table of idle drains holds no sockets. */
  start(): void {}

  flush(): void {
    if (!this.destroyed) this.link.request(this);
  }

  take(out: Buffer, at: number): number {
    const n = this.takeInto(out, 0x7fffffff, null, at);
    this.lastTaken = this.ring.lastShiftBytes;
    this.inflight += n;
    return n;
  }

  confirm(count: number, bytes: number): void {
    this.inflight -= count;
    this.countDelivered(count, bytes);
  }

  housekeep(now = Date.now()): void {
    super.housekeep(now);
    this.link.housekeep(now);
  }

  protected closeTransport(): void {
    this.link.leave(this);
  }
}

function digits(n: number): number {
  return n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : n < 100000 ? 5 : n < 1000000 ? 6 : String(n).length;
}

/** How many ASCII digits start at src[at]. */
function digitsAt(src: Buffer, at: number): number {
  let i = at;
  while (i < src.length && src[i] >= 0x30 && src[i] <= 0x39) i++;
  return i - at;
}

function writeDecimal(dst: Buffer, at: number, n: number): number {
  const d = digits(n);
  let i = at + d - 1;
  do {
    dst[i--] = 48 + (n % 10);
    n = Math.floor(n / 10);
  } while (n > 0);
  return at + d;
}
