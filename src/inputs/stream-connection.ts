// One syslog connection (TCP or TLS): frames come out of the read chunks and
// go to the router, with flow control back to the socket.
//
// When a drain is above its high-water mark the router answers PAUSE: the
// connection stops after that frame, keeps the rest of the chunk in the framer
// and stops reading; TCP flow control then slows the sender. A `block` drain
// that is completely full answers REFUSED: that frame is held (copied) and
// offered again first when the drain resumes us.
import type { Socket } from 'node:net';
import { settlePendingCopies } from '../drains/deferred-copy';
import type { Feeder } from '../drains/drain-types';
import type { FrameHandler } from '../syslog/framer';
import { StreamFramer } from '../syslog/framer';
import { FramingError } from '../syslog/errors';
import type { InputStats } from '../telemetry/input-metrics';
import { PAUSE, REFUSED } from '../router/verdict';
import type { Intake } from './intake';

export class StreamConnection implements Feeder, FrameHandler {
  private readonly framer: StreamFramer;
  private readonly fallback: Buffer;
  private held: Buffer | null = null;
  /** The chunk being framed: a fresh socket read, which nobody changes, so frames inside it are stable (see Router.route). */
  private chunk: Buffer | null = null;
  private paused = false;
  private resumeQueued = false;
  private closed = false;
  private stopping = false;

  constructor(
    private readonly socket: Socket,
    private readonly intake: Intake,
    private readonly stats: InputStats,
    remoteAddress: string | undefined,
    idleTimeoutMs: number,
    onClose: () => void,
  ) {
    this.framer = new StreamFramer(intake.opts.maxMessageBytes, this);
    this.fallback = intake.fallbackFor(remoteAddress);
    stats.connections++;
    stats.connectionsTotal++;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {}); // a peer resetting is routine; close cleans up
    socket.on('close', () => {
      if (this.closed) return;
      this.closed = true;
      stats.connections--;
      if (this.paused) stats.pausedConnections--;
      onClose();
    });
    if (idleTimeoutMs > 0) {
      socket.setTimeout(idleTimeoutMs, () => {
        // A connection we paused is waiting on us, not idle.
        if (this.paused) return;
        stats.rejected.idle++;
        socket.destroy();
      });
    }
  }

  private onData(chunk: Buffer): void {
    this.stats.bytes += chunk.length;
    this.intake.tick(new Date());
    this.chunk = chunk;
    try {
      if (!this.framer.push(chunk)) this.pause();
    } catch (err) {
      this.fail(err);
    } finally {
      this.chunk = null;
      settlePendingCopies();
    }
  }

  onFrame(buf: Buffer, start: number, end: number): boolean {
    if (this.stopping) {
      // Shutting down: no more waiting. Route as a datagram input would (a
      // full drain drops and counts it) and carry on to the end of what was read.
      this.intake.take(buf, start, end, this.fallback, null, this.stats);
      return true;
    }
    const v = this.intake.take(buf, start, end, this.fallback, this, this.stats, buf === this.chunk);
    if (v === PAUSE) return false;
    if (v === REFUSED) {
      this.held = Buffer.from(buf.subarray(start, end));
      return false;
    }
    return true;
  }

  onOversize(): void {
    this.stats.oversize++;
  }

  /** Called by a drain that has room again (never from inside route()). */
  resumeFeed(): void {
    if (this.closed || this.resumeQueued) return;
    this.resumeQueued = true;
    setImmediate(() => {
      this.resumeQueued = false;
      this.continue();
    });
  }

  /** Stops reading for good (shutdown): frames already read are routed, nothing more is read. */
  stopReading(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.socket.pause();
    // A paused connection still holds frames it read: the held one and the
    // rest of the chunk it stopped in. Without this they vanished uncounted.
    if (this.held !== null) {
      const h = this.held;
      this.held = null;
      this.intake.take(h, 0, h.length, this.fallback, null, this.stats);
      this.stats.messages--; // counted when it first arrived
    }
    try {
      if (this.framer.paused) this.framer.resume();
    } catch (err) {
      this.fail(err);
      return;
    } finally {
      settlePendingCopies();
    }
    this.socket.end();
  }

  private continue(): void {
    // Once stopping, a drain making room must not start the socket reading again.
    if (this.closed || this.stopping) return;
    if (this.held !== null) {
      const h = this.held;
      const v = this.intake.take(h, 0, h.length, this.fallback, this, this.stats);
      if (v === REFUSED) return; // still full: the drain has us as a waiter again
      this.stats.messages--; // counted when it first arrived
      this.held = null;
      if (v === PAUSE) return;
    }
    try {
      if (this.framer.paused && !this.framer.resume()) return;
    } catch (err) {
      this.fail(err);
      return;
    }
    if (this.paused) {
      this.paused = false;
      this.stats.pausedConnections--;
      this.socket.resume();
    }
  }

  private pause(): void {
    if (!this.paused) {
      this.paused = true;
      this.stats.pausedConnections++;
      this.socket.pause();
    }
  }

  private fail(err: unknown): void {
    if (err instanceof FramingError) this.stats.framingErrors++;
    this.socket.destroy();
  }
}
