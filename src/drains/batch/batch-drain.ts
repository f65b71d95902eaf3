// The delivery engine every HTTP-family drain shares. A kind supplies a codec:
// a pure encoder (records → request body and headers) and a classifier
// (response → Outcome, see outcome.ts); this file owns batching, the request
// deadline, gzip, retries with backoff, splitting on 413 and the accounting.
//
// Records sit in the ring as the raw RFC 5424 bytes. A batch leaves the ring
// when it is full (batch_size messages or batch_bytes bytes), when the oldest
// waiting record has waited batch_wait ms, or at once while closing. At most
// `concurrency` batches are being worked on (default 1, so order holds); a
// batch keeps its slot through its retries and backoff, so a failing
// destination slows only its own drain, and the ring bound still holds: a
// message is either in the ring or in one of those few batches (`inflight`).
//
// Accounting, exact per message: each record of a batch ends as delivered
// (2xx, or taken in a partial answer), dropped 'rejected' (a refusal retrying
// cannot fix: other 4xx, a single message still too large after splitting, an
// item Elasticsearch refused), or dropped 'retries_exhausted' (still failing
// after `retries` retries). Delivered bytes are raw syslog bytes, not the
// encoded body. Delivery is at least once: a request that timed out or lost
// its connection may have been processed and is sent again.
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { Backoff } from '../../backoff';
import { Drain } from '../drain';
import type { DropReason } from '../drain-types';
import { bufferOptions, type DrainContext, type DrainSpec } from '../url';
import { HttpTransport, type HttpResponse } from './http-transport';
import { newRequestCounts, trackRequests, untrackRequests } from './metrics';
import type { BatchOptions, HttpTarget } from './options';
import { networkFailure, type Outcome } from './outcome';
import { newBatch, pickRecords, recordStart, splitBatch, type RecordBatch } from './record-batch';

const gzip = promisify(zlib.gzip);
const WARN_EVERY_MS = 10_000;

export interface EncodedRequest {
  body: Buffer;
  /** Content-Type and kind-specific headers; the engine adds auth, gzip and User-Agent. */
  headers: Record<string, string>;
}

export interface BatchCodec {
  /** Pure: the request for one batch (called again for every attempt). */
  encode(batch: RecordBatch): EncodedRequest;
  /** How many response body bytes classify() needs for this status (0: none). */
  bodyLimit(status: number): number;
  /** Pure: what the response means for the batch. */
  classify(res: HttpResponse, batch: RecordBatch, nowMs: number): Outcome;
}

/** What every HTTP-family kind's parse() returns (kinds may add fields). */
export interface HttpFamilyOptions {
  target: HttpTarget;
  batch: BatchOptions;
}

interface Sleeper {
  timer: NodeJS.Timeout;
  resolve: () => void;
}

export class BatchDrain extends Drain {
  protected readonly target: HttpTarget;
  protected readonly batch: BatchOptions;
  private readonly codec: BatchCodec;
  private readonly timeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly backoff: Backoff;
  private transport: HttpTransport | null = null;
  private active = 0;
  private due = false;
  private waitTimer: NodeJS.Timeout | null = null;
  private readonly sleepers = new Set<Sleeper>();
  private lastWarn = 0;
  private suppressed = 0;
  /** Requests by result, for switchyard_drain_http_requests_total. */
  readonly requests = newRequestCounts();

  constructor(spec: DrainSpec<HttpFamilyOptions>, ctx: DrainContext, codec: BatchCodec) {
    super({ url: spec.url, label: spec.label, kind: spec.kind, buffer: bufferOptions(spec, ctx), logger: ctx.logger });
    this.target = spec.options.target;
    this.batch = spec.options.batch;
    this.codec = codec;
    this.timeoutMs = this.batch.timeoutMs ?? ctx.writeTimeoutMs;
    this.connectTimeoutMs = ctx.connectTimeoutMs;
    this.backoff = new Backoff(this.batch.backoffMinMs, this.batch.backoffMaxMs);
    trackRequests(this);
  }

  protected recordLength(n: number): number {
    return n;
  }

  protected writeRecord(dst: Buffer, at: number, src: Buffer, start: number, end: number): void {
    src.copy(dst, at, start, end);
  }

  /** Connects lazily, on the first batch: idle drains hold no sockets. */
  start(): void {}

  flush(): void {
    if (this.destroyed) return;
    const o = this.batch;
    while (this.active < o.concurrency && this.ring.count > 0) {
      const full = this.ring.count >= o.batchSize || this.ring.bytes >= o.batchBytes;
      if (!full && !this.due && !this.closing && o.batchWaitMs > 0) {
        if (this.waitTimer === null) this.waitTimer = setTimeout(this.onWait, o.batchWaitMs);
        return;
      }
      this.due = false;
      if (this.waitTimer !== null) {
        clearTimeout(this.waitTimer);
        this.waitTimer = null;
      }
      void this.run(this.take());
    }
  }

  protected closeTransport(): void {
    if (this.waitTimer !== null) clearTimeout(this.waitTimer);
    this.waitTimer = null;
    for (const s of this.sleepers) {
      clearTimeout(s.timer);
      s.resolve();
    }
    this.sleepers.clear();
    this.transport?.destroy();
    this.transport = null;
    this.connected = false;
    untrackRequests(this);
  }

  private readonly onWait = (): void => {
    this.waitTimer = null;
    this.due = true;
    this.flush();
  };

  private take(): RecordBatch {
    const o = this.batch;
    const size = Math.max(this.ring.peekLength(), Math.min(o.batchBytes, this.ring.bytes));
    const buf = Buffer.allocUnsafe(size);
    const ends = new Uint32Array(Math.min(o.batchSize, this.ring.count));
    const n = this.takeInto(buf, o.batchSize, ends);
    this.inflight += n;
    return newBatch(buf.subarray(0, this.ring.lastShiftBytes), n === ends.length ? ends : ends.subarray(0, n), n, Date.now());
  }

  /** Works one batch (and what it turns into: halves, partial retries) to its end. */
  private async run(first: RecordBatch): Promise<void> {
    this.active++;
    const queue: RecordBatch[] = [first];
    try {
      while (queue.length > 0 && !this.destroyed) {
        const b = queue[0];
        const outcome = await this.attempt(b);
        if (this.destroyed) return;
        const wait = this.settle(b, outcome, queue);
        if (wait >= 0) await this.sleep(wait);
      }
    } catch (err) {
      // A bug, not a delivery failure: say so and keep the books straight.
      this.log.error({ err }, 'HTTP drain failed to process a batch; its messages are dropped');
      for (const b of queue) if (!this.destroyed) this.settleDropped('rejected', b.count);
    } finally {
      this.active--;
      if (!this.destroyed) {
        if (this.ring.count > 0) this.due = true;
        this.flush();
      }
    }
  }

  private async attempt(b: RecordBatch): Promise<Outcome> {
    const req = this.codec.encode(b);
    const headers: Record<string, string> = { 'user-agent': 'switchyard', ...req.headers };
    if (this.target.authorization !== null) headers.authorization = this.target.authorization;
    let body = req.body;
    if (this.batch.gzip) {
      body = await gzip(body);
      headers['content-encoding'] = 'gzip';
    }
    if (this.destroyed) return { kind: 'drop', why: 'closed' };
    if (this.transport === null) {
      this.transport = new HttpTransport({
        origin: this.target.origin,
        connections: this.batch.concurrency,
        insecure: this.batch.insecure,
        connectTimeoutMs: this.connectTimeoutMs,
      });
    }
    try {
      const res = await this.transport.post(this.target.path, headers, body, this.timeoutMs, this.codec.bodyLimit);
      this.connected = true;
      return this.codec.classify(res, b, Date.now());
    } catch (err) {
      this.connected = false;
      return networkFailure(err);
    }
  }

  /**
   * Applies an outcome to the head of `queue`: counts what is settled and
   * replaces or removes the head. Returns how long to wait before the next
   * attempt (-1: go on at once).
   */
  private settle(b: RecordBatch, o: Outcome, queue: RecordBatch[]): number {
    const max = this.batch.retries;
    switch (o.kind) {
      case 'ok':
        this.requests.ok++;
        this.backoff.reset();
        this.settleDelivered(b.count, b.bytes);
        queue.shift();
        return -1;
      case 'drop':
        this.requests.rejected++;
        this.stats.errors++;
        this.settleDropped('rejected', b.count);
        this.warn({ messages: b.count, why: o.why }, 'HTTP drain destination refused a batch; it is dropped (retrying cannot help)');
        queue.shift();
        return -1;
      case 'split':
        this.requests.split++;
        this.stats.errors++;
        if (b.count === 1) {
          this.settleDropped('rejected', 1);
          this.warn({ bytes: b.bytes }, 'HTTP drain destination refused a single message as too large (413); it is dropped');
          queue.shift();
        } else {
          queue.splice(0, 1, ...splitBatch(b));
        }
        return -1;
      case 'retry':
        this.requests.retry++;
        this.stats.errors++;
        b.failures++;
        if (b.failures > max) {
          this.settleDropped('retries_exhausted', b.count);
          this.warn({ messages: b.count, attempts: b.failures, why: o.why }, 'HTTP drain gave up on a batch after its retries; it is dropped');
          queue.shift();
          return -1;
        }
        this.stats.retried++;
        this.warn({ messages: b.count, attempt: b.failures, why: o.why }, 'HTTP drain request failed; retrying with backoff');
        return o.afterMs ?? this.backoff.next();
      case 'partial': {
        this.requests.partial++;
        this.stats.errors++;
        let lostBytes = 0;
        for (const d of o.drop) lostBytes += b.ends[d.index] - recordStart(b, d.index);
        for (const i of o.retry) lostBytes += b.ends[i] - recordStart(b, i);
        this.settleDelivered(b.count - o.drop.length - o.retry.length, b.bytes - lostBytes);
        if (o.drop.length > 0) {
          this.settleDropped('rejected', o.drop.length);
          this.warn({ messages: o.drop.length, first: o.drop[0].why }, 'HTTP drain destination refused some messages of a batch; they are dropped');
        }
        if (o.retry.length === 0) {
          queue.shift();
          return -1;
        }
        const again = pickRecords(b, o.retry);
        again.failures = b.failures + 1;
        if (again.failures > max) {
          this.settleDropped('retries_exhausted', again.count);
          this.warn({ messages: again.count, attempts: again.failures, why: o.why }, 'HTTP drain gave up on messages after their retries; they are dropped');
          queue.shift();
          return -1;
        }
        this.stats.retried++;
        queue[0] = again;
        return this.backoff.next();
      }
    }
  }

  private settleDelivered(n: number, bytes: number): void {
    if (n <= 0) return;
    this.inflight -= n;
    this.countDelivered(n, bytes);
  }

  private settleDropped(reason: DropReason, n: number): void {
    this.inflight -= n;
    this.countDropped(reason, n);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const s: Sleeper = {
        timer: setTimeout(() => {
          this.sleepers.delete(s);
          resolve();
        }, ms),
        resolve,
      };
      this.sleepers.add(s);
    });
  }

  /** Delivery problems are logged at most once per WARN_EVERY_MS per drain, with a count of the rest. */
  private warn(fields: Record<string, unknown>, msg: string): void {
    const now = Date.now();
    if (now - this.lastWarn < WARN_EVERY_MS) {
      this.suppressed++;
      return;
    }
    this.lastWarn = now;
    const suppressed = this.suppressed;
    this.suppressed = 0;
    this.log.warn(suppressed > 0 ? { ...fields, suppressed } : fields, msg);
  }
}
