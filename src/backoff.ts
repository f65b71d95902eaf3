// Exponential backoff with jitter, the one rule for everything that retries:
// drains reconnecting or resending, the database connection, migrations. The
// delay doubles per failure up to a ceiling, and each wait is a random point
// in its upper half, so many drains (or routers) failing together do not
// retry in lockstep against a recovering destination.

/** Delay before retry number `attempt` (0 for the first). */
export function backoffDelay(attempt: number, minMs = 100, maxMs = 30_000): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/** Counts failures and hands out the next delay. */
export class Backoff {
  private failures = 0;
  constructor(
    private readonly minMs = 100,
    private readonly maxMs = 30_000,
  ) {}

  /** Delay before the next attempt; counts one more failure. */
  next(): number {
    return backoffDelay(this.failures++, this.minMs, this.maxMs);
  }

  get attempts(): number {
    return this.failures;
  }

  reset(): void {
    this.failures = 0;
  }
}
