// Deferred copies out of an input chunk. A drain (or a shared syslog link's
// stage) that takes consecutive messages of one socket read reserves their
// room at once but copies the bytes as one run when the input is done with
// the chunk: one copy per run instead of one per message (see RunDrain.push).
// Inputs call settlePendingCopies() when they are done with a read chunk.

/** A holder of a deferred run copy. */
export interface DeferredCopy {
  settleRun(): void;
}

let pendingRuns: DeferredCopy[] = [];
// Messages accepted but not yet handed to their drains (the router's run
// groups): handed over before any run is copied, as they extend those runs.
let pendingGroups: DeferredCopy[] = [];

/** Registers a deferred copy to be performed by the next settlePendingCopies(). */
export function deferCopy(d: DeferredCopy): void {
  pendingRuns.push(d);
}

/** Registers a holder of accepted messages whose settleRun() hands them to their drains' runs. */
export function deferGroup(g: DeferredCopy): void {
  pendingGroups.push(g);
}

/** Performs every deferred copy. Call before a source buffer may change or be released. */
export function settlePendingCopies(): void {
  if (pendingGroups.length > 0) {
    const groups = pendingGroups;
    pendingGroups = [];
    for (let i = 0; i < groups.length; i++) groups[i].settleRun();
  }
  if (pendingRuns.length === 0) return;
  const list = pendingRuns;
  pendingRuns = [];
  for (let i = 0; i < list.length; i++) list[i].settleRun();
}
