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
// is empty is written straight into the link's next batch (`reserve()`), in
// arrival order, instead of into that drain's ring and from there into a
// batch. With 10,000 drains each getting a message now and then, that skips a
// copy and, above all, touching 10,000 rings' memory per second. The stage
// holds at most STAGE_BATCHES batches (2 MiB: more than one event-loop turn
// reads); when it is full, or the drain already has records queued (order),
// messages go to the drain's ring as usual, under its policy. Consecutive
// messages of one input chunk lie in the stage exactly as in the chunk (same
// framing in and out), so they are reserved one by one but copied as one run
// when the input is done with the chunk (settlePendingCopies), as drain rings
// do: no copy per message.
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
import { deferCopy } from '../drain';
import { scheduleFlush } from '../flush-scheduler';
import { scraped } from '../../telemetry/metrics';
import { linger } from '../linger';
import type { SyslogDrainOptions } from './config';

const BATCH_BYTES = 256 * 1024;
/** Queued bytes from which a link writes at once instead of lingering. */
export const LINGER_BYTES = 4 * 1024;
const WRITE_HIGH_WATER = 512 * 1024;
// Full-size batch buffers a busy link keeps for reuse: large short-lived
// ArrayBuffers count as external memory and drive V8 into full collections.
const MAX_SPARES = 2 + 8;
const STAGE_BATCHES = 8;
const MAX_FREE_SEGMENTS = STAGE_BATCHES + 4;
/** The most a link stages before messages queue in their drains' rings. */
export const STAGE_BYTES = STAGE_BATCHES * BATCH_BYTES;

// Every open link, for the connection gauge.
const links = new Set<StreamLink>();
const STATES = ['connected', 'down', 'idle'] as const;
scraped(
  'gauge',
  'switchyard_drain_connections',
  'Syslog drain connections (tcp, tls) by state: connected; down (connecting or waiting to reconnect); idle (not opened yet: connections open on the first message). Drains to the same endpoint share one (DRAIN_SHARE_CONNECTIONS).',
  ['transport', 'state'],
  (emit) => {
    const n = { tcp: [0, 0, 0], tls: [0, 0, 0] };
    for (const l of links) n[l.dest.transport === 'tls' ? 'tls' : 'tcp'][STATES.indexOf(l.state)]++;
    for (const t of ['tcp', 'tls'] as const) for (let i = 0; i < STATES.length; i++) emit({ transport: t, state: STATES[i] }, n[t][i]);
  },
);

/** What the link needs of a drain (SyslogStreamDrain). */
export interface LinkMember {
  /** Queued records and their bytes (framing included). */
  readonly ring: { readonly count: number; readonly bytes: number; peekLength(): number };
  /** Record framing, as in the member's ring (see Drain.push's deferred copies). */
  runPrefixLength(n: number): number;
  gapMatches(src: Buffer, gapStart: number, start: number): boolean;
  writeRunPrefix(dst: Buffer, at: number, n: number): void;
  writeRunSuffix(dst: Buffer, at: number): void;
  /** Moves the oldest records that fit into out[at:], counts them in flight; returns how many (bytes in `lastTaken`). */
  take(out: Buffer, at: number): number;
  readonly lastTaken: number;
  /** The kernel took `count` records (`bytes`) of this drain. */
  confirm(count: number, bytes: number): void;
  connected: boolean;
  readonly closing: boolean;
  readonly stats: { errors: number; retried: number };
  /** Set while the member sits in the link's ready queue. */
  linkQueued: boolean;
}

/**
 * Which members' records a batch holds, in order: (member, count, bytes) per
 * run of one member. Reused from batch to batch: a staged batch of small
 * messages from 10,000 drains has a thousand entries, and fresh arrays for
 * each would be most of the garbage the young generation collects.
 */
class Segments {
  members: Array<LinkMember | null> = [];
  counts: number[] = [];
  bytes: number[] = [];
  n = 0;

  add(m: LinkMember, count: number, len: number): void {
    const last = this.n - 1;
    if (last >= 0 && this.members[last] === m) {
      this.counts[last] += count;
      this.bytes[last] += len;
      return;
    }
    this.members[this.n] = m;
    this.counts[this.n] = count;
    this.bytes[this.n] = len;
    this.n++;
  }

  /** Confirms every segment to its member and empties the list. */
  confirmAll(): void {
    for (let i = 0; i < this.n; i++) {
      this.members[i]!.confirm(this.counts[i], this.bytes[i]);
      this.members[i] = null; // do not keep a removed drain alive
    }
    this.n = 0;
  }
}

interface Batch {
  buf: Buffer;
  /** The whole buffer `buf` is a view of, reused once the write completes. */
  store: Buffer;
  segs: Segments;
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
  private spares: Buffer[] = [];
  private lastWriteAt = 0;
  private urgent = false;
  // The stage: the next batch being filled in arrival order (see reserve()).
  private stage: Buffer | null = null;
  private stageLen = 0;
  private stageSegs = new Segments();
  private freeSegs: Segments[] = [];
  // Full stage batches, oldest first, waiting for the socket.
  private staged: Batch[] = [];
  // The deferred copy: stage bytes [runDst, ...) are still src[runStart:runEnd].
  private runSrc: Buffer | null = null;
  private runStart = 0;
  private runEnd = 0;
  private runDst = 0;
  private runBuf: Buffer | null = null;
  private runMember: LinkMember | null = null;
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

  get state(): (typeof STATES)[number] {
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

  get size(): number {
    return this.members.size;
  }

  /** Where reserve() places records; valid right after a successful reserve(). */
  get stageBuf(): Buffer {
    return this.stage!;
  }

  /**
   * Room for one record of `len` bytes of member `m` in the stage, or -1 (the
   * member then queues it in its ring). Only for links with several members:
   * a single busy drain does better with its ring's run copies.
   */
  reserve(m: LinkMember, len: number): number {
    if (this.members.size < 2 || this.closed) return -1;
    if (this.stageLen + len > BATCH_BYTES) {
      if (len > BATCH_BYTES || this.staged.length >= STAGE_BATCHES - 1) return -1;
      this.staged.push(this.sealStage()!);
    }
    if (this.stage === null) this.stage = this.spares.pop() ?? Buffer.allocUnsafe(BATCH_BYTES);
    const at = this.stageLen;
    this.stageLen = at + len;
    this.account(m, len);
    return at;
  }

  /**
   * reserve() for a message of a stable input chunk (see Drain.push): when it
   * directly follows the pending run in `src`, only the space is taken;
   * otherwise the pending run is settled and a new one starts here. False
   * when the stage has no room.
   */
  reserveInRun(m: LinkMember, src: Buffer, start: number, end: number, len: number): boolean {
    if (this.runSrc === src && this.stageLen + len <= BATCH_BYTES && m.gapMatches(src, this.runEnd, start) && this.members.size > 1) {
      this.stageLen += len;
      this.runEnd = end;
      this.account(m, len);
      return true;
    }
    this.settleRun();
    const at = this.reserve(m, len);
    if (at < 0) return false;
    const n = end - start;
    m.writeRunPrefix(this.stage!, at, n);
    this.runSrc = src;
    this.runStart = start;
    this.runEnd = end;
    this.runDst = at + m.runPrefixLength(n);
    this.runBuf = this.stage;
    this.runMember = m;
    deferCopy(this);
    return true;
  }

  /** Performs the deferred copy, if any. */
  settleRun(): void {
    const src = this.runSrc;
    if (src === null) return;
    this.runSrc = null;
    const dst = this.runBuf!;
    src.copy(dst, this.runDst, this.runStart, this.runEnd);
    this.runMember!.writeRunSuffix(dst, this.runDst + this.runEnd - this.runStart);
    this.runBuf = null;
    this.runMember = null;
  }

  private account(m: LinkMember, len: number): void {
    this.stageSegs.add(m, 1, len);
    if (!this.flushQueued) scheduleFlush(this);
  }

  /** The oldest staged batch, or null when nothing is staged. */
  private takeStage(): Batch | null {
    return this.staged.length > 0 ? this.staged.shift()! : this.sealStage();
  }

  /** The batch being filled, closed; null when empty. */
  private sealStage(): Batch | null {
    if (this.stageLen === 0) return null;
    this.settleRun();
    const store = this.stage!;
    const b: Batch = { buf: store.subarray(0, this.stageLen), store, segs: this.stageSegs };
    this.stage = null;
    this.stageLen = 0;
    this.stageSegs = this.freeSegs.pop() ?? new Segments();
    return b;
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
    this.settleRun();
    const s = this.socket;
    if (s === null) {
      if (this.reconnectTimer === null && (this.head < this.ready.length || this.resend.length > 0 || this.stageLen > 0 || this.staged.length > 0)) this.connect();
      return;
    }
    if (!this.connected) return;
    if (this.shouldLinger()) {
      linger(this, this.opts.lingerMs);
      return;
    }
    this.urgent = false;
    while (s.writableLength < WRITE_HIGH_WATER) {
      // Staged records were accepted before anything now in a ring of theirs.
      const b = this.resend.length > 0 ? this.resend.shift()! : (this.takeStage() ?? this.takeBatch());
      if (b === null) break;
      this.write(s, b);
    }
  }

  /** A little queued, written recently, nobody closing: wait for more (see linger.ts). */
  private shouldLinger(): boolean {
    if (this.opts.lingerMs === 0 || this.urgent || this.resend.length > 0) return false;
    let bytes = this.stageLen + this.staged.length * BATCH_BYTES;
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
    const store = size > LINGER_BYTES && size <= BATCH_BYTES ? (this.spares.pop() ?? Buffer.allocUnsafe(BATCH_BYTES)) : Buffer.allocUnsafe(size);
    const b: Batch = { buf: store, store, segs: this.freeSegs.pop() ?? new Segments() };
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
      this.freeSegs.push(b.segs);
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
      if (this.freeSegs.length < MAX_FREE_SEGMENTS) this.freeSegs.push(done.segs);
      // Refill as each batch completes rather than on 'drain' (all written):
      // the kernel then never waits for a turn of ours with nothing to send.
      if (!this.flushQueued && (this.head < this.ready.length || this.stageLen > 0 || this.staged.length > 0)) scheduleFlush(this);
      if (done.store.length === BATCH_BYTES && this.spares.length < MAX_SPARES) this.spares.push(done.store);
    });
  }

  /** Detects a destination that stopped reading; called (often) from every member's housekeeping. */
  housekeep(now: number): void {
    if (now - this.lastCheck < 500) return;
    this.lastCheck = now;
    if (this.head >= this.ready.length && this.written.length === 0 && this.stageLen === 0 && this.staged.length === 0) {
      this.spares.length = 0;
      this.stage = null;
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

/** The endpoint identity two drains must share to share a link. */
export function linkKey(d: SyslogDrainOptions): string {
  const t = d.tls;
  const tlsPart = t === null ? '' : JSON.stringify([t.ca ?? '', t.cert ?? '', t.key ?? '', t.insecure, t.servername ?? '']);
  return `${d.transport}|${d.host}|${d.port}|${d.framing}|${tlsPart}`;
}

/** The links of one router, by endpoint. A link leaves the pool with its last drain. */
export class StreamLinkPool {
  private readonly links = new Map<string, StreamLink>();

  acquire(dest: SyslogDrainOptions, opts: Omit<LinkOptions, 'onIdle'>): StreamLink {
    const key = linkKey(dest);
    let link = this.links.get(key);
    if (link === undefined) {
      link = new StreamLink(dest, { ...opts, onIdle: () => this.links.delete(key) });
      this.links.set(key, link);
    }
    return link;
  }

  /** Open links (for tests and metrics). */
  get size(): number {
    return this.links.size;
  }
}
