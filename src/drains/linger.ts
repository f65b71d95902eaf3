// Small writes wait a moment. A syslog connection (syslog/stream-link.ts) that
// wrote recently and has only a little queued lingers up to `lingerMs` so what
// trickles in leaves in one write: with many drains each getting a message now
// and then, writing at once costs one system call per message. A busy
// connection (enough queued) and an idle one (its first message in a while)
// write at once, so neither the throughput nor the latency of a busy one
// changes. One shared timer serves every lingering connection.
export interface Lingerer {
  lingering: boolean;
  flush(): void;
}

let waiting: Lingerer[] = [];
let timer: NodeJS.Timeout | null = null;

export function linger(d: Lingerer, ms: number): void {
  if (d.lingering) return;
  d.lingering = true;
  waiting.push(d);
  if (timer === null) {
    timer = setTimeout(release, ms);
    timer.unref();
  }
}

function release(): void {
  timer = null;
  const list = waiting;
  waiting = [];
  for (let i = 0; i < list.length; i++) {
    list[i].lingering = false;
    list[i].flush();
  }
}
