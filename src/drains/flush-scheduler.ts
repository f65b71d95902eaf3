// Drains are flushed once per event-loop turn, not once per message: pushes
// mark a drain dirty, and one setImmediate walks the dirty list. Everything an
// input read in one turn therefore leaves in as few writes as possible.
import type { Drain } from './drain';

let queue: Drain[] = [];
let scheduled = false;

export function scheduleFlush(d: Drain): void {
  d.flushQueued = true;
  queue.push(d);
  if (!scheduled) {
    scheduled = true;
    setImmediate(run);
  }
}

function run(): void {
  scheduled = false;
  const q = queue;
  queue = [];
  for (let i = 0; i < q.length; i++) {
    const d = q[i];
    d.flushQueued = false;
    d.flush();
  }
}
