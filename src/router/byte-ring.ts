// A bounded FIFO of byte records: payloads back to back in one Buffer, their
// offsets and lengths in two parallel Uint32Array rings.
//
// Each drain owns one. Records are copied in, so a queued message never pins
// the (much larger) socket read chunk it arrived in: the byte bound is what the
// ring really holds in memory, not a count of references into other buffers.
// There are no per-message objects either. Payloads of consecutive records are
// adjacent, so a drain takes a run of them out with one copy, not one per
// message.
//
//   data:     [ rec3 | rec4 | .......... | rec0 | rec1 | rec2 |  ]
//                           ^tail        ^head                 ^ unused: rec3 did not
//                                                                fit here, so it went to 0
//   offs/lens: one slot per record, oldest at `first`, `count` of them.
//
// Both the data buffer and the slot arrays are allocated on the first record
// and doubled as the backlog needs (data up to `maxBytes`, slots up to
// `maxCount`); `trim()` gives the memory back once the ring is empty. They
// start small (1 KiB, 32 slots): 10,000 drains that each queue a message or two
// while a connection comes up should not take 40 MB.

const EMPTY = Buffer.alloc(0);
const NO_SLOTS = new Uint32Array(0);
const INITIAL_SLOTS = 32;

export class ByteRing {
  /** The storage; replaced when the ring grows or is trimmed. Writers use it right after `alloc()`. */
  buf: Buffer = EMPTY;
  /** Records queued. */
  count = 0;
  /** Payload bytes queued. */
  bytes = 0;
  /** Bytes moved by the last shiftInto(). */
  lastShiftBytes = 0;
  readonly maxBytes: number;
  readonly maxCount: number;
  private readonly initialBytes: number;
  private offs: Uint32Array = NO_SLOTS;
  private lens: Uint32Array = NO_SLOTS;
  private first = 0; // slot of the oldest record
  private head = 0; // byte offset of the oldest record
  private tail = 0; // byte offset where the next record goes
  private wrapped = false; // live data is [head, end) + [0, tail) rather than [head, tail)

  constructor(maxBytes: number, maxCount: number, initialBytes = 1024) {
    this.maxBytes = Math.max(maxBytes, 64);
    this.maxCount = Math.max(maxCount, 1);
    this.initialBytes = Math.min(initialBytes, this.maxBytes);
  }

  /** Whether a payload of `n` bytes could be queued now (growing if allowed) without dropping anything. */
  fits(n: number): boolean {
    if (this.count >= this.maxCount) return false;
    if (this.place(n, false) >= 0) return true;
    return this.buf.length < this.maxBytes && this.bytes + n <= this.maxBytes;
  }

  /**
   * Reserves a record of `n` bytes right after the last one, if it fits there
   * as it is (no growing, no wrapping, a free slot): alloc() restricted to that
   * one case, for a drain extending a deferred run. Returns the offset, or -1
   * (nothing reserved) when alloc() would have to put it anywhere else.
   */
  appendAtTail(n: number): number {
    const count = this.count;
    const slots = this.offs.length;
    if (count === 0 || count >= this.maxCount || count === slots) return -1;
    const at = this.tail;
    if (at + n > (this.wrapped ? this.head : this.buf.length)) return -1;
    let slot = this.first + count;
    if (slot >= slots) slot -= slots;
    this.offs[slot] = at;
    this.lens[slot] = n;
    this.count = count + 1;
    this.bytes += n;
    this.tail = at + n;
    return at;
  }

  /**
   * Bytes that appendAtTail() calls could reserve now one after another (no
   * growing, no wrapping), and how many records: what a run group may take
   * (router/run-group.ts). Both 0 for an empty ring, as appendAtTail() refuses it.
   */
  tailRoomBytes(): number {
    return this.count === 0 ? 0 : (this.wrapped ? this.head : this.buf.length) - this.tail;
  }

  tailRoomCount(): number {
    return this.count === 0 ? 0 : Math.min(this.offs.length, this.maxCount) - this.count;
  }

  /**
   * appendAtTail() for `count` records at once, their lengths `lens[0:count]`,
   * `bytes` in all. The caller has checked tailRoomBytes() and tailRoomCount().
   */
  appendAllAtTail(lens: Uint32Array, count: number, bytes: number): void {
    const offs = this.offs;
    const slotLens = this.lens;
    const slots = offs.length;
    let slot = this.first + this.count;
    if (slot >= slots) slot -= slots;
    let at = this.tail;
    for (let i = 0; i < count; i++) {
      const n = lens[i];
      offs[slot] = at;
      slotLens[slot] = n;
      at += n;
      if (++slot === slots) slot = 0;
    }
    this.count += count;
    this.bytes += bytes;
    this.tail = at;
  }

  /** Takes back the record appendAtTail(n) just reserved (nothing may come between). */
  retractTail(n: number): void {
    this.count--;
    this.bytes -= n;
    this.tail -= n;
  }

  /** True if a payload of `n` bytes could ever fit, even in an empty ring. */
  canEverHold(n: number): boolean {
    return n <= this.maxBytes;
  }

  /**
   * Reserves a record of `n` payload bytes and returns the offset in `this.buf`
   * where the caller writes them, or -1 if it does not fit (the caller then
   * drops oldest records, or refuses). The record is counted at once.
   */
  alloc(n: number): number {
    if (this.count >= this.maxCount) return -1;
    let at = this.place(n, true);
    if (at < 0) {
      if (!this.grow(n)) return -1;
      at = this.place(n, true);
      if (at < 0) return -1;
    }
    if (this.count === this.offs.length) this.growSlots();
    let slot = this.first + this.count;
    if (slot >= this.offs.length) slot -= this.offs.length;
    this.offs[slot] = at;
    this.lens[slot] = n;
    if (this.count === 0) this.head = at;
    this.count++;
    this.bytes += n;
    this.tail = at + n;
    return at;
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
    return this.count === 0 ? -1 : this.lens[this.first];
  }

  /** Drops the oldest record; returns its payload length (or -1 when empty). */
  dropOldest(): number {
    if (this.count === 0) return -1;
    const n = this.lens[this.first];
    this.release(1, n);
    return n;
  }

  /**
   * Moves up to `maxCount` of the oldest records into `out`, payloads back to
   * back from `outStart`, stopping before the first that would not fit in `out`.
   * `ends[i]`, if given, receives the end offset in `out` of record i (and bounds the
   * count). Returns the number of records moved; the bytes used are in
   * `lastShiftBytes`. Adjacent records are copied as one run.
   */
  shiftInto(out: Buffer, maxCount: number, ends: Uint32Array | null, outStart = 0): number {
    const limit = Math.min(this.count, ends ? Math.min(maxCount, ends.length) : maxCount);
    const slots = this.offs.length;
    let moved = 0;
    let o = outStart;
    let runStart = -1;
    let runEnd = -1;
    let slot = this.first;
    while (moved < limit) {
      const off = this.offs[slot];
      const n = this.lens[slot];
      if (o + n > out.length) break;
      if (off !== runEnd) {
        if (runStart >= 0) this.buf.copy(out, o - (runEnd - runStart), runStart, runEnd);
        runStart = off;
      }
      runEnd = off + n;
      o += n;
      if (ends) ends[moved] = o;
      moved++;
      slot = slot + 1 === slots ? 0 : slot + 1;
    }
    if (runStart >= 0) this.buf.copy(out, o - (runEnd - runStart), runStart, runEnd);
    this.lastShiftBytes = o - outStart;
    if (moved > 0) this.release(moved, o - outStart);
    return moved;
  }

  /** Forgets every record (their bytes went elsewhere). Keeps the memory. */
  clear(): void {
    this.count = 0;
    this.bytes = 0;
    this.first = this.head = this.tail = 0;
    this.wrapped = false;
  }

  /** Gives memory back: an empty ring releases its buffers. */
  trim(): void {
    if (this.count === 0) {
      this.buf = EMPTY;
      this.offs = this.lens = NO_SLOTS;
      this.first = this.head = this.tail = 0;
      this.wrapped = false;
    }
  }

  /** Bytes of memory the ring holds now, for memory accounting. */
  get capacity(): number {
    return this.buf.length + this.offs.length * 8;
  }

  private release(records: number, bytes: number): void {
    this.count -= records;
    this.bytes -= bytes;
    if (this.count === 0) {
      this.first = this.head = this.tail = 0;
      this.wrapped = false;
      return;
    }
    this.first = (this.first + records) % this.offs.length;
    const next = this.offs[this.first];
    if (this.wrapped && next < this.head) this.wrapped = false; // the reader followed the wrap
    this.head = next;
  }

  /** Where `n` bytes can go now, or -1. With `commit`, records the wrap if it wraps. */
  private place(n: number, commit: boolean): number {
    const cap = this.buf.length;
    if (this.count === 0) return n <= cap ? 0 : -1;
    if (this.wrapped) return this.tail + n <= this.head ? this.tail : -1;
    if (this.tail + n <= cap) return this.tail;
    if (n <= this.head) {
      if (commit) this.wrapped = true;
      return 0;
    }
    return -1;
  }

  /** Doubles the data buffer (up to maxBytes) and lays the records out from 0. */
  private grow(n: number): boolean {
    const need = this.bytes + n;
    if (need > this.maxBytes) return false;
    let size = Math.max(this.buf.length * 2, this.initialBytes);
    while (size < need) size *= 2;
    size = Math.min(size, this.maxBytes);
    if (size <= this.buf.length) return false;
    const next = Buffer.allocUnsafe(size);
    const slots = this.offs.length;
    let o = 0;
    for (let i = 0, slot = this.first; i < this.count; i++, slot = slot + 1 === slots ? 0 : slot + 1) {
      const off = this.offs[slot];
      const len = this.lens[slot];
      this.buf.copy(next, o, off, off + len);
      this.offs[slot] = o;
      o += len;
    }
    this.buf = next;
    this.head = 0;
    this.tail = o;
    this.wrapped = false;
    return true;
  }

  private growSlots(): void {
    const size = Math.min(Math.max(this.offs.length * 2, INITIAL_SLOTS), Math.max(this.maxCount, 1));
    const offs = new Uint32Array(size);
    const lens = new Uint32Array(size);
    const slots = this.offs.length;
    for (let i = 0, slot = this.first; i < this.count; i++, slot = slot + 1 === slots ? 0 : slot + 1) {
      offs[i] = this.offs[slot];
      lens[i] = this.lens[slot];
    }
    this.offs = offs;
    this.lens = lens;
    this.first = 0;
  }
}
