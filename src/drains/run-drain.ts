// A drain whose records are `prefix + message + suffix` (syslog over a
// stream: `LEN SP MSG`, or `MSG LF`) can take the messages of a socket read
// without copying each: consecutive messages of the chunk whose records
// would lie back to back in the ring exactly as the bytes lie in the chunk
// are reserved one by one and copied as one run when the input is done with
// the chunk (settlePendingCopies), or not copied at all when the transport
// can send that part of the chunk as it lies (sendInPlace). The router's fast
// path (extendRun) and its run groups (runRoom, appendToRun) extend such a
// run without the rest of push().
import { ACCEPTED } from '../router/verdict';
import { deferCopy } from './deferred-copy';
import { Drain, RUN_BROKEN, RUN_EXTENDED, RUN_EXTENDED_HIGH, RUN_FULL } from './drain';
import type { Feeder } from './drain-types';
import { scheduleFlush } from './flush-scheduler';

export abstract class RunDrain extends Drain {
  // A deferred copy: records reserved in the ring whose bytes are still
  // src[runStart:runEnd] of an input chunk (see push()).
  private runSrc: Buffer | null = null;
  private runStart = 0;
  private runEnd = 0;
  private runDst = 0;
  // The run is all the ring holds (it began at the start of an empty ring):
  // when it is settled, a drain that can send it as it lies in the chunk may
  // (sendInPlace).
  private runAlone = false;
  // What the last extendRun() did, for retractRun().
  private extendedFrom = 0;
  private extendedLength = 0;

  /**
   * The prefix length for a message of `n` bytes, whether the bytes between
   * two messages in an input chunk (`src[gapStart:start]`) are exactly the
   * suffix of the one and the prefix of the next (gapMatches), and how to
   * write them.
   */
  protected abstract runPrefixLength(n: number): number;
  protected abstract writeRunPrefix(dst: Buffer, at: number, n: number): void;
  /** Writes the suffix of the last record of a run at `at` (e.g. LF). */
  protected abstract writeRunSuffix(dst: Buffer, at: number): void;
  /** Whether `src[at:to]` is the suffix writeRunSuffix() writes (e.g. one LF). */
  protected abstract suffixInPlace(src: Buffer, at: number, to: number): boolean;

  /**
   * A run is about to start on a ring that holds records. A drain that sends
   * runs in place may hand those records to its transport now, so that the
   * run is all the ring holds when it is settled.
   */
  protected beforeRun(): void {}

  /**
   * For drains whose transport can send bytes as they lie in the input chunk:
   * takes `view` (`count` whole records, a view of a chunk nobody changes) for
   * delivery and returns true, or returns false and the run is copied into
   * the ring as usual.
   */
  protected sendInPlace(_view: Buffer, _count: number): boolean {
    return false;
  }

  /**
   * Hot path: queue one message. Returns PAUSE if the feeder should stop reading.
   *
   * `stable` says `src` is an input chunk that nobody changes (see
   * Router.route). Then consecutive messages of the chunk whose records would
   * lie back to back in the ring exactly as the bytes lie in the chunk
   * (octet-counted in → octet-counted out, LF in → LF out) are reserved one by
   * one but copied as one run when the input calls settlePendingCopies(): one
   * copy per run instead of one per message, or none (see settleRun).
   */
  push(src: Buffer, start: number, end: number, feeder: Feeder | null, stable = false): number {
    const len = this.recordLength(end - start);
    if (this.runSrc !== null) {
      if (stable && src === this.runSrc && this.gapMatches(src, this.runEnd, start) && this.ring.appendAtTail(len) >= 0) {
        this.runEnd = end;
        return this.afterPush(feeder);
      }
      this.settleRun();
    }
    const prefix = stable ? this.runPrefixLength(end - start) : -1;
    if (prefix < 0) return super.push(src, start, end, feeder);
    if (this.ring.count > 0) this.beforeRun();
    const wasEmpty = this.ring.count === 0;
    const at = this.reserve(len);
    if (at < 0) return ACCEPTED; // larger than the whole ring: counted in makeRoom
    this.writeRunPrefix(this.ring.buf, at, end - start);
    this.runSrc = src;
    this.runStart = start;
    this.runEnd = end;
    this.runDst = at + prefix;
    this.runAlone = wasEmpty && at === 0;
    deferCopy(this);
    return this.afterPush(feeder);
  }

  /**
   * Hot path, the router's fast path (Router.deliver): if the next message of
   * a stable chunk, `src[start:end]`, simply extends this drain's deferred run
   * (same chunk, the bytes between match, the record goes right after the last
   * one), reserves it and returns RUN_EXTENDED, or RUN_EXTENDED_HIGH when the
   * ring is now above its high-water mark. Such a message fits as it is: it
   * can be neither refused nor make room by dropping, so wouldRefuse() has
   * nothing to say about it. Otherwise nothing changes and the answer says
   * why: RUN_BROKEN (no run on this chunk, or the bytes between do not match:
   * likely so for the next message too) or RUN_FULL (the record would not go
   * at the tail as the ring is now). The router then calls afterExtend() if
   * any target answered RUN_EXTENDED_HIGH (or retractRun() to take it back).
   */
  extendRun(src: Buffer, start: number, end: number): number {
    if (this.runSrc !== src || !this.gapMatches(src, this.runEnd, start)) return RUN_BROKEN;
    const len = this.recordLength(end - start);
    if (this.ring.appendAtTail(len) < 0) return RUN_FULL;
    this.extendedFrom = this.runEnd;
    this.extendedLength = len;
    this.runEnd = end;
    if (!this.flushQueued) scheduleFlush(this);
    return this.aboveHighWater() && this.policy !== 'drop' && !this.cutLoose ? RUN_EXTENDED_HIGH : RUN_EXTENDED;
  }

  /**
   * For the router's run groups (router/run-group.ts): if this drain's
   * deferred run ends at `src[end]`, narrows `room` to what extendRun() calls
   * could take now without growing or wrapping the ring and without going
   * above the high-water mark (so none of them would answer
   * RUN_EXTENDED_HIGH), and returns true.
   */
  runRoom(src: Buffer, end: number, room: { bytes: number; count: number }): boolean {
    if (this.runSrc !== src || this.runEnd !== end) return false;
    const ring = this.ring;
    room.bytes = Math.min(room.bytes, ring.tailRoomBytes(), this.hwBytes - ring.bytes);
    room.count = Math.min(room.count, ring.tailRoomCount(), this.hwCount - ring.count);
    return true;
  }

  /**
   * What extendRun() calls for `count` messages would have done, at once: the
   * run now ends at `end`, its new records are `lens[0:count]`. Within the
   * room runRoom() gave.
   */
  appendToRun(end: number, lens: Uint32Array, count: number, bytes: number): void {
    this.ring.appendAllAtTail(lens, count, bytes);
    this.runEnd = end;
    if (!this.flushQueued) scheduleFlush(this);
  }

  /**
   * Undoes the last extendRun(), when a sibling target could not extend its
   * own and the message goes the ordinary way (which may refuse it).
   */
  retractRun(): void {
    this.ring.retractTail(this.extendedLength);
    this.runEnd = this.extendedFrom;
  }

  /**
   * Performs this drain's deferred copy, if any. A run that is all the ring
   * holds may not need copying at all: where the chunk holds exactly the
   * records the ring would (framing bytes included), the drain may hand that
   * part of the chunk to its transport as it is (sendInPlace) and the ring is
   * empty again.
   */
  settleRun(): void {
    const src = this.runSrc;
    if (src === null) return;
    this.runSrc = null;
    const buf = this.ring.buf;
    if (this.runAlone) {
      const from = this.runStart - this.runDst;
      const to = from + this.ring.bytes;
      if (from >= 0 && to <= src.length && this.inPlaceMatches(src, from, to) && this.sendInPlace(src.subarray(from, to), this.ring.count)) {
        this.ring.clear();
        this.takes++;
        // The records left the ring as a take's would (takeInto): an input
        // the run paused waits for this, and nothing else would resume it.
        this.belowLowWater();
        return;
      }
    }
    src.copy(buf, this.runDst, this.runStart, this.runEnd);
    this.writeRunSuffix(buf, this.runDst + this.runEnd - this.runStart);
  }

  /**
   * Whether `src[from:to]`, the run with the framing bytes around it, is
   * byte for byte what the ring holds: the prefix written into the ring
   * (ring.buf[0:runDst]) lies in the chunk right before the run, and the
   * suffix right after it.
   */
  private inPlaceMatches(src: Buffer, from: number, to: number): boolean {
    const ring = this.ring.buf;
    for (let i = 0; i < this.runDst; i++) if (src[from + i] !== ring[i]) return false;
    return this.suffixInPlace(src, this.runEnd, to);
  }
}
