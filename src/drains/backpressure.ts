// A drain's side of the pause protocol (the overflow rules are in drain.ts):
// the stream inputs it asked to pause, the grace period that starts when it
// goes above its high-water mark, and whether it has been cut loose. Made on
// a drain's first pressure: most drains of a large route table never feel any.
import type { Feeder } from './drain-types';

/** What the protocol needs of its drain. */
export interface Pressured {
  /** Still above the high-water mark (asked when the grace period ends). */
  aboveHighWater(): boolean;
  /** Says, once, that the drain is cut loose and why. */
  warnCutLoose(graceMs: number): void;
}

export class Backpressure {
  /** 0, or when the drain was cut loose: it pauses nobody until it is re-armed. */
  cutLooseAt = 0;
  private waiters: Set<Feeder> | null = null;
  private graceTimer: NodeJS.Timeout | null = null;
  // Re-armed only once the drain has drained and this long has passed since
  // it was cut loose: a chronically slow drain cannot stall its siblings
  // again and again.
  private readonly rearmMs: number;

  constructor(
    private readonly drain: Pressured,
    private readonly graceMs: number,
  ) {
    this.rearmMs = Math.max(10 * graceMs, 10_000);
  }

  /** Remembers a feeder, to resume it once the drain has room. */
  hold(feeder: Feeder): void {
    if (this.waiters === null) this.waiters = new Set();
    this.waiters.add(feeder);
  }

  /** Above the high-water mark: the grace period starts, unless it runs already. */
  startGrace(): void {
    if (this.graceTimer !== null) return;
    this.graceTimer = setTimeout(() => this.cutLoose(), this.graceMs);
    this.graceTimer.unref();
  }

  /** Back under the low-water mark: the grace period ends, everyone held resumes, and the drain may be re-armed. */
  relieved(): void {
    this.stopGrace();
    this.release();
    if (this.cutLooseAt !== 0 && Date.now() - this.cutLooseAt >= this.rearmMs) this.cutLooseAt = 0;
  }

  /** Resumes every feeder held. */
  release(): void {
    const w = this.waiters;
    if (w === null || w.size === 0) return;
    this.waiters = null;
    for (const f of w) f.resumeFeed();
  }

  /** The drain is going away. */
  stop(): void {
    this.stopGrace();
    this.release();
  }

  private stopGrace(): void {
    if (this.graceTimer === null) return;
    clearTimeout(this.graceTimer);
    this.graceTimer = null;
  }

  private cutLoose(): void {
    this.graceTimer = null;
    // Anyone still paused has waited the whole grace period: let them go.
    const waiting = this.waiters !== null && this.waiters.size > 0;
    if (!waiting && !this.drain.aboveHighWater()) return;
    this.cutLooseAt = Date.now();
    this.drain.warnCutLoose(this.graceMs);
    this.release();
  }
}
