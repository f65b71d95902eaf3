// A run group: consecutive messages of one input chunk for the same targets,
// accepted by the router one by one and handed to every target in one step.
//
// A stream of messages that all extend their targets' deferred runs
// (RunDrain.extendRun) cost a call on every target for every message: with ten
// targets, most of the router's own time. Once every target has extended its
// run with a message, the group asks each of them once how much more it can
// take that way (RunDrain.runRoom: room at the ring's tail, below the high-water
// mark), then takes the following messages itself, checking only that each
// directly follows the last in the chunk with the framing bytes between that
// the targets would write (Drain.gapMatches, asked of one: they share a
// runKind). Within that room no target could have answered anything but
// RUN_EXTENDED: nothing would have been refused, dropped or paused. The
// messages go to the targets (RunDrain.appendToRun) before the next message for
// other targets is routed, on a route change, and before the chunk's
// deferred copies are performed (settlePendingCopies).
import type { Drain } from '../drains/drain';
import { deferGroup } from '../drains/deferred-copy';

/** Messages one group holds at most (a 64 KiB read of 200-byte messages is ~300). */
const MAX_MESSAGES = 4096;

export class RunGroup {
  /** The targets, as the route table holds them; null when no group is open. */
  to: Drain | Drain[] | null = null;
  private src: Buffer | null = null;
  private first: Drain | null = null;
  private end = 0;
  private roomBytes = 0;
  private roomCount = 0;
  private count = 0;
  private bytes = 0;
  private readonly lens = new Uint32Array(MAX_MESSAGES);
  private readonly room = { bytes: 0, count: 0 };

  /**
   * After every target of `to` extended its run on `src` with a message
   * ending at `end`: opens a group there, when they all can take more.
   */
  open(to: Drain | Drain[], src: Buffer, end: number): void {
    const room = this.room;
    room.bytes = 0x7fffffff;
    room.count = MAX_MESSAGES;
    let first: Drain;
    if (Array.isArray(to)) {
      first = to[0];
      const kind = first.runKind();
      for (let i = 0; i < to.length; i++) {
        const d = to[i];
        if (d.runKind() !== kind || !d.runRoom(src, end, room)) return;
      }
    } else {
      first = to;
      if (!to.runRoom(src, end, room)) return;
    }
    if (room.count <= 0 || room.bytes <= 0) return;
    this.to = to;
    this.src = src;
    this.first = first;
    this.end = end;
    this.roomBytes = room.bytes;
    this.roomCount = room.count;
    this.count = 0;
    this.bytes = 0;
    deferGroup(this);
  }

  /** Takes `src[start:end]` into the open group, or answers false (nothing changed). */
  extend(src: Buffer, start: number, end: number): boolean {
    if (src !== this.src || this.count === this.roomCount) return false;
    const from = this.end;
    // The record is the framing bytes before the message and the message,
    // exactly as they lie in the chunk (for LF: the last message's LF).
    const len = end - from;
    if (this.bytes + len > this.roomBytes || !this.first!.gapMatches(src, from, start)) return false;
    this.lens[this.count++] = len;
    this.bytes += len;
    this.end = end;
    return true;
  }

  /** Hands the group's messages to its targets and closes it. Idempotent. */
  settleRun(): void {
    const to = this.to;
    if (to === null) return;
    this.to = null;
    this.src = null;
    this.first = null;
    const n = this.count;
    if (n === 0) return;
    if (Array.isArray(to)) {
      for (let i = 0; i < to.length; i++) to[i].appendToRun(this.end, this.lens, n, this.bytes);
    } else {
      to.appendToRun(this.end, this.lens, n, this.bytes);
    }
  }
}
