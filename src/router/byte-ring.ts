// A bounded FIFO of byte records, stored back to back in one Buffer.
//
// Each drain owns one. Records are copied in, so a queued message never pins
// the (much larger) socket read chunk it arrived in: the byte bound is what the
// ring really holds in memory, not a count of references into other buffers.
// There are no per-message objects either: a record is a 4-byte length and its
// payload, so a million queued messages are one allocation, not a million.
//
//       head                      tail
//        v                          v
//   [....|len|payload|len|payload|..........]   count = 2
//
//   [len|payload|...........|len|payload|WRAP.]  a record that does not fit
//        ^tail              ^head                before the end starts at 0;
//                                                WRAP (or < 4 spare bytes)
//                                                tells the reader to follow.
//
// The buffer is allocated on the first record, doubles up to `maxBytes` as the
// backlog needs it, and `trim()` gives the memory back once the ring is empty.

const HEADER = 4;
// No memory until the first record: a route table can hold many idle drains.
const EMPTY = Buffer.alloc(0);
const WRAP = 0xffffffff;

export class ByteRing {
  /** The storage; replaced when the ring grows or is trimmed. Writers use it right after `alloc()`. */
  buf: Buffer;
  /** Records queued. */
  count = 0;
  /** Payload bytes queued (headers not included). */
  bytes = 0;
  private head = 0;
  private tail = 0;
  readonly maxBytes: number;
  readonly maxCount: number;
  private readonly initialBytes: number;

  constructor(maxBytes: number, maxCount: number, initialBytes = 16 * 1024) {
    this.maxBytes = Math.max(maxBytes, 64);
    this.maxCount = Math.max(maxCount, 1);
    this.initialBytes = Math.min(initialBytes, this.maxBytes);
    this.buf = EMPTY;
  }

  /** Whether a payload of `n` bytes could be queued now, growing the buffer if allowed, without dropping anything. */
  fits(n: number): boolean {
    if (this.count >= this.maxCount) return false;
    const need = n + HEADER;
    if (this.freeContiguous(need)) return true;
    // Growing lays records out afresh; at full size, only contiguous space
    // counts (the wrap can waste up to one record's worth at the end).
    return this.buf.length < this.maxBytes && this.usedBytes() + need + this.wrapSlack() <= this.maxBytes;
  }

  /** True if a payload of `n` bytes could ever fit, even in an empty ring. */
  canEverHold(n: number): boolean {
    // Same bound as grow(): an empty ring below full size needs the wrap slack
    // too. Without it a record in that 4-byte window passed this check, failed
    // alloc() and was lost uncounted by Drain.makeRoom().
    return n + HEADER + this.wrapSlack() <= this.maxBytes;
  }

  /**
   * Reserves a record of `n` payload bytes and returns the offset in `this.buf`
   * where the caller writes them, or -1 if it does not fit (the caller then
   * drops oldest records, or refuses). The record is counted at once.
   */
  alloc(n: number): number {
    if (this.count >= this.maxCount) return -1;
    const need = n + HEADER;
    let at = this.place(need);
    if (at < 0) {
      if (!this.grow(need)) return -1;
      at = this.place(need);
      if (at < 0) return -1;
    }
    this.buf.writeUInt32LE(n, at);
    this.tail = at + need;
    this.count++;
    this.bytes += n;
    return at + HEADER;
  }

  /** Copies `src[start:end]` in as one record. Returns false if it does not fit. */
  push(src: Buffer, start: number, end: number): boolean {
    const at = this.alloc(end - start);
    if (at < 0) return false;
    src.copy(this.buf, at, start, end);
    return true;
  }

  /** Payload length of the oldest record, or -1 when empty. */
  peekLength(): number {
    if (this.count === 0) return -1;
    this.skipWrap();
    return this.buf.readUInt32LE(this.head);
  }

  /** Drops the oldest record; returns its payload length (or -1 when empty). */
  dropOldest(): number {
    const n = this.peekLength();
    if (n < 0) return -1;
    this.release(n);
    return n;
  }

  /**
   * Moves up to `maxCount` of the oldest records into `out`, payloads back to
   * back from offset 0, stopping before the first that would not fit in `out`
   * (a record larger than `out` is still moved alone if it comes first, as long
   * as `out` can hold it). `ends[i]`, if given, receives the end offset of
   * record i. Returns the number of records moved; `out` bytes used is the
   * last end (also returned by `lastShiftBytes`).
   */
  shiftInto(out: Buffer, maxCount: number, ends: Uint32Array | null): number {
    let moved = 0;
    let o = 0;
    const limit = ends ? Math.min(maxCount, ends.length) : maxCount;
    while (moved < limit && this.count > 0) {
      this.skipWrap();
      const n = this.buf.readUInt32LE(this.head);
      if (o + n > out.length) break;
      const from = this.head + HEADER;
      this.buf.copy(out, o, from, from + n);
      o += n;
      if (ends) ends[moved] = o;
      moved++;
      this.release(n);
    }
    this.lastShiftBytes = o;
    return moved;
  }
  lastShiftBytes = 0;

  /** Gives memory back: an empty ring releases its buffer. */
  trim(): void {
    if (this.count === 0 && this.buf.length > 0) {
      this.buf = EMPTY;
      this.head = this.tail = 0;
    }
  }

  /** Bytes of memory the ring holds (its buffer), for memory accounting. */
  get capacity(): number {
    return this.buf.length;
  }

  private release(n: number): void {
    this.head += n + HEADER;
    this.count--;
    this.bytes -= n;
    if (this.count === 0) this.head = this.tail = 0;
  }

  private skipWrap(): void {
    const cap = this.buf.length;
    if (cap - this.head < HEADER || this.buf.readUInt32LE(this.head) === WRAP) this.head = 0;
  }

  /** Where a record of `need` bytes (header included) can go now, or -1. Writes the wrap marker if it wraps. */
  private place(need: number): number {
    const cap = this.buf.length;
    if (this.count === 0) return need <= cap ? 0 : -1;
    if (this.tail > this.head) {
      if (this.tail + need <= cap) return this.tail;
      // Wrap to the start, which must stay clear of head.
      if (need < this.head) {
        if (cap - this.tail >= HEADER) this.buf.writeUInt32LE(WRAP, this.tail);
        return 0;
      }
      return -1;
    }
    // tail <= head (wrapped): free space is [tail, head)
    return this.tail + need < this.head ? this.tail : -1;
  }

  private freeContiguous(need: number): boolean {
    const cap = this.buf.length;
    if (this.count === 0) return need <= cap;
    if (this.tail > this.head) return this.tail + need <= cap || need < this.head;
    return this.tail + need < this.head;
  }

  /** Bytes occupied by queued records, headers included. */
  private usedBytes(): number {
    return this.bytes + this.count * HEADER;
  }

  /** Slack a full linear copy could lose to the wrap: one record header, to stay safe. */
  private wrapSlack(): number {
    return HEADER;
  }

  /** Doubles the buffer (up to maxBytes) and lays the records out from 0. */
  private grow(need: number): boolean {
    const used = this.usedBytes();
    if (used + need + this.wrapSlack() > this.maxBytes) return false;
    let size = Math.max(this.buf.length, this.initialBytes);
    while (size < used + need + this.wrapSlack()) size *= 2;
    size = Math.min(Math.max(size, this.buf.length * 2, this.initialBytes), this.maxBytes);
    if (size <= this.buf.length) return false;
    const next = Buffer.allocUnsafe(size);
    let o = 0;
    let left = this.count;
    while (left-- > 0) {
      this.skipWrap();
      const n = this.buf.readUInt32LE(this.head);
      this.buf.copy(next, o, this.head, this.head + HEADER + n);
      o += HEADER + n;
      this.head += HEADER + n;
    }
    this.buf = next;
    this.head = 0;
    this.tail = o;
    return true;
  }
}
