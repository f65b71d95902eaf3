// The part every drain shares: its bounded ring, the overflow policy, the
// bookkeeping behind its metrics, and the close/destroy lifecycle. A drain
// kind (syslog stream, UDP, HTTP, ...) adds how a message is laid out in the
// ring (`recordLength`/`writeRecord`) and how records leave it (`flush`);
// one whose records are framed messages can also take runs of an input
// chunk without copying each message (run-drain.ts).
//
// Overflow, per drain:
// The high-water mark is 80 % of the ring or DRAIN_PAUSE_BYTES if that is less;
// the low-water mark 50 % of the ring or half of DRAIN_PAUSE_BYTES.
//   backpressure (default): above the high-water mark the stream inputs that
//     feed the drain are asked to pause (TCP flow control does the rest). If
//     it stays above the mark for `graceMs`, the drain is cut loose: it stops
//     pausing anyone and drops its oldest records, counted. It is re-armed only
//     after it has drained below the low-water mark and some time has passed
//     (backpressure.ts), so a chronically slow drain cannot stall its
//     siblings again and again.
//   block: always pause, never drop (a full ring refuses new messages; the
//     stream input holds them). Inputs that cannot wait (UDP, gRPC) drop and count.
//   drop: never pause; drop the oldest at once (logplex's behaviour).
// After dropping, once the drain is back under the low-water mark, it emits one
// logplex-style L10 notice into its own stream (overflow-notice.ts).
import type { Logger } from 'pino';
import { ByteRing } from '../router/byte-ring';
import { ACCEPTED, PAUSE } from '../router/verdict';
import { trackDrain, untrackDrain } from '../telemetry/drain-metrics';
import { Backpressure, type Pressured } from './backpressure';
import { scheduleFlush } from './flush-scheduler';
import type { BufferOptions, DrainStats, DropReason, Feeder, OverflowPolicy } from './drain-types';
import { DropEpisode } from './overflow-notice';

const HIGH_WATER = 0.8;

const LOW_WATER = 0.5;

/** RunDrain.extendRun() answers. */
export const RUN_EXTENDED_HIGH = 2;
export const RUN_EXTENDED = 1;
export const RUN_FULL = 0;
export const RUN_BROKEN = -1;

export abstract class Drain implements Pressured {
  /** The endpoint URL as configured (may hold credentials: never log it). */
  readonly url: string;
  /** Safe name for logs and metric labels: `?name=` or the URL without credentials and query. */
  readonly label: string;
  readonly kind: string;
  readonly ring: ByteRing;
  readonly stats: DrainStats = {
    delivered: 0,
    deliveredBytes: 0,
    retried: 0,
    errors: 0,
    dropped: { overflow: 0, full: 0, rejected: 0, retries_exhausted: 0, shutdown: 0, oversize: 0 },
  };
  /** Messages handed to the transport and not yet confirmed (counted as queued). */
  inflight = 0;
  /** For the connection-state gauge; stream drains keep it current. */
  connected = false;
  /** L10 notices this drain put into its own stream (they are delivered like messages). */
  notices = 0;
  /** Set by the flush scheduler. */
  flushQueued = false;

  private readonly parentLog: Logger;
  private childLog: Logger | null = null;
  /** Set once close() or destroy() has begun. */
  closing = false;
  protected destroyed = false;
  protected readonly policy: OverflowPolicy;
  private readonly graceMs: number;
  protected readonly hwBytes: number;
  protected readonly hwCount: number;
  private readonly lwBytes: number;
  private readonly lwCount: number;
  // The pause protocol's state, made on the first pressure (backpressure.ts).
  private pressure: Backpressure | null = null;
  private readonly episode = new DropEpisode();
  // Times records left the ring (takeInto), and the count at the last housekeeping tick.
  protected takes = 0;
  private takesAtLastTick = 0;

  constructor(opts: { url: string; label: string; kind: string; buffer: BufferOptions; logger: Logger }) {
    this.url = opts.url;
    this.label = opts.label;
    this.kind = opts.kind;
    this.policy = opts.buffer.policy;
    this.graceMs = opts.buffer.graceMs;
    this.ring = new ByteRing(opts.buffer.bytes, opts.buffer.messages);
    // Pausing well below the bound keeps a drain that is only slower than its
    // inputs at a backlog that stays in the CPU caches: with 80 % of 8 MiB, a
    // standing 4-6 MiB backlog made every copy slower (scenario 1 ran at
    // 2.1-2.8 M msg/s from run to run; pausing at 1 MiB, 2.4-2.7 M).
    const pauseBytes = opts.buffer.pauseBytes ?? Infinity;
    this.hwBytes = Math.min(Math.floor(opts.buffer.bytes * HIGH_WATER), pauseBytes);
    this.hwCount = Math.floor(opts.buffer.messages * HIGH_WATER);
    this.lwBytes = Math.min(Math.floor(opts.buffer.bytes * LOW_WATER), Math.floor(pauseBytes / 2));
    this.lwCount = Math.floor(opts.buffer.messages * LOW_WATER);
    this.parentLog = opts.logger;
    trackDrain(this);
  }

  /** Made on first use: a table of 100,000 mostly quiet drains should not hold 100,000 loggers. */
  protected get log(): Logger {
    return (this.childLog ??= this.parentLog.child({ drain: this.label }));
  }

  /** Bytes a message of `n` bytes takes in the ring (framing included). */
  protected abstract recordLength(n: number): number;
  /** Writes the record for `src[start:end]` at `dst[at:at+recordLength(end-start)]`. */
  protected abstract writeRecord(dst: Buffer, at: number, src: Buffer, start: number, end: number): void;
  /**
   * Deferred runs (run-drain.ts): the router's questions about them, as a
   * drain that keeps none answers them. `gapMatches`: whether the bytes
   * between two messages of an input chunk are this drain's framing between
   * two records; drains of the same non-zero `runKind` answer it alike.
   */
  gapMatches(_src: Buffer, _gapStart: number, _start: number): boolean {
    return false;
  }
  runKind(): number {
    return 0;
  }
  /** Moves queued records towards the destination; called from the flush scheduler. */
  abstract flush(): void;
  /** Opens connections etc. Called once, after construction. */
  abstract start(): void;
  /** Releases the transport; called by close() after the ring is drained, and by destroy(). */
  protected abstract closeTransport(): void;

  /**
   * Hot path, before any drain of a message's targets takes it: would this
   * drain refuse it? A feeder that is refused is remembered and resumed later.
   */
  wouldRefuse(n: number, feeder: Feeder | null): boolean {
    // An empty ring takes anything that can ever fit (and push() counts what cannot).
    if (this.ring.count === 0 || this.policy === 'drop' || this.cutLoose) return false;
    const len = this.recordLength(n);
    // A message larger than the whole ring will never fit: refusing it would
    // pause its feeder for good (block) or for the grace period; push() drops
    // and counts it as oversize instead.
    if (this.ring.fits(len) || !this.ring.canEverHold(len)) return false;
    if (this.policy === 'block') {
      if (feeder !== null) this.pressed().hold(feeder);
      return true;
    }
    // backpressure, within the grace period: only stream inputs can wait.
    if (feeder === null) return false;
    const p = this.pressed();
    p.hold(feeder);
    p.startGrace();
    return true;
  }

  /**
   * Hot path, tried first for a hostname with one drain: takes the message
   * by a way that skips the ring and cannot refuse, drop or pause (a shared
   * link's stage, see SyslogStreamDrain), and returns true; false when this
   * drain has no such way now, and the message goes through wouldRefuse()
   * and push(). Only for a drain whose ring is empty, so nothing queued can
   * be overtaken.
   */
  stage(_src: Buffer, _start: number, _end: number, _stable: boolean): boolean {
    return false;
  }

  /**
   * Hot path: queue one message (a copy of `src[start:end]`). Returns PAUSE
   * if the feeder should stop reading. `stable`: see RunDrain.push.
   */
  push(src: Buffer, start: number, end: number, feeder: Feeder | null, _stable = false): number {
    const at = this.reserve(this.recordLength(end - start));
    if (at < 0) return ACCEPTED; // larger than the whole ring: counted in makeRoom
    this.writeRecord(this.ring.buf, at, src, start, end);
    return this.afterPush(feeder);
  }

  /** Room for a record of `len` bytes, made by dropping the oldest if need be; -1 when larger than the whole ring (counted). */
  protected reserve(len: number): number {
    const at = this.ring.alloc(len);
    return at >= 0 ? at : this.makeRoom(len);
  }

  /** The router's fast path (RunDrain.extendRun): a drain without runs has none to extend. */
  extendRun(_src: Buffer, _start: number, _end: number): number {
    return RUN_BROKEN;
  }

  /** For the router's run groups (RunDrain.runRoom): none without runs. */
  runRoom(_src: Buffer, _end: number, _room: { bytes: number; count: number }): boolean {
    return false;
  }

  /** Called only after runRoom() said yes: never here. */
  appendToRun(_end: number, _lens: Uint32Array, _count: number, _bytes: number): void {}

  /** Called only after extendRun() took a message: never here. */
  retractRun(): void {}

  /**
   * After extendRun() for every target, when one answered RUN_EXTENDED_HIGH:
   * what push() does after queueing above the high-water mark (pause the
   * feeder). RUN_EXTENDED needs nothing more: extendRun() scheduled the flush.
   */
  afterExtend(feeder: Feeder | null): number {
    return this.afterPush(feeder);
  }

  protected afterPush(feeder: Feeder | null): number {
    if (!this.flushQueued) scheduleFlush(this);
    if (this.aboveHighWater() && this.policy !== 'drop' && !this.cutLoose) {
      const p = this.pressed();
      if (this.policy === 'backpressure') p.startGrace();
      if (feeder !== null) {
        p.hold(feeder);
        return PAUSE;
      }
    }
    return ACCEPTED;
  }

  /** Performs this drain's deferred copy, if any (RunDrain). */
  settleRun(): void {}

  /** True for the `block` policy: a full ring refuses messages instead of dropping any. */
  get refusesWhenFull(): boolean {
    return this.policy === 'block';
  }

  /** Counts a message that was refused (block policy, full) and that the input could not hold. */
  countRefused(): void {
    this.stats.dropped.full++;
    this.episode.note(1);
  }

  /** Queued messages, including those handed to the transport but unconfirmed. */
  get queued(): number {
    return this.ring.count + this.inflight;
  }

  /**
   * Takes the oldest records out of the ring for delivery (see ByteRing.shiftInto)
   * and lets paused inputs go once the ring is back under its low-water mark.
   */
  protected takeInto(out: Buffer, maxCount: number, ends: Uint32Array | null, at = 0): number {
    this.settleRun();
    this.takes++;
    const n = this.ring.shiftInto(out, maxCount, ends, at);
    if (n > 0 && !this.aboveLowWater()) this.belowLowWater();
    return n;
  }

  protected countDelivered(count: number, bytes: number): void {
    this.stats.delivered += count;
    this.stats.deliveredBytes += bytes;
  }

  protected countDropped(reason: DropReason, count: number): void {
    this.stats.dropped[reason] += count;
    // The L10 notice speaks of buffer overflow: a destination that rejected a
    // batch (4xx, retries exhausted) or a datagram too large to send
    // (oversize, UDP) gets no notice claiming one. A message larger than the
    // whole ring does (makeRoom).
    if (reason === 'overflow' || reason === 'full') this.episode.note(count);
  }

  /**
   * Graceful: the router has already stopped sending here. Waits for the ring
   * and the in-flight messages to be delivered, up to `graceMs`; what is left
   * is counted as dropped (reason shutdown). Idempotent.
   */
  async close(graceMs: number): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.pressure?.release();
    const deadline = Date.now() + graceMs;
    this.flush();
    while (this.queued > 0 && !this.destroyed && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      this.flush();
    }
    this.settleRun();
    const left = this.queued;
    if (left > 0) {
      this.log.warn({ messages: left }, 'drain closed with messages still queued after the shutdown grace period; they are dropped');
      this.stats.dropped.shutdown += left;
      while (this.ring.dropOldest() >= 0);
      this.inflight = 0;
    }
    this.destroy();
  }

  /** Now: drops what is queued (uncounted beyond shutdown drops) and releases everything. Idempotent. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.closing = true;
    this.pressure?.stop();
    this.closeTransport();
    untrackDrain(this);
  }

  /**
   * Called every second: gives the ring's memory back once nothing has gone
   * through it for a whole tick. Not merely empty: a drain that gets a message
   * every few milliseconds is empty between flushes, and freeing and
   * reallocating 10,000 such rings every second is garbage the collector has
   * to chase. (A drain whose messages skip its ring, see StreamLink's stage,
   * gives it back although it delivers.) `now`: the tick's Date.now(), read
   * once for all drains (10,000 reads of the clock were a quarter of a tick).
   */
  housekeep(_now?: number): void {
    if (this.ring.count === 0 && this.takes === this.takesAtLastTick) this.ring.trim();
    this.takesAtLastTick = this.takes;
  }

  /** Above the high-water mark (see the overflow rules at the top). */
  aboveHighWater(): boolean {
    return this.ring.bytes > this.hwBytes || this.ring.count > this.hwCount;
  }

  warnCutLoose(graceMs: number): void {
    this.log.warn(
      { graceMs, queued: this.ring.count },
      'drain stayed full past the grace period; it no longer slows its inputs and drops its oldest messages until it catches up',
    );
  }

  protected get cutLoose(): boolean {
    return this.pressure !== null && this.pressure.cutLooseAt !== 0;
  }

  private pressed(): Backpressure {
    return (this.pressure ??= new Backpressure(this, this.graceMs));
  }

  private aboveLowWater(): boolean {
    return this.ring.bytes > this.lwBytes || this.ring.count > this.lwCount;
  }

  /** Drops oldest records until `len` fits. Returns the offset, or -1 (message larger than the ring). */
  private makeRoom(len: number): number {
    this.settleRun();
    if (!this.ring.canEverHold(len)) {
      this.countDropped('oversize', 1);
      this.episode.note(1);
      return -1;
    }
    let dropped = 0;
    let at = -1;
    while (at < 0) {
      if (this.ring.dropOldest() < 0) break;
      dropped++;
      at = this.ring.alloc(len);
    }
    if (dropped > 0) this.countDropped('overflow', dropped);
    return at;
  }

  protected belowLowWater(): void {
    this.pressure?.relieved();
    if (this.episode.open) this.emitOverflowNotice();
  }

  /** One logplex-style L10 notice into the drain's own stream, once it has room again. */
  private emitOverflowNotice(): void {
    const line = this.episode.end();
    if (this.closing) return;
    this.settleRun();
    const len = this.recordLength(line.length);
    const at = this.ring.alloc(len);
    if (at >= 0) {
      this.writeRecord(this.ring.buf, at, line, 0, line.length);
      this.notices++;
      if (!this.flushQueued) scheduleFlush(this);
    }
  }
}
