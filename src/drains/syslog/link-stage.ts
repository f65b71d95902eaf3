// A shared link's stage: the next batches, filled in arrival order straight
// from the inputs, skipping the drains' rings (see stream-link.ts).
//
// With 10,000 drains each getting a message now and then, going through the
// rings costs a copy and, above all, touching 10,000 rings' memory every
// second. The stage holds at most STAGE_BATCHES batches (2 MiB: more than one
// event-loop turn reads); when it is full, messages queue in their drains'
// rings as usual, under their policies. Consecutive messages of one input
// chunk lie in the stage exactly as in the chunk (same framing in and out),
// so they are reserved one by one but copied as one run when the input is
// done with the chunk (settlePendingCopies), as drain rings do.
import { deferCopy } from '../deferred-copy';
import { BATCH_BYTES, type Batch, type BatchPools, type LinkMember, type Segments } from './link-batch';

const STAGE_BATCHES = 8;
/** The most a link stages before messages queue in their drains' rings. */
export const STAGE_BYTES = STAGE_BATCHES * BATCH_BYTES;

export class LinkStage {
  private readonly pools: BatchPools;
  /** Called for every record staged (the link schedules its flush). */
  private readonly onRecord: () => void;
  private store: Buffer | null = null;
  private len = 0;
  private segs: Segments;
  // Full batches, oldest first, waiting for the socket.
  private full: Batch[] = [];
  // The deferred copy: stage bytes [runDst, ...) are still src[runStart:runEnd].
  private runSrc: Buffer | null = null;
  private runStart = 0;
  private runEnd = 0;
  private runDst = 0;
  private runBuf: Buffer | null = null;
  private runMember: LinkMember | null = null;

  constructor(pools: BatchPools, onRecord: () => void) {
    this.pools = pools;
    this.onRecord = onRecord;
    this.segs = pools.segments();
  }

  /** Bytes staged. */
  get bytes(): number {
    return this.len + this.full.length * BATCH_BYTES;
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
    if (this.len + len > BATCH_BYTES) {
      if (len > BATCH_BYTES || this.full.length >= STAGE_BATCHES - 1) return -1;
      this.full.push(this.seal()!);
    }
    if (this.store === null) this.store = this.pools.store();
    const at = this.len;
    this.len = at + len;
    this.account(m, len);
    return at;
  }

  /**
   * reserve() for a message of a stable input chunk (see RunDrain.push): when it
   * directly follows the pending run in `src`, only the space is taken;
   * otherwise the pending run is settled and a new one starts here. False
   * when the stage is full.
   */
  reserveInRun(m: LinkMember, src: Buffer, start: number, end: number, len: number): boolean {
    if (this.runSrc === src && this.len + len <= BATCH_BYTES && m.gapMatches(src, this.runEnd, start)) {
      this.len += len;
      this.runEnd = end;
      this.account(m, len);
      return true;
    }
    this.settleRun();
    const at = this.reserve(m, len);
    if (at < 0) return false;
    const n = end - start;
    m.writeRunPrefix(this.store!, at, n);
    this.runSrc = src;
    this.runStart = start;
    this.runEnd = end;
    this.runDst = at + m.runPrefixLength(n);
    this.runBuf = this.store;
    this.runMember = m;
    deferCopy(this);
    return true;
  }

  /** Performs the deferred copy, if any. */
  settleRun(): void {
    const src = this.runSrc;
    if (src === null) return;
    this.runSrc = null;
    const dst = this.runBuf!;
    src.copy(dst, this.runDst, this.runStart, this.runEnd);
    this.runMember!.writeRunSuffix(dst, this.runDst + this.runEnd - this.runStart);
    this.runBuf = null;
    this.runMember = null;
  }

  /** The oldest staged batch, or null when nothing is staged. */
  take(): Batch | null {
    return this.full.length > 0 ? this.full.shift()! : this.seal();
  }

  /** An idle link lets go of its half-used buffer. */
  trim(): void {
    if (this.empty) this.store = null;
  }

  private account(m: LinkMember, len: number): void {
    this.segs.add(m, 1, len);
    this.onRecord();
  }

  /** The batch being filled, closed; null when empty. */
  private seal(): Batch | null {
    if (this.len === 0) return null;
    this.settleRun();
    const store = this.store!;
    const b: Batch = { buf: store.subarray(0, this.len), store, segs: this.segs, pinned: 0 };
    this.store = null;
    this.len = 0;
    this.segs = this.pools.segments();
    return b;
  }
}
