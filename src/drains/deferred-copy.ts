// Deferred copies out of an input chunk. A drain (or a shared syslog link's
// stage) that takes consecutive messages of one socket read reserves their
// room at once but copies the bytes as one run when the input is done with
// the chunk: one copy per run instead of one per message (see Drain.push).
// Inputs call settlePendingCopies() when they are done with a read chunk.

/** A holder of a deferred run copy. */
export interface DeferredCopy {
  settleRun(): void;
}

let pendingRuns: DeferredCopy[] = [];

/** Registers a deferred copy to be performed by the next settlePendingCopies(). */
export function deferCopy(d: DeferredCopy): void {
  pendingRuns.push(d);
}

/** Performs every deferred copy. Call before a source buffer may change or be released. */
export function settlePendingCopies(): void {
  if (pendingRuns.length === 0) return;
  const list = pendingRuns;
  pendingRuns = [];
  for (let i = 0; i < list.length; i++) list[i].settleRun();
}
