// The router: one message in, a copy queued on every drain its hostname maps
// to. It holds one reference to the current route table, which the route
// manager replaces whole on every change.
import { RUN_BROKEN, RUN_EXTENDED, RUN_EXTENDED_HIGH, type Drain } from '../drains/drain';
import type { Feeder } from '../drains/drain-types';
import { scraped } from '../telemetry/metrics';
import { RouteTable } from './route-table';
import { RunGroup } from './run-group';
import { ACCEPTED, PAUSE, REFUSED, UNROUTED } from './verdict';

const routers = new Set<Router>();

// Counted in a plain number on the hot path; published at scrape time.
scraped('counter', 'switchyard_messages_unrouted_total', 'Messages whose hostname had no route.', [], (emit) => {
  let n = 0;
  for (const r of routers) n += r.unrouted;
  emit({}, n);
});

export class Router {
  private table: RouteTable<Drain> = new RouteTable(new Map());
  unrouted = 0;
  private readonly nameBuf = Buffer.allocUnsafe(1024);
  // The target list and input chunk the fast path last failed for past its
  // first target (see deliver). Holds on to one chunk until the next such
  // failure or route change: a few tens of KiB.
  private slowDrains: Drain[] | null = null;
  private slowSrc: Buffer | null = null;
  // Messages accepted for the last message's targets, not yet handed to them.
  private readonly group = new RunGroup();

  constructor() {
    routers.add(this);
  }

  /** Swaps in a new table; lookups in progress finish on the old one. */
  setTable(t: RouteTable<Drain>): void {
    this.group.settleRun();
    this.table = t;
    this.slowDrains = null;
    this.slowSrc = null;
  }

  get routes(): RouteTable<Drain> {
    return this.table;
  }

  /**
   * Hot path. `buf[start:end]` is one RFC 5424 message; the routing hostname is
   * `buf[hostStart:hostEnd]`. With a feeder (a stream connection), a full drain
   * can ask it to pause (PAUSE) or refuse the message (REFUSED: nothing was
   * queued anywhere, hold it and try again once resumed). Without one, a
   * refused message is counted as dropped by the full drain. `stable`: `buf`
   * is an input chunk that nobody changes, ever (a fresh socket read): drains
   * defer and merge their copies from it until settlePendingCopies()
   * (deferred-copy.ts), and may keep parts of it to send as they are.
   */
  route(buf: Buffer, start: number, end: number, hostStart: number, hostEnd: number, feeder: Feeder | null, stable = false): number {
    const to = this.table.lookupAny(buf, hostStart, hostEnd);
    const group = this.group;
    if (group.to !== null) {
      if (to === group.to && stable && group.extend(buf, start, end)) return ACCEPTED;
      group.settleRun();
    }
    if (to === undefined) {
      this.unrouted++;
      return UNROUTED;
    }
    if (Array.isArray(to)) return this.deliver(to, buf, start, end, feeder, stable);
    return this.deliverOne(to, buf, start, end, feeder, stable);
  }

  /**
   * Without queueing anything: would a message of `len` bytes for this hostname
   * be refused (a `block` drain is full)? Lets the HTTP input accept a whole
   * body or none of it.
   */
  wouldRefuse(buf: Buffer, hostStart: number, hostEnd: number, len: number): boolean {
    this.group.settleRun();
    const to = this.table.lookupAny(buf, hostStart, hostEnd);
    if (to === undefined) return false;
    if (!Array.isArray(to)) return to.wouldRefuse(len, null);
    for (let i = 0; i < to.length; i++) if (to[i].wouldRefuse(len, null)) return true;
    return false;
  }

  /**
   * deliver() for a hostname with one drain, the usual case: the same steps
   * with no list to walk and nothing to take back.
   */
  private deliverOne(d: Drain, buf: Buffer, start: number, end: number, feeder: Feeder | null, stable: boolean): number {
    // With 10,000 drains on one shared link, each message is for a drain
    // whose ring is empty: straight to the link's stage. extendRun() and
    // wouldRefuse() have nothing to say about an empty ring (no run to
    // extend, nothing to refuse), and asking them cost cold reads.
    if (d.stage(buf, start, end, stable)) return ACCEPTED;
    if (stable) {
      const why = d.extendRun(buf, start, end);
      if (why === RUN_EXTENDED) {
        this.group.open(d, buf, end);
        return ACCEPTED;
      }
      if (why === RUN_EXTENDED_HIGH) return d.afterExtend(feeder);
    }
    if (d.wouldRefuse(end - start, feeder)) {
      if (feeder === null) d.countRefused();
      return REFUSED;
    }
    return d.push(buf, start, end, feeder, stable);
  }

  private deliver(drains: Drain[], buf: Buffer, start: number, end: number, feeder: Feeder | null, stable = false): number {
    // Fast path, the common case of a stream: every target extends the run of
    // this chunk it is already copying (RunDrain.extendRun). Such a message can
    // be neither refused nor dropped, so no wouldRefuse() pass. If one target
    // cannot, those that did take it back and the message goes the long way.
    // When one past the first target has no run to extend (it does not defer
    // copies, or writes another framing, or the sender puts stray LFs between
    // frames), the next message would fail the same way: this list stops
    // trying for the rest of the chunk, so the taking back is paid once.
    if (stable && (drains !== this.slowDrains || buf !== this.slowSrc)) {
      let i = 0;
      let why = RUN_EXTENDED;
      let high = false;
      for (; i < drains.length; i++) {
        why = drains[i].extendRun(buf, start, end);
        if (why < RUN_EXTENDED) break;
        if (why === RUN_EXTENDED_HIGH) high = true;
      }
      if (i === drains.length) {
        if (!high) {
          this.group.open(drains, buf, end);
          return ACCEPTED;
        }
        // Above a high-water mark: the pause protocol, for every target.
        let verdict = ACCEPTED;
        for (let k = 0; k < drains.length; k++) if (drains[k].afterExtend(feeder) === PAUSE) verdict = PAUSE;
        return verdict;
      }
      if (i > 0) {
        if (why === RUN_BROKEN) {
          this.slowDrains = drains;
          this.slowSrc = buf;
        }
        while (i > 0) drains[--i].retractRun();
      }
    }
    const n = end - start;
    for (let i = 0; i < drains.length; i++) {
      const d = drains[i];
      if (d.wouldRefuse(n, feeder)) {
        if (feeder === null) d.countRefused();
        return REFUSED;
      }
    }
    let verdict = ACCEPTED;
    for (let i = 0; i < drains.length; i++) {
      if (drains[i].push(buf, start, end, feeder, stable) === PAUSE) verdict = PAUSE;
    }
    return verdict;
  }

  /** Off the hot path (events, Envoy, HTTP): route a whole RFC 5424 message by a hostname string. */
  routeMessage(hostname: string, message: Buffer): number {
    this.group.settleRun();
    const n = this.nameBuf.write(hostname, 0, 'utf8');
    if (n >= this.nameBuf.length) {
      this.unrouted++;
      return UNROUTED;
    }
    const to = this.table.lookupAny(this.nameBuf, 0, n);
    if (to === undefined) {
      this.unrouted++;
      return UNROUTED;
    }
    if (Array.isArray(to)) return this.deliver(to, message, 0, message.length, null);
    return this.deliverOne(to, message, 0, message.length, null, false);
  }

  close(): void {
    this.group.settleRun();
    routers.delete(this);
  }
}
