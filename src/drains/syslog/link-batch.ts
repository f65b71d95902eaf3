// What a stream link writes: batches of framed records from one or more
// drains, and the buffers and bookkeeping they are made of, reused.
export const BATCH_BYTES = 256 * 1024;
// Full-size batch buffers a busy link keeps for reuse: large short-lived
// ArrayBuffers count as external memory and drive V8 into full collections.
const MAX_SPARES = 10;
const MAX_FREE_SEGMENTS = 12;
// Batches up to this size get a buffer of their own size (see storeFor).
const SMALL_BATCH_BYTES = 4 * 1024;

/** What a link needs of a drain (SyslogStreamDrain). */
export interface LinkMember {
  /** Queued records and their bytes (framing included). */
  readonly ring: { readonly count: number; readonly bytes: number; peekLength(): number };
  /** Record framing, as in the member's ring (see RunDrain.push's deferred copies). */
  runPrefixLength(n: number): number;
  gapMatches(src: Buffer, gapStart: number, start: number): boolean;
  writeRunPrefix(dst: Buffer, at: number, n: number): void;
  writeRunSuffix(dst: Buffer, at: number): void;
  /** Moves the oldest records that fit into out[at:], counts them in flight; returns how many (bytes in `lastTaken`). */
  take(out: Buffer, at: number): number;
  readonly lastTaken: number;
  /** The kernel took `count` records (`bytes`) of this drain. */
  confirm(count: number, bytes: number): void;
  connected: boolean;
  readonly closing: boolean;
  readonly stats: { errors: number; retried: number };
  /** Set while the member sits in the link's ready queue. */
  linkQueued: boolean;
}

/**
 * Which members' records a batch holds, in order: (member, count, bytes) per
 * run of one member. Reused from batch to batch: a staged batch of small
 * messages from 10,000 drains has a thousand entries, and fresh arrays for
 * each would be most of the garbage the young generation collects.
 */
export class Segments {
  members: Array<LinkMember | null> = [];
  counts: number[] = [];
  bytes: number[] = [];
  n = 0;

  add(m: LinkMember, count: number, len: number): void {
    const last = this.n - 1;
    if (last >= 0 && this.members[last] === m) {
      this.counts[last] += count;
      this.bytes[last] += len;
      return;
    }
    this.members[this.n] = m;
    this.counts[this.n] = count;
    this.bytes[this.n] = len;
    this.n++;
  }

  /** Confirms every segment to its member and empties the list. */
  confirmAll(): void {
    for (let i = 0; i < this.n; i++) {
      this.members[i]!.confirm(this.counts[i], this.bytes[i]);
      this.members[i] = null; // do not keep a removed drain alive
    }
    this.n = 0;
  }
}

export interface Batch {
  buf: Buffer;
  /** The whole buffer `buf` is a view of, reused once the write completes; null for a view of an input chunk. */
  store: Buffer | null;
  segs: Segments;
  /** For a view of an input chunk: the chunk's bytes it keeps alive (see StreamLink.sendInPlace). */
  pinned: number;
}

/** One link's spare batch buffers and segment lists. */
export class BatchPools {
  private spares: Buffer[] = [];
  private freeSegs: Segments[] = [];

  /** A full-size batch buffer. */
  store(): Buffer {
    return this.spares.pop() ?? Buffer.allocUnsafe(BATCH_BYTES);
  }

  /**
   * A buffer for a batch of `size` bytes: a reused full-size one, or, for a
   * few KiB (not worth holding 256 KiB) or a record larger than a batch (it
   * travels alone), one of its own size.
   */
  storeFor(size: number): Buffer {
    return size > SMALL_BATCH_BYTES && size <= BATCH_BYTES ? this.store() : Buffer.allocUnsafe(size);
  }

  segments(): Segments {
    return this.freeSegs.pop() ?? new Segments();
  }

  giveSegments(s: Segments): void {
    if (this.freeSegs.length < MAX_FREE_SEGMENTS) this.freeSegs.push(s);
  }

  /** A written batch's parts come back. */
  release(b: Batch): void {
    this.giveSegments(b.segs);
    if (b.store !== null && b.store.length === BATCH_BYTES && this.spares.length < MAX_SPARES) this.spares.push(b.store);
  }

  /** An idle link gives its spare buffers back. */
  trim(): void {
    this.spares.length = 0;
  }
}
