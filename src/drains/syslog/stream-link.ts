// One TCP or TLS connection to a syslog destination, shared by every stream
// drain that names the same endpoint (host, port, framing, TLS settings).
//
// Why share: a platform with 10,000 apps draining to one collector would
// otherwise hold 10,000 connections, each getting a message now and then, and
// pay one system call per message. Shared, the drains keep their own rings,
// policies and counters; the link takes what the ready drains hold, round
// robin, into one large write. Syslog frames are self-contained, so the
// receiver sees the same bytes either way. A destination is one failure
// domain anyway: when it stalls, every drain naming it stalls.
//
// Staging: on a link with several members, a message for a drain whose ring
// is empty goes straight into the link's next batch (link-stage.ts).
//
// In place: a busy drain alone on its link sends runs of messages as they lie
// in the input chunk, without copying them (sendInPlace).
//
// Delivery: "delivered" means the kernel took the bytes. Batches written but
// not confirmed when the connection dropped are sent again first, in order (a
// batch the kernel had partly taken may then arrive twice); what sat in socket
// buffers when a connection broke is lost, as with any syslog forwarder over
// plain TCP (RFC 5425/6587 have no acks).
import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from 'pino';
import { Backoff } from '../../backoff';
import { scheduleFlush } from '../flush-scheduler';
import { linger } from '../linger';
import type { SyslogDrainOptions } from './config';
import { BATCH_BYTES, BatchPools, type Batch, type LinkMember } from './link-batch';
import { InPlaceQueue } from './link-in-place';
import { LinkStage } from './link-stage';

/** Queued bytes from which a link writes at once instead of lingering. */
const LINGER_BYTES = 4 * 1024;
const WRITE_HIGH_WATER = 512 * 1024;

// Every link with members, for the connection gauge (link-pool.ts).
const links = new Set<StreamLink>();
export const LINK_STATES = ['connected', 'down', 'idle'] as const;
export function liveLinks(): ReadonlySet<StreamLink> {
  return links;
}

export interface LinkOptions {
  connectTimeoutMs: number;
  writeTimeoutMs: number;
  lingerMs: number;
  logger: Logger;
  /** Called once the last member has left. */
  onIdle?: () => void;
}

export class StreamLink {
  readonly dest: SyslogDrainOptions;
  private readonly opts: LinkOptions;
  private readonly members = new Set<LinkMember>();
  // Members with queued records, oldest request first; [head, length) is live.
  private ready: LinkMember[] = [];
  private head = 0;
  private socket: net.Socket | null = null;
  private connected = false;
  private generation = 0;
  private written: Batch[] = [];
  private resend: Batch[] = [];
  private readonly backoff = new Backoff(100, 30_000);
  private reconnectTimer: NodeJS.Timeout | null = null;
  private lastProgress = 0;
  private lastBytesWritten = 0;
  private lastCheck = 0;
  private loggedDown = false;
  private lastWriteAt = 0;
  private urgent = false;
  private readonly pools = new BatchPools();
  private readonly stage = new LinkStage(this.pools, () => {
    if (!this.flushQueued) scheduleFlush(this);
  });
  private readonly inPlace = new InPlaceQueue(this.pools, () => {
    if (!this.flushQueued) scheduleFlush(this);
  });
  private closed = false;
  private childLog: Logger | null = null;
  /** For the flush scheduler and the linger timer. */
  flushQueued = false;
  lingering = false;

  constructor(dest: SyslogDrainOptions, opts: LinkOptions) {
    this.dest = dest;
    this.opts = opts;
  }

  private get log(): Logger {
    return (this.childLog ??= this.opts.logger.child({ destination: `${this.dest.transport}://${this.dest.host}:${this.dest.port}` }));
  }

  get state(): (typeof LINK_STATES)[number] {
    return this.connected ? 'connected' : this.socket !== null || this.reconnectTimer !== null ? 'down' : 'idle';
  }

  join(m: LinkMember): void {
    if (this.members.size === 0) links.add(this);
    this.members.add(m);
    m.connected = this.connected;
  }

  /** The member is gone (destroyed). Its unconfirmed bytes still go out if the link stays up. */
  leave(m: LinkMember): void {
    if (!this.members.delete(m)) return;
    m.connected = false;
    if (this.members.size > 0) return;
    this.closed = true;
    links.delete(this);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const s = this.socket;
    this.socket = null;
    this.connected = false;
    if (s !== null) {
      // Everything confirmed is out; end() lets the kernel finish sending.
      if (this.written.length === 0) s.end();
      else s.destroy();
    }
    this.opts.onIdle?.();
  }

  /** Where reserve() placed the record; valid right after a successful reserve(). */
  get stageBuf(): Buffer {
    return this.stage.buf;
  }

  /**
   * Whether members may stage records: only on links with several members (a
   * single busy drain does better with its ring's run copies).
   */
  get staging(): boolean {
    return this.members.size > 1 && !this.closed;
  }

  /** Room in the stage for one record of `len` bytes of member `m`, or -1 (it then queues in its ring). */
  reserve(m: LinkMember, len: number): number {
    return this.stage.reserve(m, len);
  }

  /** reserve() for a message of a stable input chunk, copied later as part of a run (see LinkStage). */
  reserveInRun(m: LinkMember, src: Buffer, start: number, end: number, len: number): boolean {
    return this.stage.reserveInRun(m, src, start, end, len);
  }

  /**
   * In-place sending: a busy drain alone on its link hands over runs of
   * records as they lie in the input chunk, `view`, `count` records framed
   * as the link sends them: no copy into its ring, none from the ring into a
   * batch; the kernel's copy is the only one. (Fan-out to ten destinations
   * otherwise copies each message twenty times in user space.) `view` lies in
   * a chunk nobody changes (a fresh socket read), which the batch keeps alive
   * until the kernel has taken it. Only while the connection is up, with
   * nothing older queued ahead (resent batches, the member's ring: see
   * sendAheadOfRun), for runs worth a write of their own, and within
   * the bounds of link-in-place.ts on what is queued and kept alive; otherwise
   * false, and the member copies the run into its ring as usual, under its
   * policy.
   */
  sendInPlace(m: LinkMember, view: Buffer, count: number): boolean {
    const unsent = this.inPlaceOpen();
    return unsent >= 0 && this.inPlace.addView(m, view, count, unsent);
  }

  /**
   * A run of member `m` is about to start while its ring holds records: if
   * the link may send in place, those records are taken now (copied into
   * batches, as takeBatch would later), so that the run can follow them in
   * place. A frame that straddled two socket reads is always such a record.
   */
  sendAheadOfRun(m: LinkMember): void {
    const unsent = this.inPlaceOpen();
    if (unsent >= 0) this.inPlace.addRing(m, unsent);
  }

  /** Runs sent in place since the link was made. */
  get inPlaceRuns(): number {
    return this.inPlace.runs;
  }

  /** Input-chunk bytes that in-place batches not yet confirmed keep alive. */
  get pinnedBytes(): number {
    return this.inPlace.pinned;
  }

  /** What the socket has not yet taken, if in-place batches may be queued now; else -1. */
  private inPlaceOpen(): number {
    const s = this.socket;
    if (s === null || !this.connected || this.closed || this.members.size !== 1) return -1;
    if (this.resend.length > 0 || !this.stage.empty) return -1;
    return s.writableLength;
  }

  /** A member has records to send (or is closing and wants them out now). */
  request(m: LinkMember): void {
    if (m.ring.count > 0 && !m.linkQueued) {
      m.linkQueued = true;
      this.ready.push(m);
    }
    if (m.closing) this.urgent = true;
    if (!this.flushQueued) scheduleFlush(this);
  }

  flush(): void {
    if (this.closed) return;
    const s = this.socket;
    if (s === null) {
      if (this.reconnectTimer === null && (this.head < this.ready.length || this.resend.length > 0 || !this.inPlace.empty || !this.stage.empty)) this.connect();
      return;
    }
    if (!this.connected) return;
    if (this.shouldLinger()) {
      linger(this, this.opts.lingerMs);
      return;
    }
    this.urgent = false;
    // Corked, the batches of one flush leave in one writev: in-place batches
    // are a socket read's worth each, several per turn.
    s.cork();
    while (s.writableLength < WRITE_HIGH_WATER) {
      // In-place batches were taken with nothing staged ahead of them, and
      // staged records were accepted before anything now in a ring of theirs.
      const b = this.resend.length > 0 ? this.resend.shift()! : (this.inPlace.take() ?? this.stage.take() ?? this.takeBatch());
      if (b === null) break;
      this.write(s, b);
    }
    s.uncork();
  }

  /** A little queued, written recently, nobody closing: wait for more (see linger.ts). */
  private shouldLinger(): boolean {
    if (this.opts.lingerMs === 0 || this.urgent || this.resend.length > 0) return false;
    let bytes = this.stage.bytes + this.inPlace.bytes;
    for (let i = this.head; i < this.ready.length && bytes < LINGER_BYTES; i++) bytes += this.ready[i].ring.bytes;
    if (bytes >= LINGER_BYTES) return false;
    const now = Date.now();
    if (now - this.lastWriteAt >= this.opts.lingerMs) {
      this.lastWriteAt = now;
      return false;
    }
    return true;
  }

  /**
   * Fills one batch from the ready members, round robin: a member that still
   * has records when the batch is full goes to the back of the queue, so one
   * busy drain cannot starve the quiet ones sharing its connection.
   */
  private takeBatch(): Batch | null {
    const q = this.ready;
    let size = 0;
    for (let i = this.head; i < q.length && size < BATCH_BYTES; i++) size += q[i].ring.bytes;
    if (size === 0) {
      this.dropReady();
      return null;
    }
    // A record larger than a batch travels alone in a buffer of its own size.
    const first = q[this.head].ring.peekLength();
    size = Math.max(first, Math.min(BATCH_BYTES, size));
    const store = this.pools.storeFor(size);
    const b: Batch = { buf: store, store, segs: this.pools.segments(), pinned: 0 };
    let o = 0;
    while (this.head < q.length) {
      const m = q[this.head];
      if (!this.members.has(m) || m.ring.count === 0) {
        this.pop(m);
        continue;
      }
      const n = m.take(store, o);
      if (n > 0) {
        b.segs.add(m, n, m.lastTaken);
        o += m.lastTaken;
      }
      if (m.ring.count === 0) {
        this.pop(m);
        continue;
      }
      // The batch is full: this member goes last next time.
      this.head++;
      q.push(m);
      break;
    }
    if (this.head > 1024 && this.head * 2 > q.length) {
      this.ready = q.slice(this.head);
      this.head = 0;
    }
    if (o === 0) {
      this.pools.giveSegments(b.segs);
      return null;
    }
    b.buf = store.subarray(0, o);
    return b;
  }

  private pop(m: LinkMember): void {
    m.linkQueued = false;
    this.head++;
  }

  private dropReady(): void {
    for (let i = this.head; i < this.ready.length; i++) this.ready[i].linkQueued = false;
    this.ready = [];
    this.head = 0;
  }

  private write(s: net.Socket, b: Batch): void {
    this.written.push(b);
    this.lastWriteAt = Date.now();
    const gen = this.generation;
    s.write(b.buf, (err) => {
      if (err || gen !== this.generation) return;
      const done = this.written.shift();
      if (done === undefined) return;
      done.segs.confirmAll();
      this.inPlace.written(done);
      this.pools.release(done);
      // Refill as each batch completes rather than on 'drain' (all written):
      // the kernel then never waits for a turn of ours with nothing to send.
      if (!this.flushQueued && (this.head < this.ready.length || !this.inPlace.empty || !this.stage.empty)) scheduleFlush(this);
    });
  }

  /** Detects a destination that stopped reading; called (often) from every member's housekeeping. */
  housekeep(now: number): void {
    if (now - this.lastCheck < 500) return;
    this.lastCheck = now;
    if (this.head >= this.ready.length && this.written.length === 0 && this.inPlace.empty && this.stage.empty) {
      this.pools.trim();
      this.stage.trim();
    }
    const s = this.socket;
    if (s === null || !this.connected) return;
    if (s.writableLength === 0 || s.bytesWritten !== this.lastBytesWritten) {
      this.lastBytesWritten = s.bytesWritten;
      this.lastProgress = now;
    } else if (now - this.lastProgress > this.opts.writeTimeoutMs) {
      this.countOnMembers('errors');
      this.log.warn({ timeoutMs: this.opts.writeTimeoutMs, drains: this.members.size }, 'syslog destination made no write progress within the write timeout; reconnecting');
      s.destroy();
    }
  }

  private countOnMembers(what: 'errors' | 'retried'): void {
    for (const m of this.members) m.stats[what]++;
  }

  private setConnected(up: boolean): void {
    this.connected = up;
    for (const m of this.members) m.connected = up;
  }

  private connect(): void {
    this.reconnectTimer = null;
    if (this.closed) return;
    const { host, port } = this.dest;
    const t = this.dest.tls;
    const s =
      t === null
        ? net.connect({ host, port })
        : tls.connect({ host, port, servername: t.servername, ca: t.ca, cert: t.cert, key: t.key, rejectUnauthorized: !t.insecure });
    this.socket = s;
    const gen = ++this.generation;
    const timeoutMs = this.opts.connectTimeoutMs;
    s.setNoDelay(true);
    s.setTimeout(timeoutMs, () => {
      if (!this.connected) s.destroy(new Error(`connect timeout after ${timeoutMs} ms`));
    });
    s.once(t === null ? 'connect' : 'secureConnect', () => {
      if (gen !== this.generation) return;
      s.setTimeout(0);
      this.setConnected(true);
      this.backoff.reset();
      this.lastProgress = Date.now();
      this.lastBytesWritten = s.bytesWritten;
      if (this.loggedDown) this.log.info({ drains: this.members.size }, 'syslog destination reconnected; sending what was queued');
      this.loggedDown = false;
      this.flush();
    });
    s.on('drain', () => this.flush());
    s.on('data', () => {}); // syslog receivers send nothing; never let it pile up
    s.on('error', (err) => {
      this.countOnMembers('errors');
      if (!this.loggedDown) this.log.warn({ err: err.message, drains: this.members.size }, 'syslog destination connection failed; queueing and retrying with backoff');
      this.loggedDown = true;
    });
    s.on('close', () => {
      if (gen !== this.generation) return;
      this.generation++;
      this.setConnected(false);
      this.socket = null;
      // Unconfirmed writes go out again first, in order.
      if (this.written.length > 0) {
        this.resend = this.written.concat(this.resend);
        this.written = [];
      }
      if (this.closed) return;
      this.countOnMembers('retried');
      this.reconnectTimer = setTimeout(() => this.connect(), this.backoff.next());
    });
  }
}
