// What a drain is configured with and counts, and what pauses for it: the
// types every drain kind, input and metric module shares (drain.ts has the
// behaviour).

export type OverflowPolicy = 'backpressure' | 'block' | 'drop';

export interface BufferOptions {
  policy: OverflowPolicy;
  /** Ring capacity in bytes (payload + 4 bytes per record). */
  bytes: number;
  /** Ring capacity in messages. */
  messages: number;
  /** How long a full drain may pause its inputs before it is cut loose (backpressure policy). */
  graceMs: number;
  /** Queued bytes from which stream inputs pause (capped by 80 % of `bytes`); absent: 80 % of `bytes`. */
  pauseBytes?: number;
}

/** A stream input connection that pauses when a drain is full and is resumed by it. */
export interface Feeder {
  resumeFeed(): void;
}

export type DropReason = 'overflow' | 'full' | 'rejected' | 'retries_exhausted' | 'shutdown' | 'oversize';

export interface DrainStats {
  delivered: number;
  deliveredBytes: number;
  retried: number;
  errors: number;
  dropped: Record<DropReason, number>;
}
