// RFC 6587 stream framing for syslog over TCP/TLS, decided per frame:
//
//   octet counting:  MSG-LEN SP SYSLOG-MSG       (first byte '1'..'9')
//   non-transparent: SYSLOG-MSG LF  (or CR LF)   (first byte '<')
//
// Senders mix both on one connection (a relay forwarding several sources), and
// some terminate octet-counted frames with LF anyway, so the mode is chosen
// again at every frame start and stray LF / CR / NUL between frames are skipped.
//
// Memory: a frame that lies inside one chunk is handed to onFrame as a view
// of that chunk (zero copy). Only a frame split across chunks is copied, into
// one reassembly buffer that grows on demand up to maxFrame + 1 bytes and is
// then reused. Oversize octet-counted frames are discarded as they arrive
// (never buffered); oversize LF frames are truncated to maxFrame. So, unless
// the caller pushes while paused, bufferedBytes never exceeds maxFrame + 1
// plus the unprocessed remainder of the one chunk being paused on.
//
// Buffers given to onFrame are valid only during the call: the reassembly
// buffer is overwritten by the next split frame. push() takes ownership of
// the chunk (a view of it may be kept while paused), as socket chunks allow.
import { FramingError } from './errors';

export interface FrameHandler {
  // A complete frame's payload (without the octet count prefix or the trailing LF / CRLF).
  // Return false to stop: the framer keeps the unprocessed remainder until resume().
  onFrame(buf: Buffer, start: number, end: number): boolean;
  // A frame longer than maxFrame was met: octet-counted ones are skipped whole,
  // LF-framed ones are truncated to maxFrame. Called once per such frame, before
  // the truncated LF frame is delivered. For octet-counted frames the argument is
  // the declared length; for LF frames it is the length seen when the frame was
  // found too long (the whole line if it ended in the same chunk, otherwise at
  // least maxFrame + 1, since the rest has not arrived yet).
  onOversize(declaredOrSeenLength: number): void;
}

const ST_IDLE = 0; // between frames
const ST_LEN = 1; // reading the octet count digits (split across chunks)
const ST_BODY = 2; // octet-counted body split across chunks, in reasm
const ST_SKIP = 3; // discarding an oversize octet-counted body
const ST_LINE = 4; // LF-framed message split across chunks, in reasm
const ST_LINE_SKIP = 5; // discarding the rest of a truncated LF frame
const ST_FAILED = 6; // threw FramingError; the connection must be closed

const LF = 10;
const CR = 13;
const SP = 32;
const LT = 60;
const MAX_LEN_DIGITS = 9;
const INITIAL_REASM = 4096;

export class StreamFramer {
  private readonly maxFrame: number;
  private readonly handler: FrameHandler;
  private state = ST_IDLE;
  private lenValue = 0; // octet count being read, or the body length
  private lenDigits = 0;
  private skipLeft = 0; // bytes of an oversize octet-counted frame still to discard
  private reasm: Buffer | null = null;
  private reasmLen = 0;
  private pending: Buffer | null = null; // remainder kept while paused
  private isPaused = false;

  constructor(maxFrame: number, handler: FrameHandler) {
    if (!Number.isInteger(maxFrame) || maxFrame < 1) throw new RangeError(`maxFrame must be a positive integer, got ${maxFrame}`);
    this.maxFrame = maxFrame;
    this.handler = handler;
  }

  get paused(): boolean {
    return this.isPaused;
  }

  get bufferedBytes(): number {
    return this.reasmLen + (this.pending === null ? 0 : this.pending.length);
  }

  // Feed one chunk. Returns true if everything was consumed (or buffered as a
  // partial frame), false if the handler stopped (paused). Pushing while paused
  // queues the chunk behind the remainder (a copy: avoid it, pause the source).
  push(chunk: Buffer): boolean {
    if (this.state === ST_FAILED) throw new FramingError('push after a framing error', 0);
    if (this.isPaused) {
      this.pending = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
      return false;
    }
    return this.run(chunk);
  }

  resume(): boolean {
    if (this.state === ST_FAILED) throw new FramingError('resume after a framing error', 0);
    this.isPaused = false;
    const rest = this.pending;
    if (rest === null) return true;
    this.pending = null;
    return this.run(rest);
  }

  private fail(reason: string, offset: number): never {
    this.state = ST_FAILED;
    this.reasm = null;
    this.reasmLen = 0;
    this.pending = null;
    throw new FramingError(reason, offset);
  }

  // Stop after a frame: keep what follows `pos` for resume().
  private stop(buf: Buffer, pos: number): false {
    this.isPaused = true;
    this.pending = pos < buf.length ? buf.subarray(pos) : null;
    return false;
  }

  private ensureReasm(size: number): Buffer {
    let r = this.reasm;
    if (r === null || r.length < size) {
      let cap = r === null ? INITIAL_REASM : r.length * 2;
      while (cap < size) cap *= 2;
      const limit = this.maxFrame + 1;
      if (cap > limit) cap = limit;
      const grown = Buffer.allocUnsafe(cap);
      if (r !== null && this.reasmLen > 0) r.copy(grown, 0, 0, this.reasmLen);
      this.reasm = r = grown;
    }
    return r;
  }

  private run(buf: Buffer): boolean {
    const end = buf.length;
    const maxFrame = this.maxFrame;
    const h = this.handler;
    let pos = 0;
    while (pos < end) {
      switch (this.state) {
        case ST_IDLE: {
          const b = buf[pos];
          if (b === LF || b === CR || b === 0) {
            pos++;
            break;
          }
          if (b === LT) {
            // LF-framed. Fast path: the whole line is in this chunk.
            const lf = buf.indexOf(LF, pos);
            if (lf !== -1) {
              let stop = lf;
              if (stop > pos && buf[stop - 1] === CR) stop--;
              const next = lf + 1;
              if (stop - pos > maxFrame) {
                h.onOversize(stop - pos);
                stop = pos + maxFrame;
              }
              if (h.onFrame(buf, pos, stop) === false) return this.stop(buf, next);
              pos = next;
              break;
            }
            const avail = end - pos;
            if (avail > maxFrame + 1 || (avail === maxFrame + 1 && buf[end - 1] !== CR)) {
              // Already too long whatever comes next: deliver the head now.
              h.onOversize(avail);
              this.state = ST_LINE_SKIP;
              if (h.onFrame(buf, pos, pos + maxFrame) === false) return this.stop(buf, end);
              return true;
            }
            const r = this.ensureReasm(avail);
            buf.copy(r, 0, pos, end);
            this.reasmLen = avail;
            this.state = ST_LINE;
            return true;
          }
          if (b < 0x31 || b > 0x39) this.fail(`unexpected byte 0x${b.toString(16).padStart(2, '0')} at a frame start (expected an octet count or '<')`, pos);
          // Octet-counted. Fast path: count, SP and body all in this chunk.
          let len = b - 0x30;
          let p = pos + 1;
          let digits = 1;
          while (p < end) {
            const d = buf[p];
            if (d < 0x30 || d > 0x39) break;
            if (++digits > MAX_LEN_DIGITS) this.fail('octet count longer than 9 digits', p);
            len = len * 10 + (d - 0x30);
            p++;
          }
          if (p === end) {
            this.lenValue = len;
            this.lenDigits = digits;
            this.state = ST_LEN;
            return true;
          }
          if (buf[p] !== SP) this.fail('octet count not followed by a space', p);
          pos = p + 1;
          if (len > maxFrame) {
            h.onOversize(len);
            this.skipLeft = len;
            this.state = ST_SKIP;
            break;
          }
          if (end - pos >= len) {
            const next = pos + len;
            if (h.onFrame(buf, pos, next) === false) return this.stop(buf, next);
            pos = next;
            break;
          }
          this.lenValue = len;
          this.reasmLen = 0;
          this.state = ST_BODY;
          break;
        }
        case ST_LEN: {
          // Continue an octet count that was split across chunks.
          let len = this.lenValue;
          let digits = this.lenDigits;
          while (pos < end) {
            const d = buf[pos];
            if (d < 0x30 || d > 0x39) break;
            if (++digits > MAX_LEN_DIGITS) this.fail('octet count longer than 9 digits', pos);
            len = len * 10 + (d - 0x30);
            pos++;
          }
          this.lenValue = len;
          this.lenDigits = digits;
          if (pos === end) return true;
          if (buf[pos] !== SP) this.fail('octet count not followed by a space', pos);
          pos++;
          if (len > maxFrame) {
            h.onOversize(len);
            this.skipLeft = len;
            this.state = ST_SKIP;
          } else {
            this.reasmLen = 0;
            this.state = ST_BODY;
          }
          break;
        }
        case ST_BODY: {
          const len = this.lenValue;
          const have = this.reasmLen;
          if (have === 0 && end - pos >= len) {
            // The count ended a chunk exactly: the body is whole in this one.
            this.state = ST_IDLE;
            const next = pos + len;
            if (h.onFrame(buf, pos, next) === false) return this.stop(buf, next);
            pos = next;
            break;
          }
          const r = this.ensureReasm(len);
          const take = Math.min(len - have, end - pos);
          buf.copy(r, have, pos, pos + take);
          pos += take;
          if (have + take < len) {
            this.reasmLen = have + take;
            return true;
          }
          this.reasmLen = 0;
          this.state = ST_IDLE;
          if (h.onFrame(r, 0, len) === false) return this.stop(buf, pos);
          break;
        }
        case ST_SKIP: {
          const take = Math.min(this.skipLeft, end - pos);
          this.skipLeft -= take;
          pos += take;
          if (this.skipLeft === 0) this.state = ST_IDLE;
          break;
        }
        case ST_LINE: {
          const have = this.reasmLen;
          const lf = buf.indexOf(LF, pos);
          const partEnd = lf === -1 ? end : lf;
          const total = have + (partEnd - pos);
          const r = this.reasm as Buffer;
          if (lf !== -1) {
            // Line complete: its length without a trailing CR decides.
            const lastByte = partEnd > pos ? buf[partEnd - 1] : r[have - 1];
            const len = lastByte === CR ? total - 1 : total;
            if (len > maxFrame) {
              h.onOversize(len);
              this.fillReasm(buf, pos, maxFrame);
              this.reasmLen = 0;
              this.state = ST_IDLE;
              if (h.onFrame(this.reasm as Buffer, 0, maxFrame) === false) return this.stop(buf, lf + 1);
            } else {
              const rr = this.ensureReasm(len);
              if (len > have) buf.copy(rr, have, pos, pos + (len - have));
              this.reasmLen = 0;
              this.state = ST_IDLE;
              if (h.onFrame(rr, 0, len) === false) return this.stop(buf, lf + 1);
            }
            pos = lf + 1;
            break;
          }
          if (total > maxFrame + 1 || (total === maxFrame + 1 && buf[end - 1] !== CR)) {
            h.onOversize(total);
            this.fillReasm(buf, pos, maxFrame);
            this.reasmLen = 0;
            this.state = ST_LINE_SKIP;
            if (h.onFrame(this.reasm as Buffer, 0, maxFrame) === false) return this.stop(buf, end);
            return true;
          }
          const rr = this.ensureReasm(total);
          buf.copy(rr, have, pos, end);
          this.reasmLen = total;
          return true;
        }
        case ST_LINE_SKIP: {
          const lf = buf.indexOf(LF, pos);
          if (lf === -1) return true;
          pos = lf + 1;
          this.state = ST_IDLE;
          break;
        }
        default:
          this.fail('framer is in an unknown state', pos);
      }
    }
    return true;
  }

  // Top the reassembly buffer up to `upTo` bytes from buf[pos..].
  private fillReasm(buf: Buffer, pos: number, upTo: number): void {
    const have = this.reasmLen;
    const r = this.ensureReasm(upTo);
    if (have < upTo) buf.copy(r, have, pos, Math.min(buf.length, pos + (upTo - have)));
  }
}
