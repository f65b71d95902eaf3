// The body of POST /syslog, parsed whole before anything is routed.
//
// Framing is decided per frame, as the stream framer does (RFC 6587): a frame
// starting with a digit is octet-counted (`LEN SP MSG`, what logplex-1 bodies
// hold, with no LF between frames), one starting with '<' runs to the next LF
// (CR LF too). LF, CR and NUL between frames are skipped. So one parser takes
// application/logplex-1, application/syslog and text/plain bodies, and a body
// that mixes them.
//
// Each frame must start with a valid <PRI>; RFC 5424 frames go through as the
// bytes that came in (logplex frames without a STRUCTURED-DATA field
// included: the router does not read past HOSTNAME), RFC 3164 frames are
// converted to RFC 5424 and a missing hostname is filled in with the
// fallback, exactly as the stream inputs' Intake does. A frame longer than
// MAX_MESSAGE_BYTES is cut to it and counted (`oversize`), as an LF-framed
// stream does; the body is whole here, so octet-counted frames get the same
// treatment instead of being skipped.
//
// The first bad frame stops the parse and is reported by index (0-based,
// counting frames in body order) and byte offset: the request is rejected
// and nothing of it is routed.
import { newHeaderScan } from '../syslog/header';
import type { IngestBatch } from './http-ingest-batch';
import { AS_IS, normalize5424, type IntakeOptions } from './intake';

export interface BodyError {
  /** 0-based index of the bad frame. */
  frame: number;
  /** Byte offset in the body where the frame starts. */
  offset: number;
  reason: string;
}

const LF = 10;
const CR = 13;
const SP = 32;
const LT = 60;
const MAX_LEN_DIGITS = 9;

export class SyslogBodyParser {
  private readonly scan = newHeaderScan();
  private readonly scratch: Buffer;
  private readonly convertOpts: { now: Date; tzOffsetMinutes: number };
  readonly maxMessageBytes: number;

  constructor(opts: IntakeOptions) {
    this.maxMessageBytes = opts.maxMessageBytes;
    // Same bound as Intake: a converted message is at most twice the input plus a header.
    this.scratch = Buffer.allocUnsafe(2 * opts.maxMessageBytes + 1024);
    this.convertOpts = { now: new Date(), tzOffsetMinutes: opts.tzOffsetMinutes };
  }

  /**
   * Frames and checks `batch.body`, adding each message to the batch. Returns
   * null when every frame is good, else the first bad one (the batch is then
   * incomplete and must not be routed). `now` is what RFC 3164 year
   * inference compares against; `fallback` the hostname for messages with none.
   */
  parse(batch: IngestBatch, fallback: Buffer, now: Date): BodyError | null {
    const body = batch.body;
    const n = body.length;
    const max = this.maxMessageBytes;
    this.convertOpts.now = now;
    let pos = 0;
    let frame = 0;
    while (pos < n) {
      const b = body[pos];
      if (b === LF || b === CR || b === 0) {
        pos++;
        continue;
      }
      let start: number;
      let end: number;
      let next: number;
      if (b === LT) {
        const lf = body.indexOf(LF, pos);
        next = lf < 0 ? n : lf + 1;
        end = lf < 0 ? n : lf;
        if (end > pos && body[end - 1] === CR) end--;
        start = pos;
      } else if (b >= 0x31 && b <= 0x39) {
        let len = 0;
        let p = pos;
        while (p < n && body[p] >= 0x30 && body[p] <= 0x39) {
          if (p - pos === MAX_LEN_DIGITS) return { frame, offset: pos, reason: 'octet count longer than 9 digits' };
          len = len * 10 + (body[p] - 0x30);
          p++;
        }
        if (p === n || body[p] !== SP) return { frame, offset: pos, reason: 'octet count not followed by a space' };
        start = p + 1;
        if (n - start < len) return { frame, offset: pos, reason: `octet count says ${len} bytes but the body has ${n - start} left` };
        end = next = start + len;
      } else {
        return { frame, offset: pos, reason: `unexpected byte 0x${b.toString(16).padStart(2, '0')} where a frame starts (expected an octet count or '<')` };
      }
      if (end - start > max) {
        batch.oversize++;
        end = start + max;
      }
      const err = this.add(batch, body, start, end, fallback);
      if (err !== null) return { frame, offset: pos, reason: err };
      frame++;
      pos = next;
    }
    return null;
  }

  // Checks and adds one message; returns why it is bad, or null.
  private add(batch: IngestBatch, body: Buffer, start: number, end: number, fallback: Buffer): string | null {
    const scan = this.scan;
    const len = normalize5424(body, start, end, fallback, this.scratch, this.convertOpts, scan);
    if (len < 0) return 'no valid <PRI> at the start of the message';
    if (len === AS_IS) batch.addFromBody(start, end, scan.hostStart, scan.hostEnd);
    else batch.addCopy(this.scratch, 0, len, scan.hostStart, scan.hostEnd);
    return null;
  }
}

/**
 * The Logplex-Msg-Count header checked against the frames found: null when
 * absent or equal, else the reason for a 400.
 */
export function checkMsgCount(header: string | string[] | undefined, frames: number): string | null {
  if (header === undefined) return null;
  const v = Array.isArray(header) ? header[0] : header;
  if (!/^\s*\d{1,9}\s*$/.test(v)) return `Logplex-Msg-Count is not a number: ${JSON.stringify(v.slice(0, 32))}`;
  const want = Number(v);
  return want === frames ? null : `Logplex-Msg-Count says ${want} messages but the body holds ${frames}`;
}
