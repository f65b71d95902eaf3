// syslog over TCP or TLS: records are kept in the ring already framed
// (octet-counted or LF), so delivery is copying a run of them into one large
// write. While disconnected the ring keeps filling (up to its bound) and the
// drain reconnects with backoff; batches that were written but not confirmed
// when the connection dropped are sent again first, so order holds (a batch the
// kernel had partly taken may then arrive twice). "Delivered" means the kernel
// took the bytes: what sat in socket buffers when a connection broke is lost,
// as with any syslog forwarder over plain TCP (RFC 5425/6587 have no acks).
import net from 'node:net';
import tls from 'node:tls';
import { Backoff } from '../../backoff';
import { linger } from '../linger';
import { Drain } from '../drain';
import { bufferOptions, type DrainContext, type DrainSpec } from '../url';
import type { SyslogDrainOptions } from './config';

const BATCH_BYTES = 256 * 1024;
// Queued bytes from which a drain writes at once instead of lingering.
const LINGER_BYTES = 4 * 1024;
const WRITE_HIGH_WATER = 512 * 1024;

interface Batch {
  buf: Buffer;
  count: number;
  /** The whole buffer `buf` is a view of, reused once the write completes. */
  store: Buffer;
}

// Full-size batch buffers a busy drain keeps for reuse: large short-lived
// ArrayBuffers count as external memory and drive V8 into full collections.
const MAX_SPARES = 2;

export class SyslogStreamDrain extends Drain {
  private readonly opts: SyslogDrainOptions;
  private readonly connectTimeoutMs: number;
  private readonly writeTimeoutMs: number;
  private readonly octet: boolean;
  private socket: net.Socket | null = null;
  private generation = 0;
  private written: Batch[] = [];
  private resend: Batch[] = [];
  private readonly backoff = new Backoff(100, 30_000);
  private reconnectTimer: NodeJS.Timeout | null = null;
  private lastProgress = 0;
  private lastBytesWritten = 0;
  private loggedDown = false;
  private spares: Buffer[] = [];
  private readonly lingerMs: number;
  private lastWriteAt = 0;
  lingering = false;

  constructor(spec: DrainSpec<SyslogDrainOptions>, ctx: DrainContext) {
    super({ url: spec.url, label: spec.label, kind: spec.kind, buffer: bufferOptions(spec, ctx), logger: ctx.logger });
    this.opts = spec.options;
    this.octet = spec.options.framing === 'octet';
    this.connectTimeoutMs = ctx.connectTimeoutMs;
    this.writeTimeoutMs = ctx.writeTimeoutMs;
    this.lingerMs = ctx.lingerMs ?? 0;
  }

  protected recordLength(n: number): number {
    return this.octet ? n + digits(n) + 1 : n + 1;
  }

  protected writeRecord(dst: Buffer, at: number, src: Buffer, start: number, end: number): void {
    const n = end - start;
    if (this.octet) {
      at = writeDecimal(dst, at, n);
      dst[at++] = 0x20;
      src.copy(dst, at, start, end);
    } else {
      src.copy(dst, at, start, end);
      dst[at + n] = 0x0a;
    }
  }

  // Deferred run copies (Drain.push): octet-counted records are `LEN SP MSG`,
  // LF records `MSG LF`. Between two messages of an octet-counted input chunk
  // lie exactly the next one's `LEN SP` (the framer read LEN from those bytes);
  // between two messages of an LF chunk lies one LF.
  protected runPrefixLength(n: number): number {
    return this.octet ? digits(n) + 1 : 0;
  }

  protected gapMatches(src: Buffer, gapStart: number, start: number): boolean {
    if (this.octet) return start - gapStart >= 2 && src[start - 1] === 0x20 && src[gapStart] !== 0x0a && start - gapStart === digitsAt(src, gapStart) + 1;
    return start - gapStart === 1 && src[gapStart] === 0x0a;
  }

  protected writeRunPrefix(dst: Buffer, at: number, n: number): void {
    if (this.octet) dst[writeDecimal(dst, at, n)] = 0x20;
  }

  protected writeRunSuffix(dst: Buffer, at: number): void {
    if (!this.octet) dst[at] = 0x0a;
  }

  /** Connects lazily, on the first message: a large route table of idle drains holds no sockets. */
  start(): void {}

  flush(): void {
    const s = this.socket;
    if (s === null) {
      if (this.reconnectTimer === null && !this.destroyed && this.queued > 0) this.connect();
      return;
    }
    if (!this.connected) return;
    if (this.shouldLinger()) {
      linger(this, this.lingerMs);
      return;
    }
    while (s.writableLength < WRITE_HIGH_WATER) {
      const b = this.resend.length > 0 ? this.resend.shift()! : this.takeBatch();
      if (b === null) break;
      this.write(s, b);
    }
  }

  /** A little queued, written recently, not closing: wait for more (see linger.ts). */
  private shouldLinger(): boolean {
    if (this.lingerMs === 0 || this.closing || this.resend.length > 0 || this.ring.bytes >= LINGER_BYTES) return false;
    const now = Date.now();
    if (now - this.lastWriteAt >= this.lingerMs) {
      this.lastWriteAt = now;
      return false;
    }
    return true;
  }

  /** Called from the shared housekeeping tick: detects a destination that stopped reading. */
  housekeep(): void {
    super.housekeep();
    if (this.ring.count === 0) this.spares.length = 0;
    const s = this.socket;
    if (s === null || !this.connected) return;
    const now = Date.now();
    if (s.writableLength === 0 || s.bytesWritten !== this.lastBytesWritten) {
      this.lastBytesWritten = s.bytesWritten;
      this.lastProgress = now;
    } else if (now - this.lastProgress > this.writeTimeoutMs) {
      this.stats.errors++;
      this.log.warn({ timeoutMs: this.writeTimeoutMs }, 'syslog drain made no write progress within the write timeout; reconnecting');
      s.destroy();
    }
  }

  protected closeTransport(): void {
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
  }

  private takeBatch(): Batch | null {
    if (this.ring.count === 0) return null;
    const first = this.ring.peekLength();
    const size = Math.max(first, Math.min(BATCH_BYTES, this.ring.bytes));
    // A busy drain writes from reused full-size stores: a fresh ArrayBuffer per
    // batch is external memory, which drives V8 into full collections (the p99
    // of scenario 1). Batches under LINGER_BYTES come from Node's shared pool.
    const buf = size > LINGER_BYTES && size <= BATCH_BYTES ? (this.spares.pop() ?? Buffer.allocUnsafe(BATCH_BYTES)) : Buffer.allocUnsafe(size);
    const count = this.takeInto(buf, 0x7fffffff, null);
    this.inflight += count;
    return { buf: buf.subarray(0, this.ring.lastShiftBytes), count, store: buf };
  }

  private write(s: net.Socket, b: Batch): void {
    this.written.push(b);
    const gen = this.generation;
    s.write(b.buf, (err) => {
      if (err || gen !== this.generation) return;
      const done = this.written.shift();
      if (done === undefined) return;
      this.inflight -= done.count;
      this.countDelivered(done.count, done.buf.length);
      if (done.store.length === BATCH_BYTES && this.spares.length < MAX_SPARES) this.spares.push(done.store);
    });
  }

  private connect(): void {
    this.reconnectTimer = null;
    if (this.destroyed) return;
    const { host, port } = this.opts;
    const t = this.opts.tls;
    const s =
      t === null
        ? net.connect({ host, port })
        : tls.connect({ host, port, servername: t.servername, ca: t.ca, cert: t.cert, key: t.key, rejectUnauthorized: !t.insecure });
    this.socket = s;
    const gen = ++this.generation;
    s.setNoDelay(true);
    s.setTimeout(this.connectTimeoutMs, () => {
      if (!this.connected) s.destroy(new Error(`connect timeout after ${this.connectTimeoutMs} ms`));
    });
    s.once(t === null ? 'connect' : 'secureConnect', () => {
      if (gen !== this.generation) return;
      s.setTimeout(0);
      this.connected = true;
      this.backoff.reset();
      this.lastProgress = Date.now();
      this.lastBytesWritten = s.bytesWritten;
      if (this.loggedDown) this.log.info('syslog drain reconnected; sending what was queued');
      this.loggedDown = false;
      this.flush();
    });
    s.on('drain', () => this.flush());
    s.on('data', () => {}); // syslog receivers send nothing; never let it pile up
    s.on('error', (err) => {
      this.stats.errors++;
      if (!this.loggedDown) this.log.warn({ err: err.message }, 'syslog drain connection failed; queueing and retrying with backoff');
      this.loggedDown = true;
    });
    s.on('close', () => {
      if (gen !== this.generation) return;
      this.generation++;
      this.connected = false;
      this.socket = null;
      // Unconfirmed writes go out again first, in order.
      if (this.written.length > 0) {
        this.resend = this.written.concat(this.resend);
        this.written = [];
      }
      if (this.destroyed) return;
      this.stats.retried++;
      this.reconnectTimer = setTimeout(() => this.connect(), this.backoff.next());
    });
  }
}

function digits(n: number): number {
  return n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : n < 100000 ? 5 : n < 1000000 ? 6 : String(n).length;
}

/** How many ASCII digits start at src[at]. */
function digitsAt(src: Buffer, at: number): number {
  let i = at;
  while (i < src.length && src[i] >= 0x30 && src[i] <= 0x39) i++;
  return i - at;
}

function writeDecimal(dst: Buffer, at: number, n: number): number {
  const d = digits(n);
  let i = at + d - 1;
  do {
    dst[i--] = 48 + (n % 10);
    n = Math.floor(n / 10);
  } while (n > 0);
  return at + d;
}
