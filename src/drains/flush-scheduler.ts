// Drains are flushed once per event-loop turn, not once per message: pushes
// mark a drain dirty, and one setImmediate walks the dirty list. Everything an
// input read in one turn therefore leaves in as few writes as possible. A
// drain's flush may in turn queue the connection it shares with others (see
// syslog/stream-link.ts); that runs in the same walk, after the drains.
export interface Flushable {
  flushQueued: boolean;
  flush(): void;
}

let queue: Flushable[] = [];
let scheduled = false;

export function scheduleFlush(d: Flushable): void {
  d.flushQueued = true;
  queue.push(d);
  if (!scheduled) {
    scheduled = true;
    setImmediate(run);
  }
}

function run(): void {
  try {
    while (queue.length > 0) {
      const q = queue;
      queue = [];
      for (let i = 0; i < q.length; i++) {
        const d = q[i];
        d.flushQueued = false;
        d.flush();
      }
    }
  } finally {
    // After a throw, what is left still gets its turn.
    scheduled = queue.length > 0;
    if (scheduled) setImmediate(run);
  }
}
