// The Drain base class and the router's fan-out decision, with no network: a
// drain kind that delivers into an array (a real subclass, not a mock) shows
// each overflow policy, the feeder pause/resume protocol, oversize messages,
// L10 notices and the shutdown accounting.
import pino from 'pino';
import t from 'tap';
import { Drain } from '../../src/drains/drain';
import type { Feeder, OverflowPolicy } from '../../src/drains/drain-types';
import { RouteTable } from '../../src/router/route-table';
import { Router } from '../../src/router/router';
import { ACCEPTED, PAUSE, REFUSED } from '../../src/router/verdict';

class MemoryDrain extends Drain {
  out: string[] = [];
  open = false;
  transportClosed = false;
  private readonly scratch = Buffer.alloc(1 << 16);
  private readonly ends = new Uint32Array(64);

  constructor(policy: OverflowPolicy, messages: number, graceMs = 50, bytes = 1 << 20, pauseBytes?: number) {
    super({ url: 'memory://test', label: `memory-${policy}`, kind: 'memory', buffer: { policy, messages, bytes, graceMs, pauseBytes }, logger: pino({ level: 'silent' }) });
  }
  protected recordLength(n: number): number {
    return n;
  }
  protected writeRecord(dst: Buffer, at: number, src: Buffer, start: number, end: number): void {
    src.copy(dst, at, start, end);
  }
  flush(): void {
    while (this.open) {
      const n = this.takeInto(this.scratch, 64, this.ends);
      if (n === 0) return;
      let s = 0;
      for (let i = 0; i < n; i++) {
        this.out.push(this.scratch.toString('utf8', s, this.ends[i]));
        s = this.ends[i];
      }
      this.countDelivered(n, s);
    }
  }
  start(): void {}
  protected closeTransport(): void {
    this.transportClosed = true;
  }
}

class CountingFeeder implements Feeder {
  resumed = 0;
  resumeFeed(): void {
    this.resumed++;
  }
}

const msg = (i: number): Buffer => Buffer.from(`<14>1 - h app - - - ${i}`);
const push = (d: Drain, i: number, f: Feeder | null = null): number => {
  const b = msg(i);
  return d.push(b, 0, b.length, f);
};
const dropped = (d: Drain): number => Object.values(d.stats.dropped).reduce((a, b) => a + b, 0);
const accounted = (d: Drain): number => d.stats.delivered + d.queued + dropped(d);
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

t.test('drop: never pauses, drops the oldest at once, then one L10 notice', async (t) => {
  const d = new MemoryDrain('drop', 10);
  t.teardown(() => d.destroy());
  const f = new CountingFeeder();
  for (let i = 0; i < 25; i++) {
    t.equal(d.wouldRefuse(msg(i).length, f), false);
    t.equal(push(d, i, f), ACCEPTED);
  }
  t.equal(d.stats.dropped.overflow, 15);
  t.equal(d.ring.count, 10);
  t.equal(accounted(d), 25);
  d.open = true;
  d.flush();
  await tick();
  t.same(d.out.slice(0, 10), Array.from({ length: 10 }, (_, i) => msg(15 + i).toString()), 'the newest ten were kept');
  t.equal(d.notices, 1);
  t.match(d.out[10], /^<172>1 \S+ switchyard switchyard - L10 - Error L10 \(output buffer overflow\): 15 messages dropped since /);
  t.equal(accounted(d), 25 + d.notices);
  t.equal(f.resumed, 0);
});

t.test('backpressure: pause above high water, refuse when full, cut loose after the grace period', async (t) => {
  const d = new MemoryDrain('backpressure', 10, 50);
  t.teardown(() => d.destroy());
  const f = new CountingFeeder();
  const verdicts: number[] = [];
  for (let i = 0; i < 10; i++) verdicts.push(push(d, i, f));
  t.same(verdicts, [0, 0, 0, 0, 0, 0, 0, 0, PAUSE, PAUSE], 'PAUSE above 80%');
  t.equal(d.wouldRefuse(msg(10).length, f), true, 'full: a stream input is refused');
  t.equal(d.wouldRefuse(msg(10).length, null), false, 'an input that cannot wait is not: it drops the oldest');
  t.equal(dropped(d), 0);
  await sleep(150);
  t.equal(f.resumed, 1, 'the feeder was let go after the grace period');
  t.equal(d.wouldRefuse(msg(10).length, f), false, 'cut loose: no longer refuses');
  t.equal(push(d, 10, f), ACCEPTED, 'nor pauses');
  t.equal(d.stats.dropped.overflow, 1, 'drops its oldest instead');
  t.equal(accounted(d), 11);
});

t.test('backpressure: draining below low water within the grace period resumes without dropping', async (t) => {
  const d = new MemoryDrain('backpressure', 10, 10_000);
  t.teardown(() => d.destroy());
  const f = new CountingFeeder();
  for (let i = 0; i < 9; i++) push(d, i, f);
  d.open = true;
  d.flush();
  t.equal(f.resumed, 1, 'resumed once the ring drained');
  t.equal(dropped(d), 0);
  t.equal(d.notices, 0);
  t.equal(push(d, 9, f), ACCEPTED);
});

t.test('block: refuses when full, never drops; refused inputs that cannot wait count as full', async (t) => {
  const d = new MemoryDrain('block', 10, 10);
  t.teardown(() => d.destroy());
  const f = new CountingFeeder();
  for (let i = 0; i < 10; i++) push(d, i, f);
  await sleep(50);
  t.equal(d.wouldRefuse(msg(10).length, f), true, 'still refusing after the grace period');
  t.equal(f.resumed, 0);
  d.countRefused();
  t.equal(d.stats.dropped.full, 1);
  t.equal(d.stats.dropped.overflow, 0);
  d.open = true;
  d.flush();
  t.equal(f.resumed, 1, 'resumed after draining');
  await tick();
  t.equal(d.notices, 1, 'the refused message is reported by an L10 notice');
  t.equal(d.stats.delivered, 10 + 1);
  t.equal(accounted(d), 11 + d.notices);
});

t.test('a message larger than the whole ring is dropped as oversize, never refused (any policy)', async (t) => {
  for (const policy of ['block', 'backpressure', 'drop'] as const) {
    const d = new MemoryDrain(policy, 100, 10, 1024);
    const f = new CountingFeeder();
    const huge = Buffer.alloc(4096, 0x61);
    t.equal(d.wouldRefuse(huge.length, f), false, `${policy}: not refused (the feeder would wait forever)`);
    t.equal(d.push(huge, 0, huge.length, f), ACCEPTED);
    t.equal(d.stats.dropped.oversize, 1, `${policy}: counted as oversize`);
    t.equal(d.queued, 0);
    d.destroy();
  }
});

t.test('router: a full block drain refuses for all its siblings; without a feeder it is dropped there only', async (t) => {
  const block = new MemoryDrain('block', 5);
  const other = new MemoryDrain('backpressure', 100);
  const router = new Router();
  t.teardown(() => {
    block.destroy();
    other.destroy();
    router.close();
  });
  router.setTable(new RouteTable(new Map([['h', [other, block]]])));
  const f = new CountingFeeder();
  const host = Buffer.from('h');
  const route = (i: number, feeder: Feeder | null): number => {
    const b = Buffer.concat([host, msg(i)]);
    return router.route(b, 1, b.length, 0, 1, feeder);
  };
  const v: number[] = [];
  for (let i = 0; i < 5; i++) v.push(route(i, f));
  t.same(v, [0, 0, 0, 0, PAUSE], 'PAUSE above 80% of 5');
  t.equal(route(5, f), REFUSED, 'stream input: refused');
  t.equal(other.ring.count, 5, 'nothing was queued on the sibling either');
  t.equal(route(6, null), REFUSED, 'datagram input: refused');
  t.equal(block.stats.dropped.full, 1, 'and counted on the full drain');
  t.equal(other.ring.count, 5);
  t.equal(router.routeMessage('H', msg(7)), REFUSED, 'routeMessage too');
  t.equal(router.wouldRefuse(host, 0, 1, 10), true);
  t.equal(router.routeMessage('nobody', msg(8)), 3, 'UNROUTED');
  t.equal(router.unrouted, 1);
});

t.test('close(): flushes what it can, counts the rest as shutdown drops, closes the transport once', async (t) => {
  const alive = new MemoryDrain('backpressure', 100);
  for (let i = 0; i < 20; i++) push(alive, i);
  setTimeout(() => {
    alive.open = true;
  }, 60);
  await alive.close(5000);
  t.equal(alive.stats.delivered, 20);
  t.equal(alive.stats.dropped.shutdown, 0);
  t.equal(alive.transportClosed, true);

  const dead = new MemoryDrain('backpressure', 100);
  for (let i = 0; i < 20; i++) push(dead, i);
  const f = new CountingFeeder();
  dead.wouldRefuse(1 << 30, f); // not a waiter: oversize is never refused
  await dead.close(50);
  t.equal(dead.stats.dropped.shutdown, 20);
  t.equal(dead.queued, 0);
  t.equal(accounted(dead), 20);
  await dead.close(50);
  t.equal(dead.stats.dropped.shutdown, 20, 'close is idempotent');
});

t.test('housekeeping frees the ring only after a whole tick without traffic', async (t) => {
  const d = new MemoryDrain('drop', 100);
  d.open = true;
  const m = Buffer.from('hello');
  d.push(m, 0, m.length, null);
  d.flush();
  t.equal(d.ring.count, 0);
  t.ok(d.ring.buf.length > 0, 'the ring holds memory after its first message');
  d.housekeep();
  t.ok(d.ring.buf.length > 0, 'empty but busy in the last tick: kept');
  d.housekeep();
  t.equal(d.ring.buf.length, 0, 'a tick without deliveries: given back');
  d.push(m, 0, m.length, null);
  d.flush();
  t.same(d.out, ['hello', 'hello'], 'and it allocates again on the next message');
  d.destroy();
});

t.test('DRAIN_PAUSE_BYTES: inputs pause at the pause mark, far below the buffer; an outage still fills the whole buffer once cut loose', async (t) => {
  const d = new MemoryDrain('backpressure', 1_000_000, 50, 1 << 20, 10_000);
  const f = new CountingFeeder();
  const m = Buffer.alloc(100, 0x61);
  let first = -1;
  for (let i = 0; i < 200 && first < 0; i++) if (d.push(m, 0, m.length, f) === PAUSE) first = i;
  t.equal(first, 100, 'the first push past 10,000 bytes asks its input to pause');
  d.open = true;
  d.flush();
  t.equal(f.resumed, 1, 'delivering below half the mark resumes it');
  t.equal(d.stats.dropped.overflow, 0);

  // The destination goes away: paused past the grace period, the drain is cut
  // loose and then queues up to its whole buffer before dropping the oldest.
  d.open = false;
  for (let i = 0; i < 101; i++) d.push(m, 0, m.length, f);
  await new Promise((r) => setTimeout(r, 80));
  let paused = 0;
  for (let i = 0; i < 11_000; i++) if (d.push(m, 0, m.length, f) === PAUSE) paused++;
  t.equal(paused, 0, 'cut loose: nobody is paused any more');
  t.ok(d.ring.bytes > (1 << 20) - 100, `the whole 1 MiB buffer is used (${d.ring.bytes} bytes queued)`);
  t.ok(d.stats.dropped.overflow > 0, 'and only then the oldest are dropped');
  d.destroy();
});
