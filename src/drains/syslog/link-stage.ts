// A shared link's stage: the next batches, filled in arrival order straight
// from the inputs, skipping the drains' rings (see stream-link.ts).
//
// With 10,000 drains each getting a message now and then, going through the
// rings costs a copy and, above all, touching 10,000 rings' memory every
// second. The stage holds at most STAGE_BYTES (2 MiB: more than one
// event-loop turn reads); when it is full, messages queue in their drains'
// rings as usual, under their policies.
//
// Consecutive messages of one input chunk lie in the stage exactly as in the
// chunk (same framing in and out), so they are reserved one by one and
// settled as one run when the input is done with the chunk
// (settlePendingCopies), as drain rings do. A run worth a write of its own
// is not copied at all: it goes to the socket as a view of the chunk, which
// it keeps alive until written (within IN_PLACE_PIN_BYTES per link, shared
// with the in-place queue). The batch it was reserved at the end of is cut
// short before it.
import { deferCopy } from '../deferred-copy';
import { BATCH_BYTES, SMALL_BATCH_BYTES, type Batch, type BatchPools, type LinkMember, type Segments } from './link-batch';
import { IN_PLACE_PIN_BYTES, MIN_VIEW_BYTES } from './link-in-place';

/** The most a link stages before messages queue in their drains' rings. */
export const STAGE_BYTES = 8 * BATCH_BYTES;

export class LinkStage {
  private readonly pools: BatchPools;
  /** Called for every record staged (the link schedules its flush). */
  private readonly onRecord: () => void;
  private store: Buffer | null = null;
  private len = 0;
  private segs: Segments;
  // Closed batches, oldest first, waiting for the socket, and their bytes.
  private full: Batch[] = [];
  private fullBytes = 0;
  // The pending run: stage bytes [runAt, runAt + runBytes) of `runBuf` are
  // records whose messages are still src[runStart:runEnd] (the first record's
  // prefix written, at runAt; its message goes at runDst); its segments start
  // at entry runSeg.
  private runSrc: Buffer | null = null;
  private runStart = 0;
  private runEnd = 0;
  private runAt = 0;
  private runDst = 0;
  private runBytes = 0;
  private runSeg = 0;
  private runBuf: Buffer | null = null;
  private runMember: LinkMember | null = null;
  /** Runs sent as views of their input chunk since the link was made. */
  views = 0;

  constructor(pools: BatchPools, onRecord: () => void) {
    this.pools = pools;
    this.onRecord = onRecord;
    this.segs = pools.segments();
  }

  /** Bytes staged. */
  get bytes(): number {
    return this.len + this.fullBytes;
  }

  get empty(): boolean {
    return this.len === 0 && this.full.length === 0;
  }

  /** Where reserve() placed the record; valid right after a successful reserve(). */
  get buf(): Buffer {
    return this.store!;
  }

  /** Room for one record of `len` bytes of member `m`, or -1 (the stage is full). */
  reserve(m: LinkMember, len: number): number {
    if (len > BATCH_BYTES) return -1;
    if (this.len + len > BATCH_BYTES) this.close();
    if (this.fullBytes + this.len + len > STAGE_BYTES) return -1;
    if (this.store === null) this.store = this.pools.store();
    const at = this.len;
    this.len = at + len;
    this.account(m, len);
    return at;
  }

  /**
   * reserve() for a message of a stable input chunk (see Drain.push): when it
   * directly follows the pending run in `src`, only the space is taken;
   * otherwise the pending run is settled and a new one starts here. False
   * when the stage is full.
   */
  reserveInRun(m: LinkMember, src: Buffer, start: number, end: number, len: number): boolean {
    if (this.runSrc === src && this.len + len <= BATCH_BYTES && this.fullBytes + this.len + len <= STAGE_BYTES && m.gapMatches(src, this.runEnd, start)) {
      this.len += len;
      this.runEnd = end;
      this.runBytes += len;
      this.account(m, len);
      return true;
    }
    this.settleRun();
    // A batch filled by this record closes first, so that the run starts in
    // the batch it will be settled in.
    if (this.len + len > BATCH_BYTES && len <= BATCH_BYTES) this.close();
    const seg = this.segs.cut();
    const at = this.reserve(m, len);
    if (at < 0) return false;
    const n = end - start;
    m.writeRunPrefix(this.store!, at, n);
    this.runSrc = src;
    this.runStart = start;
    this.runEnd = end;
    this.runAt = at;
    this.runDst = at + m.runPrefixLength(n);
    this.runBytes = len;
    this.runSeg = seg;
    this.runBuf = this.store;
    this.runMember = m;
    deferCopy(this);
    return true;
  }

  /** Settles the pending run, if any: as a view of its chunk where it may, else copied into the stage. */
  settleRun(): void {
    const src = this.runSrc;
    if (src === null) return;
    this.runSrc = null;
    const dst = this.runBuf!;
    this.runMember!.writeRunSuffix(dst, this.runDst + this.runEnd - this.runStart);
    this.runBuf = null;
    this.runMember = null;
    if (!this.sendView(src, dst)) src.copy(dst, this.runDst, this.runStart, this.runEnd);
  }

  /** The oldest staged batch, or null when nothing is staged. */
  take(): Batch | null {
    if (this.full.length === 0) this.close();
    const b = this.full.shift();
    if (b === undefined) return null;
    this.fullBytes -= b.buf.length;
    return b;
  }

  /** An idle link lets go of its half-used buffer. */
  trim(): void {
    if (this.empty) this.store = null;
  }

  private account(m: LinkMember, len: number): void {
    this.segs.add(m, 1, len);
    this.onRecord();
  }

  /**
   * The run just settled, staged at the end of `dst` from runAt on, as a
   * view of `src` instead: when it is worth a write of its own, the pins
   * allow, and the bytes around its messages in the chunk are the framing
   * the stage wrote (the first record's prefix, the last one's suffix).
   */
  private sendView(src: Buffer, dst: Buffer): boolean {
    const size = this.runBytes;
    const from = this.runStart - (this.runDst - this.runAt);
    const pin = src.buffer.byteLength;
    if (size < MIN_VIEW_BYTES || dst !== this.store || this.runAt + size !== this.len) return false;
    if (from < 0 || from + size > src.length || this.pools.pinned + pin > IN_PLACE_PIN_BYTES) return false;
    for (let i = this.runAt; i < this.runDst; i++) if (dst[i] !== src[from + i - this.runAt]) return false;
    const suffix = this.runDst + this.runEnd - this.runStart;
    for (let i = suffix; i < this.len; i++) if (dst[i] !== src[from + i - this.runAt]) return false;
    const viewSegs = this.pools.segments();
    this.segs.moveTail(this.runSeg, viewSegs);
    this.len = this.runAt;
    this.closeHead();
    this.queue({ buf: src.subarray(from, from + size), store: null, segs: viewSegs, pinned: pin });
    this.pools.pinned += pin;
    this.views++;
    return true;
  }

  /**
   * Queues what the batch being filled holds before a view: a few KiB copied
   * into a buffer of their own (the batch buffer stays, to fill on), more
   * as the batch itself.
   */
  private closeHead(): void {
    if (this.len === 0) return;
    if (this.len > SMALL_BATCH_BYTES) {
      this.close();
      return;
    }
    const head = Buffer.allocUnsafe(this.len);
    this.store!.copy(head, 0, 0, this.len);
    this.queue({ buf: head, store: head, segs: this.segs, pinned: 0 });
    this.len = 0;
    this.segs = this.pools.segments();
  }

  /** Closes the batch being filled (settling the run first) and queues it. */
  private close(): void {
    this.settleRun();
    if (this.len === 0) return;
    const store = this.store!;
    this.queue({ buf: store.subarray(0, this.len), store, segs: this.segs, pinned: 0 });
    this.store = null;
    this.len = 0;
    this.segs = this.pools.segments();
  }

  private queue(b: Batch): void {
    this.full.push(b);
    this.fullBytes += b.buf.length;
  }
}
