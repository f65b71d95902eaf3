// persistent://<key>: messages go into the shared LogStore (Postgres or PGlite)
// as rows, one INSERT per batch of up to BATCH_MESSAGES records.
//
// Records in the ring are the raw RFC 5424 bytes. A batch is written when
// BATCH_MESSAGES are waiting, else after LINGER_MS (so a trickle of messages
// costs a few statements a second, not one per message); one batch is in flight
// at a time, so rows keep the order the drain received them in. A batch that
// fails stays in memory (counted as in flight, i.e. queued) and is retried
// with backoff until it is written; meanwhile the ring fills and the overflow
// policy decides (the store is shared, but a failing write only ever waits on
// its own timer, never on other drains). Errors that retrying cannot fix (data
// exceptions, limits) drop the batch as rejected.
import { SwitchyardError } from '../../errors';
import type { LogStore } from '../../store/log-store';
import { Backoff } from '../../backoff';
import { Drain } from '../drain';
import { bufferOptions, type DrainContext, type DrainSpec } from '../url';
import type { PersistentDrainOptions } from './config';

/** Records per INSERT. */
export const BATCH_MESSAGES = 1000;
/** Bytes per INSERT (a single larger record still goes alone). */
const BATCH_BYTES = 1024 * 1024;
/** Longest a record waits for a fuller batch; the issue asks for ≤ 250 ms. */
export const LINGER_MS = 100;

interface Batch {
  buf: Buffer;
  ends: Uint32Array;
  count: number;
  bytes: number;
}

export class PersistentDrain extends Drain {
  readonly key: string;
  private readonly store: LogStore;
  private readonly backoff = new Backoff(100, 30_000);
  private batch: Batch | null = null;
  private writing = false;
  private lingerTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private registered = false;
  private loggedDown = false;

  constructor(spec: DrainSpec<PersistentDrainOptions>, ctx: DrainContext) {
    super({ url: spec.url, label: spec.label, kind: spec.kind, buffer: bufferOptions(spec, ctx), logger: ctx.logger });
    const store = ctx.services.persistent as LogStore | undefined;
    if (store === undefined) {
      throw new SwitchyardError('SY_ERR_NO_STORE', `persistent drain ${spec.label} cannot start: no log store is configured in this router`);
    }
    this.store = store;
    this.key = spec.options.key;
  }

  protected recordLength(n: number): number {
    return n;
  }

  protected writeRecord(dst: Buffer, at: number, src: Buffer, start: number, end: number): void {
    src.copy(dst, at, start, end);
  }

  /** Registers the key, so GET /logs/<key> answers 200 before the first line arrives. */
  start(): void {
    this.register();
  }

  flush(): void {
    if (this.writing || this.retryTimer !== null || this.destroyed) return;
    if (this.batch === null) {
      if (this.ring.count === 0) return;
      // Wait for a fuller batch unless one is ready or we are shutting down.
      if (this.ring.count < BATCH_MESSAGES && !this.closing) {
        if (this.lingerTimer === null) {
          this.lingerTimer = setTimeout(() => {
            this.lingerTimer = null;
            this.write(this.takeBatch());
          }, LINGER_MS);
        }
        return;
      }
      this.batch = this.takeBatch();
    }
    this.write(this.batch);
  }

  protected closeTransport(): void {
    if (this.lingerTimer !== null) clearTimeout(this.lingerTimer);
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.lingerTimer = this.retryTimer = null;
    this.batch = null;
  }

  private takeBatch(): Batch | null {
    if (this.batch !== null) return this.batch;
    if (this.ring.count === 0) return null;
    const size = Math.max(this.ring.peekLength(), Math.min(BATCH_BYTES, this.ring.bytes));
    const buf = Buffer.allocUnsafe(size);
    const ends = new Uint32Array(Math.min(BATCH_MESSAGES, this.ring.count));
    const count = this.takeInto(buf, ends.length, ends);
    this.inflight += count;
    this.batch = { buf, ends, count, bytes: this.ring.lastShiftBytes };
    return this.batch;
  }

  private write(b: Batch | null): void {
    if (b === null || this.writing || this.destroyed) return;
    if (this.lingerTimer !== null) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = null;
    }
    this.writing = true;
    this.store.append(this.key, b.buf, b.ends, b.count).then(
      () => this.written(b),
      (err: Error) => this.failed(b, err),
    );
  }

  private written(b: Batch): void {
    this.writing = false;
    if (this.destroyed) return; // close() already counted what was queued as dropped
    this.batch = null;
    this.inflight -= b.count;
    this.countDelivered(b.count, b.bytes);
    this.backoff.reset();
    this.connected = true;
    if (this.loggedDown) this.log.info({ key: this.key }, 'persistent drain writes again; sending what was queued');
    this.loggedDown = false;
    if (!this.registered) this.register();
    if (this.ring.count > 0) this.flush();
  }

  private failed(b: Batch, err: Error): void {
    this.writing = false;
    if (this.destroyed) return;
    this.stats.errors++;
    this.connected = false;
    if (permanent(err)) {
      this.batch = null;
      this.inflight -= b.count;
      this.countDropped('rejected', b.count);
      this.log.warn({ key: this.key, err: err.message, messages: b.count }, 'the log store rejected a batch; it is dropped (retrying cannot fix it)');
      if (this.ring.count > 0) this.flush();
      return;
    }
    if (!this.loggedDown) this.log.warn({ key: this.key, err: err.message }, 'persistent drain cannot write to the log store; queueing and retrying with backoff');
    this.loggedDown = true;
    this.stats.retried++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.write(this.batch);
    }, this.backoff.next());
  }

  private register(): void {
    this.store.registerKey(this.key).then(
      () => {
        this.registered = true;
      },
      () => {
        // Retried after the next successful batch; a write failure is logged there.
      },
    );
  }
}

/** SQLSTATE classes 22 (data exception) and 54 (program limit exceeded): the same batch would fail again. */
function permanent(err: Error): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('54'));
}
