// Exponential backoff with full jitter, shared by every drain that reconnects
// or retries: the delay doubles per failure up to `maxMs`, and each wait is a
// random point below it so that many drains failing together do not retry in
// lockstep against a recovering destination.
export class Backoff {
  private failures = 0;
  constructor(
    private readonly minMs = 100,
    private readonly maxMs = 30_000,
  ) {}

  /** Delay before the next attempt; counts one more failure. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    return Math.max(this.minMs / 2, Math.floor(Math.random() * ceiling));
  }

  get attempts(): number {
    return this.failures;
  }

  reset(): void {
    this.failures = 0;
  }
}
