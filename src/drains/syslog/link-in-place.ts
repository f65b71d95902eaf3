// A link's in-place batches (see StreamLink.sendInPlace): views of input
// chunks, and a member's ring records taken ahead of such a view, queued for
// the socket in order, with the bounds on what they queue and keep alive.
import { BATCH_BYTES, type Batch, type BatchPools, type LinkMember } from './link-batch';

/** Bytes of in-place batches a link may queue, counting what its socket has not yet taken. */
export const IN_PLACE_QUEUE_BYTES = 2 * 1024 * 1024;
/** Input-chunk bytes a link's in-place batches may keep alive. */
export const IN_PLACE_PIN_BYTES = 4 * 1024 * 1024;
/** The smallest run worth a write of its own (a trickle is better copied and lingered over). */
const MIN_VIEW_BYTES = 4 * 1024;

export class InPlaceQueue {
  private batches: Batch[] = [];
  /** Bytes queued here, not yet handed to the socket. */
  bytes = 0;
  /** Input-chunk bytes that views not yet confirmed keep alive. */
  pinned = 0;
  /** Views queued since the link was made. */
  runs = 0;

  constructor(
    private readonly pools: BatchPools,
    /** Called for every batch queued (the link schedules its flush). */
    private readonly onQueued: () => void,
  ) {}

  get empty(): boolean {
    return this.batches.length === 0;
  }

  /**
   * Queues `view`, `count` records of member `m`, if it is worth a write of
   * its own and within the bounds, `unsent` being what the socket still
   * holds. False otherwise: the member copies the run into its ring.
   */
  addView(m: LinkMember, view: Buffer, count: number, unsent: number): boolean {
    const pin = view.buffer.byteLength;
    if (view.length < MIN_VIEW_BYTES || unsent + this.bytes + view.length > IN_PLACE_QUEUE_BYTES || this.pinned + pin > IN_PLACE_PIN_BYTES) return false;
    const segs = this.pools.segments();
    segs.add(m, count, view.length);
    this.push({ buf: view, store: null, segs, pinned: pin });
    this.pinned += pin;
    this.runs++;
    return true;
  }

  /** Queues what member `m`'s ring holds, copied into batches, if within the bound. */
  addRing(m: LinkMember, unsent: number): void {
    if (unsent + this.bytes + m.ring.bytes > IN_PLACE_QUEUE_BYTES) return;
    while (m.ring.count > 0) {
      const size = Math.max(m.ring.peekLength(), Math.min(m.ring.bytes, BATCH_BYTES));
      const store = this.pools.storeFor(size);
      const n = m.take(store, 0);
      const segs = this.pools.segments();
      segs.add(m, n, m.lastTaken);
      this.push({ buf: store.subarray(0, m.lastTaken), store, segs, pinned: 0 });
    }
  }

  /** The oldest batch, for the socket, or null. */
  take(): Batch | null {
    const b = this.batches.shift();
    if (b === undefined) return null;
    this.bytes -= b.buf.length;
    return b;
  }

  /** The kernel took a batch of the link (any batch): what it kept alive is let go. */
  written(b: Batch): void {
    this.pinned -= b.pinned;
  }

  private push(b: Batch): void {
    this.batches.push(b);
    this.bytes += b.buf.length;
    this.onQueued();
  }
}
