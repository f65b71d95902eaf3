// The router's fast path (Router.deliver → Drain.extendRun) with real syslog
// stream drains and no network: messages of one input chunk that every target
// takes by extending its deferred run. Each case checks the exact records in
// every ring after the deferred copies are settled, and the counts, on the
// cases where the fast path has to give way: a target that cannot extend
// (framing, full ring under each policy, ring wrap), the same drain twice in
// a target list, a route change between two messages of one chunk, and the
// source chunk changing. The drains never connect: nothing here yields to the
// event loop between routing and checking.
import t, { type Test as Tap } from 'tap';
import '../../src/drains';
import { parseDrainUrl, type DrainSpec } from '../../src/drains/url';
import { settlePendingCopies } from '../../src/drains/deferred-copy';
import type { Feeder } from '../../src/drains/drain-types';
import type { SyslogDrainOptions } from '../../src/drains/syslog/config';
import { SyslogStreamDrain } from '../../src/drains/syslog/stream-drain';
import { RouteTable } from '../../src/router/route-table';
import { Router } from '../../src/router/router';
import { ACCEPTED, REFUSED } from '../../src/router/verdict';
import { newHeaderScan, scanHeader } from '../../src/syslog/header';
import { quietDrainContext, takeRecords } from '../helpers/stream-drains';


/** A real stream drain that also counts the router's questions: fast path (extendRun) and long way (wouldRefuse). */
class Observed extends SyslogStreamDrain {
  refusalChecks = 0;
  extendTries = 0;
  wouldRefuse(n: number, feeder: Feeder | null): boolean {
    this.refusalChecks++;
    return super.wouldRefuse(n, feeder);
  }
  extendRun(src: Buffer, start: number, end: number): number {
    this.extendTries++;
    return super.extendRun(src, start, end);
  }
}

let drainId = 0;
// Port 9 on loopback, and nothing here waits: the drains never deliver.
const drain = (query = '', framing = 'octet'): Observed =>
  new Observed(parseDrainUrl(`syslog+tcp://127.0.0.1:9?name=d${drainId++}&framing=${framing}${query}`) as DrainSpec<SyslogDrainOptions>, quietDrainContext);

class Paused implements Feeder {
  resumed = 0;
  resumeFeed(): void {
    this.resumed++;
  }
}

const line = (host: string, i: number): string => `<14>1 2024-05-01T10:00:00Z ${host} app - - - message ${i}`;

/** One input chunk of octet-counted frames, and where each message lies in it. */
function chunk(lines: string[]): { buf: Buffer; at: Array<[number, number]> } {
  const parts: Buffer[] = [];
  const at: Array<[number, number]> = [];
  let p = 0;
  for (const l of lines) {
    const m = Buffer.from(l);
    const head = Buffer.from(`${m.length} `);
    parts.push(head, m);
    at.push([p + head.length, p + head.length + m.length]);
    p += head.length + m.length;
  }
  return { buf: Buffer.concat(parts), at };
}

const scan = newHeaderScan();
/** Routes message `i` of the chunk as a stream connection does (stable: the chunk is not released until settled). */
function route(r: Router, c: { buf: Buffer; at: Array<[number, number]> }, i: number, feeder: Feeder | null = null, stable = true): number {
  const [s, e] = c.at[i];
  if (!scanHeader(c.buf, s, e, scan)) throw new Error('test message does not scan');
  return r.route(c.buf, s, e, scan.hostStart, scan.hostEnd, feeder, stable);
}

/** Every record queued in the drain's ring, as text, leaving the ring empty. */
function records(d: SyslogStreamDrain): string[] {
  settlePendingCopies();
  return takeRecords(d);
}

const octetRecord = (l: string): string => `${Buffer.byteLength(l)} ${l}`;
const lfRecord = (l: string): string => `${l}\n`;

/** A router with these routes, closed (and every drain named destroyed) when the test ends. */
function routerFor(t: Tap, routes: Array<[string, SyslogStreamDrain[]]>, alsoDestroy: SyslogStreamDrain[] = []): Router {
  const r = new Router();
  r.setTable(new RouteTable(new Map(routes)));
  t.teardown(() => {
    r.close();
    for (const d of new Set([...routes.flatMap(([, ds]) => ds), ...alsoDestroy])) d.destroy();
  });
  return r;
}

t.test('fan-out: every target takes the messages of a chunk on the fast path, records exact', async (t) => {
  const ds = [drain(), drain(), drain()];
  const r = routerFor(t, [['fan', ds]]);
  const lines = Array.from({ length: 200 }, (_, i) => line('fan', i));
  const c = chunk(lines);
  for (let i = 0; i < lines.length; i++) t.equal(route(r, c, i), ACCEPTED);
  for (const d of ds) {
    // The long way: the message that starts the run, and each time the ring
    // grows (its 1 KiB buffer four times to hold 11 KB, its 32 slots three
    // times to hold 200): the fast path never grows a ring.
    t.equal(d.refusalChecks, 8, 'wouldRefuse asked for the first message and the seven growths only');
    // The router's run group takes most messages without asking each target.
    t.ok(d.extendTries <= 16, `extendRun asked ${d.extendTries} times for 200 messages`);
    t.same(records(d), lines.map(octetRecord));
    t.equal(d.ring.count, 0);
  }
});

t.test('a target whose framing cannot extend the run: the others take the message back and it goes the long way', async (t) => {
  const a = drain();
  const lf = drain('', 'lf');
  const b = drain();
  const r = routerFor(t, [['mix', [a, lf, b]]]);
  const lines = Array.from({ length: 50 }, (_, i) => line('mix', i));
  const c = chunk(lines);
  for (let i = 0; i < lines.length; i++) t.equal(route(r, c, i), ACCEPTED);
  t.equal(lf.refusalChecks, 50, 'every message took the long way');
  // Message 0: no runs yet. Message 1: `a` extends, `lf` cannot, `a` takes it
  // back. From then on this list does not try the fast path in this chunk.
  t.equal(a.extendTries, 2, 'the fast path given up for the rest of the chunk after one failure past the first target');
  t.equal(lf.extendTries, 1);
  t.equal(b.extendTries, 0);
  t.same(records(a), lines.map(octetRecord), 'octet drain before the LF one: extended, retracted, pushed, each record once');
  t.same(records(lf), lines.map(lfRecord));
  t.same(records(b), lines.map(octetRecord));
  // A new chunk tries again (and gives up again); so does a new route table.
  const c2 = chunk(lines.slice(0, 3));
  for (let i = 0; i < 3; i++) route(r, c2, i);
  t.equal(a.extendTries, 4, 'tried again in a new chunk');
  r.setTable(new RouteTable(new Map([['mix', [a, lf, b]]])));
  route(r, c2, 0);
  t.equal(a.extendTries, 5, 'and after a route change');
  t.same(records(a), [...lines.slice(0, 3), lines[0]].map(octetRecord));
  t.equal(a.stats.dropped.overflow + b.stats.dropped.overflow + lf.stats.dropped.overflow, 0);
});

t.test('block: a sibling full mid-run refuses the message for every target; the one that had extended takes it back', async (t) => {
  const roomy = drain();
  const full = drain('&policy=block&buffer_messages=5');
  const r = routerFor(t, [['blk', [roomy, full]]]);
  const lines = Array.from({ length: 8 }, (_, i) => line('blk', i));
  const c = chunk(lines);
  const feeder = new Paused();
  for (let i = 0; i < 5; i++) t.not(route(r, c, i, feeder), REFUSED);
  t.equal(route(r, c, 5, feeder), REFUSED, 'the sixth does not fit the block drain');
  t.equal(roomy.ring.count, 5, 'nothing queued on the roomy sibling either');
  t.equal(full.ring.count, 5);
  t.same(records(roomy), lines.slice(0, 5).map(octetRecord));
  t.same(records(full), lines.slice(0, 5).map(octetRecord));
  // The drain emptied (as its transport would): the rest is offered again, from the refused one on.
  for (let i = 5; i < 8; i++) t.equal(route(r, c, i, feeder), ACCEPTED);
  t.same(records(roomy), lines.slice(5).map(octetRecord));
  t.same(records(full), lines.slice(5).map(octetRecord));
  t.equal(full.stats.dropped.full, 0, 'never dropped');
});

t.test('backpressure: a full sibling refuses a stream input within the grace period, nothing queued anywhere', async (t) => {
  const roomy = drain();
  const full = drain('&buffer_messages=5');
  const r = routerFor(t, [['bp', [roomy, full]]]);
  const lines = Array.from({ length: 6 }, (_, i) => line('bp', i));
  const c = chunk(lines);
  const feeder = new Paused();
  for (let i = 0; i < 5; i++) route(r, c, i, feeder);
  t.equal(route(r, c, 5, feeder), REFUSED);
  t.equal(roomy.ring.count, 5);
  t.same(records(roomy), lines.slice(0, 5).map(octetRecord));
});

t.test('drop: a sibling full mid-run drops its oldest at message granularity; the other target keeps everything', async (t) => {
  const roomy = drain();
  const small = drain('&policy=drop&buffer_messages=5');
  const r = routerFor(t, [['drp', [roomy, small]]]);
  const lines = Array.from({ length: 40 }, (_, i) => line('drp', i));
  const c = chunk(lines);
  for (let i = 0; i < lines.length; i++) t.equal(route(r, c, i, new Paused()), ACCEPTED);
  t.equal(small.stats.dropped.overflow, 35, 'exactly the messages that did not fit');
  t.same(records(small), lines.slice(35).map(octetRecord), 'the newest five, whole');
  t.same(records(roomy), lines.map(octetRecord));
});

t.test('a ring that wraps mid-run: the run is cut where the record does not fit, records stay whole and in order', async (t) => {
  // 1 KiB rings (fixed: the initial size is capped at the maximum), records of
  // about 55 bytes. The wrapping drain comes second, so the first one has
  // extended its run when the second cannot, and must take the record back.
  const first = drain('&buffer_bytes=1024');
  const wraps = drain('&buffer_bytes=1024');
  const r = routerFor(t, [['wrap', [first, wraps]]]);
  const lines = Array.from({ length: 22 }, (_, i) => line('wrap', i));
  const c = chunk(lines);
  for (let i = 0; i < 8; i++) route(r, c, i);
  // A transport takes everything from the first ring and six records from
  // the second: its head is now ~330 bytes in, its tail ~440.
  const got = { first: records(first), wraps: [] as string[] };
  const out = Buffer.alloc(1024);
  const ends = new Uint32Array(6);
  const n = wraps.ring.shiftInto(out, 6, ends);
  for (let k = 0, s = 0; k < n; s = ends[k++]) got.wraps.push(out.toString('latin1', s, ends[k]));
  // Fourteen more: ten reach the end of the buffer, the eleventh wraps to 0.
  for (let i = 8; i < 22; i++) t.equal(route(r, c, i), ACCEPTED);
  t.equal(wraps.refusalChecks, 3, 'the long way three times: two run starts and the wrap');
  t.equal(first.refusalChecks, 3, 'its sibling went the long way with it');
  got.first.push(...records(first));
  got.wraps.push(...records(wraps));
  t.same(got.first, lines.map(octetRecord));
  t.same(got.wraps, lines.map(octetRecord));
  t.equal(wraps.stats.dropped.overflow, 0, 'it fitted: nothing dropped');
});

t.test('the same drain twice in a target list: two records per message, as the long way gives', async (t) => {
  const d = drain();
  const r = routerFor(t, [['twice', [d, d]]]);
  const lines = Array.from({ length: 10 }, (_, i) => line('twice', i));
  const c = chunk(lines);
  for (let i = 0; i < lines.length; i++) t.equal(route(r, c, i), ACCEPTED);
  t.same(
    records(d),
    lines.flatMap((l) => [octetRecord(l), octetRecord(l)]),
  );
});

t.test('a route change between two messages of one chunk: a kept drain extends its run, a new one starts its own', async (t) => {
  const kept = drain();
  const added = drain('&policy=drop');
  const r = routerFor(t, [['chg', [kept]]], [added]);
  const lines = Array.from({ length: 12 }, (_, i) => line('chg', i));
  const c = chunk(lines);
  for (let i = 0; i < 6; i++) route(r, c, i);
  r.setTable(new RouteTable(new Map([['chg', [added, kept]]])));
  for (let i = 6; i < 12; i++) t.equal(route(r, c, i), ACCEPTED);
  t.equal(kept.refusalChecks, 2, 'the kept drain left the fast path only with its new sibling, once');
  t.same(records(kept), lines.map(octetRecord));
  t.same(records(added), lines.slice(6).map(octetRecord));
});

t.test('the source changes: another chunk, or a message that is not stable, ends the run first', async (t) => {
  const d = drain();
  const r = routerFor(t, [['src', [d]]]);
  const lines = Array.from({ length: 9 }, (_, i) => line('src', i));
  const c1 = chunk(lines.slice(0, 3));
  const c2 = chunk(lines.slice(3, 6));
  const c3 = chunk(lines.slice(6));
  for (let i = 0; i < 3; i++) route(r, c1, i);
  for (let i = 0; i < 3; i++) route(r, c2, i);
  route(r, c3, 0, null, false); // e.g. a frame reassembled across reads
  route(r, c3, 1);
  route(r, c3, 2);
  t.equal(d.refusalChecks, 4, 'the long way for each new source and the unstable one');
  // The chunks change before the records are read: what was deferred was copied when the source changed.
  c1.buf.fill(0);
  c2.buf.fill(0);
  t.same(records(d), lines.map(octetRecord));
});
