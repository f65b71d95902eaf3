// RFC 5424 output: encoding from fields, converting RFC 3164 lines, and the
// octet-counting frame header (RFC 6587).
//
// Header fields (HOSTNAME, APP-NAME, PROCID, MSGID) must be 1*PRINTUSASCII
// (bytes 33..126) with RFC 5424 maximum lengths (255, 48, 128, 32). We never
// reject a message for them: each byte or UTF-16 unit outside that range
// (space, tab, non-ASCII) becomes '_', then the field is cut at its maximum
// length; an empty or null field is written as nil '-'. SD-IDs and
// PARAM-NAMEs get the same treatment with SD-NAME's rules (also no '=', ']',
// '"'; at most 32); an element or parameter whose name is empty is left out.
// PARAM-VALUEs are written as UTF-8 with '"', '\' and ']' escaped by '\'.
//
// Timestamps are written as UTC with milliseconds, `2026-11-22T02:30:00.000Z`:
// that is what a Date holds, it sorts as text, and every RFC 3339 reader takes
// it. The one exception is convert3164To5424 given an rsyslog-style RFC 3339
// timestamp with a zone: it is copied as sent, keeping microseconds and offset.
// MSG is written as given (no BOM is added); an empty MSG is omitted with its SP.
import { EncodeError } from './errors';
import { scanPri } from './pri';
import { versionEnd } from './header';
import { newBsdScan, scanBsd, TS_BSD, TS_ISO, type BsdScan } from './bsd-scan';
import { bsdTimeMs } from './rfc3164';
import { parseStructuredData } from './rfc5424';
import { RFC3339_LENGTH, writeRfc3339 } from './timestamp';
import type { StructuredElement } from './types';

export interface EncodeFields {
  facility: number;
  severity: number;
  timestamp: Date | null;
  hostname: string | null;
  appName: string | null;
  procId: string | null;
  msgId: string | null;
  structuredData: StructuredElement[] | string | null;
  message: string | Buffer;
}

export const MAX_HOSTNAME = 255;
export const MAX_APP_NAME = 48;
export const MAX_PROCID = 128;
export const MAX_MSGID = 32;
const MAX_SD_NAME = 32;
const UNDERSCORE = 0x5f;
const DASH = 0x2d;
const SP = 0x20;

// Largest header convert3164To5424 can write before MSG:
// "<191>1 " + 32-byte timestamp + SP + host + SP + app + SP + procid + " - -" + SP
export const MAX_CONVERTED_HEADER = 7 + 32 + 1 + MAX_HOSTNAME + 1 + MAX_APP_NAME + 1 + MAX_PROCID + 4 + 1;

function writePri(out: Buffer, at: number, pri: number): number {
  out[at++] = 0x3c;
  if (pri >= 100) out[at++] = 0x30 + ((pri / 100) | 0);
  if (pri >= 10) out[at++] = 0x30 + (((pri / 10) | 0) % 10);
  out[at++] = 0x30 + (pri % 10);
  out[at++] = 0x3e;
  return at;
}

function priLength(pri: number): number {
  return pri >= 100 ? 5 : pri >= 10 ? 4 : 3;
}

function fieldLength(s: string | null, max: number): number {
  return s === null || s.length === 0 ? 1 : Math.min(s.length, max);
}

// Writes a header field from a string, sanitised as described at the top.
function writeField(out: Buffer, at: number, s: string | null, max: number): number {
  if (s === null || s.length === 0) {
    out[at] = DASH;
    return at + 1;
  }
  const n = Math.min(s.length, max);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    out[at + i] = c > 32 && c < 127 ? c : UNDERSCORE;
  }
  return at + n;
}

// Same for bytes of another buffer.
function copyField(src: Buffer, s: number, e: number, out: Buffer, at: number, max: number): number {
  if (e <= s) {
    out[at] = DASH;
    return at + 1;
  }
  const n = Math.min(e - s, max);
  for (let i = 0; i < n; i++) {
    const c = src[s + i];
    out[at + i] = c > 32 && c < 127 ? c : UNDERSCORE;
  }
  return at + n;
}

function sdName(s: string): string {
  let r = '';
  const n = Math.min(s.length, MAX_SD_NAME);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    r += c > 32 && c < 127 && c !== 0x3d && c !== 0x5d && c !== 0x22 ? s[i] : '_';
  }
  return r;
}

function escapeValue(v: string): string {
  let r = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    r += c === '"' || c === '\\' || c === ']' ? '\\' + c : c;
  }
  return r;
}

// STRUCTURED-DATA text for an element list ('-' when nothing is left).
export function encodeStructuredData(els: StructuredElement[]): string {
  let r = '';
  for (const el of els) {
    if (el.id.length === 0) continue;
    r += '[' + sdName(el.id);
    for (const [name, value] of el.params) {
      if (name.length === 0) continue;
      r += ' ' + sdName(name) + '="' + escapeValue(value) + '"';
    }
    r += ']';
  }
  return r.length === 0 ? '-' : r;
}

// A caller-supplied SD string is used only if it parses as STRUCTURED-DATA
// (it usually is structuredDataText from parse5424); otherwise '-'.
function checkedSdText(text: string): string {
  if (text.length === 0 || text === '-') return '-';
  const b = Buffer.from(text, 'utf8');
  return parseStructuredData(b, 0, b.length, []) === b.length ? text : '-';
}

function checkPri(facility: number, severity: number): number {
  if (!Number.isInteger(facility) || facility < 0 || facility > 23) throw new EncodeError(`facility must be 0..23, got ${facility}`);
  if (!Number.isInteger(severity) || severity < 0 || severity > 7) throw new EncodeError(`severity must be 0..7, got ${severity}`);
  return facility * 8 + severity;
}

export function encode5424(f: EncodeFields): Buffer {
  const pri = checkPri(f.facility, f.severity);
  const tsMs = f.timestamp === null ? NaN : f.timestamp.getTime();
  const tsLen = Number.isFinite(tsMs) && tsMs >= -62167219200000 && tsMs < 253402300800000 ? RFC3339_LENGTH : 1;
  const sd = f.structuredData === null ? '-' : typeof f.structuredData === 'string' ? checkedSdText(f.structuredData) : encodeStructuredData(f.structuredData);
  const sdLen = sd.length === 1 ? 1 : Buffer.byteLength(sd, 'utf8');
  const msg = f.message;
  const msgLen = typeof msg === 'string' ? Buffer.byteLength(msg, 'utf8') : msg.length;
  const total =
    priLength(pri) + 2 + tsLen + 1 + fieldLength(f.hostname, MAX_HOSTNAME) + 1 + fieldLength(f.appName, MAX_APP_NAME) + 1 +
    fieldLength(f.procId, MAX_PROCID) + 1 + fieldLength(f.msgId, MAX_MSGID) + 1 + sdLen + (msgLen > 0 ? 1 + msgLen : 0);
  const out = Buffer.allocUnsafe(total);
  let p = writePri(out, 0, pri);
  out[p++] = 0x31;
  out[p++] = SP;
  if (tsLen === 1) out[p++] = DASH;
  else p = writeRfc3339(out, p, tsMs);
  out[p++] = SP;
  p = writeField(out, p, f.hostname, MAX_HOSTNAME);
  out[p++] = SP;
  p = writeField(out, p, f.appName, MAX_APP_NAME);
  out[p++] = SP;
  p = writeField(out, p, f.procId, MAX_PROCID);
  out[p++] = SP;
  p = writeField(out, p, f.msgId, MAX_MSGID);
  out[p++] = SP;
  if (sdLen === 1) out[p++] = DASH;
  else p += out.write(sd, p, 'utf8');
  if (msgLen > 0) {
    out[p++] = SP;
    if (typeof msg === 'string') p += out.write(msg, p, 'utf8');
    else p += msg.copy(out, p);
  }
  return out;
}

// Scratch scan record for convert3164To5424 (one call at a time, keeps nothing).
const bsd = newBsdScan();

/**
 * Where the last convert3164To5424() wrote the HOSTNAME in `out`
 * (hostStart === hostEnd: nil) and the PRI it wrote: what scanHeader() would
 * find in the output, so the router need not scan it again.
 */
export const converted = { pri: 0, hostStart: 0, hostEnd: 0 };

// The last year-less BSD timestamp converted, and its epoch ms. A sender
// stamps every message of a second with the same text, so the year inference
// runs once per second of the sender's clock rather than once per message.
// The answer also depends on the receiver's clock and zone, which are part of
// the key (`now` changes once per socket read).
const lastBsd = { month: -1, day: 0, hour: 0, minute: 0, second: 0, milli: 0, nowMs: NaN, tz: NaN, ms: NaN };

function bsdTimeMsCached(s: BsdScan, nowMs: number, tz: number): number {
  if (s.tsKind !== TS_BSD) return bsdTimeMs(s, nowMs, tz);
  const c = lastBsd;
  if (c.month === s.month && c.day === s.day && c.hour === s.hour && c.minute === s.minute && c.second === s.second && c.milli === s.milli && c.nowMs === nowMs && c.tz === tz) return c.ms;
  const ms = bsdTimeMs(s, nowMs, tz);
  c.month = s.month;
  c.day = s.day;
  c.hour = s.hour;
  c.minute = s.minute;
  c.second = s.second;
  c.milli = s.milli;
  c.nowMs = nowMs;
  c.tz = tz;
  c.ms = ms;
  return ms;
}

// The last RFC 3339 text written for an instant, reused for the same instant.
const lastText = Buffer.alloc(RFC3339_LENGTH);
let lastTextMs = NaN;

function writeRfc3339Cached(out: Buffer, at: number, ms: number): number {
  if (ms !== lastTextMs) {
    writeRfc3339(lastText, 0, ms);
    lastTextMs = ms;
  }
  for (let i = 0; i < RFC3339_LENGTH; i++) out[at + i] = lastText[i];
  return at + RFC3339_LENGTH;
}

function isoVerbatim(buf: Buffer, s: number, e: number): boolean {
  // RFC 5424 allows at most 6 fraction digits (32 bytes), upper-case T and Z,
  // and requires a zone: a zone-less time (read at tzOffsetMinutes) is
  // rewritten in UTC instead.
  if (e - s > 32 || buf[s + 10] !== 0x54) return false;
  if (buf[e - 1] === 0x5a) return true;
  const sign = buf[e - 6];
  return (sign === 0x2b || sign === 0x2d) && buf[e - 3] === 0x3a;
}

// Converts an RFC 3164 line into RFC 5424 bytes at out[0..]; returns the
// length. Fields: PRI kept; TIMESTAMP from the line (year inferred as
// parse3164 does; opts.now when the line has none or an impossible one);
// HOSTNAME from the line, else fallbackHost, else '-'; APP-NAME and PROCID
// from the TAG; MSGID and SD nil; MSG the bytes after the TAG as sent.
// A line without a valid PRI is, as RFC 3164 4.3.3 tells a relay, given
// PRI 13 (user.notice) with the whole line as MSG. An input that is already
// RFC 5424 is copied, with a nil HOSTNAME replaced by fallbackHost.
// Sets `converted` (but for an input that was RFC 5424 already).
// Throws EncodeError if `out` is too small.
export function convert3164To5424(buf: Buffer, start: number, end: number, out: Buffer, opts: { now: Date; tzOffsetMinutes: number }, fallbackHost: Buffer): number {
  const pv = scanPri(buf, start, end);
  if (pv >= 0 && versionEnd(buf, start + (pv & 7), end) >= 0) return replaceNilHost5424(buf, start, end, fallbackHost, out);
  const need = measure3164(buf, start, end, opts, fallbackHost);
  if (out.length < need) {
    pending.buf = pending.fallback = EMPTY;
    throw new EncodeError(`output buffer of ${out.length} bytes cannot hold the ${need}-byte converted message`);
  }
  return write3164(out, 0);
}

// What measure3164() found, for write3164().
const EMPTY: Buffer = Buffer.alloc(0);
const pending = { buf: EMPTY, end: 0, fallback: EMPTY, pri: 13, tsVerbatim: false, tsMs: 0, msgStart: 0, hasHost: false };

/**
 * convert3164To5424() in two steps, for a caller that needs the length
 * before it decides where the message goes: scans the line (not RFC 5424:
 * the caller knows) and returns the length of its RFC 5424 form, which the
 * next write3164() writes. Nothing may come between the two.
 */
export function measure3164(buf: Buffer, start: number, end: number, opts: { now: Date; tzOffsetMinutes: number }, fallbackHost: Buffer): number {
  const s = bsd;
  let pri = 13;
  let tsVerbatim = false;
  let tsMs = NaN;
  if (scanBsd(buf, start, end, s, opts.tzOffsetMinutes)) {
    pri = s.pri;
    tsMs = bsdTimeMsCached(s, opts.now.getTime(), opts.tzOffsetMinutes);
    tsVerbatim = s.tsKind === TS_ISO && !Number.isNaN(tsMs) && isoVerbatim(buf, s.tsStart, s.tsEnd);
  } else {
    s.hostStart = s.hostEnd = s.tagStart = s.tagEnd = s.pidStart = s.pidEnd = start;
    s.msgStart = start;
  }
  if (Number.isNaN(tsMs) || tsMs < -62167219200000 || tsMs >= 253402300800000) tsMs = opts.now.getTime();
  const msgStart = Math.min(s.msgStart, end);
  const hasHost = s.hostEnd > s.hostStart;
  const p = pending;
  p.buf = buf;
  p.end = end;
  p.fallback = fallbackHost;
  p.pri = pri;
  p.tsVerbatim = tsVerbatim;
  p.tsMs = tsMs;
  p.msgStart = msgStart;
  p.hasHost = hasHost;
  return (
    priLength(pri) + 2 + (tsVerbatim ? s.tsEnd - s.tsStart : RFC3339_LENGTH) + 1 +
    (hasHost ? Math.min(s.hostEnd - s.hostStart, MAX_HOSTNAME) : Math.max(1, Math.min(fallbackHost.length, MAX_HOSTNAME))) + 1 +
    Math.max(1, Math.min(s.tagEnd - s.tagStart, MAX_APP_NAME)) + 1 + Math.max(1, Math.min(s.pidEnd - s.pidStart, MAX_PROCID)) + 4 +
    (end > msgStart ? 1 + end - msgStart : 0)
  );
}

/** Writes the line measure3164() measured at out[at..], which has room; returns the offset after it. Sets `converted`. */
export function write3164(out: Buffer, at: number): number {
  const s = bsd;
  const { buf, end, fallback, pri, msgStart } = pending;
  let p = writePri(out, at, pri);
  out[p++] = 0x31;
  out[p++] = SP;
  if (pending.tsVerbatim) p += buf.copy(out, p, s.tsStart, s.tsEnd);
  else p = writeRfc3339Cached(out, p, pending.tsMs);
  out[p++] = SP;
  const hostStart = p;
  if (pending.hasHost) p = copyField(buf, s.hostStart, s.hostEnd, out, p, MAX_HOSTNAME);
  else p = copyField(fallback, 0, fallback.length, out, p, MAX_HOSTNAME);
  converted.pri = pri;
  converted.hostStart = hostStart;
  // A lone '-' is RFC 5424's nil HOSTNAME, as scanHeader() reads it.
  converted.hostEnd = p - hostStart === 1 && out[hostStart] === DASH ? hostStart : p;
  out[p++] = SP;
  p = copyField(buf, s.tagStart, s.tagEnd, out, p, MAX_APP_NAME);
  out[p++] = SP;
  p = copyField(buf, s.pidStart, s.pidEnd, out, p, MAX_PROCID);
  out[p++] = SP;
  out[p++] = DASH;
  out[p++] = SP;
  out[p++] = DASH;
  if (end > msgStart) {
    out[p++] = SP;
    p += buf.copy(out, p, msgStart, end);
  }
  // Let go of the input and the fallback: nothing here outlives the call.
  pending.buf = pending.fallback = EMPTY;
  return p;
}

// Rewrites an RFC 5424 message whose HOSTNAME is nil '-' with `host`
// (sanitised as a header field), into out[0..]; returns the length. Anything
// else (a real hostname, not RFC 5424, an empty `host`) is copied unchanged.
// Throws EncodeError if `out` is too small.
export function replaceNilHost5424(buf: Buffer, start: number, end: number, host: Buffer, out: Buffer): number {
  let hostAt = -1;
  const pv = scanPri(buf, start, end);
  const v = pv < 0 ? -1 : versionEnd(buf, start + (pv & 7), end);
  if (v >= 0 && host.length > 0) {
    const ts = buf.indexOf(SP, v);
    const h = ts + 1;
    if (ts >= 0 && h < end && buf[h] === DASH && (h + 1 === end || buf[h + 1] === SP)) hostAt = h;
  }
  if (hostAt < 0) {
    if (out.length < end - start) throw new EncodeError(`output buffer of ${out.length} bytes cannot hold the ${end - start}-byte message`);
    return buf.copy(out, 0, start, end);
  }
  const hostLen = Math.min(host.length, MAX_HOSTNAME);
  const need = end - start - 1 + hostLen;
  if (out.length < need) throw new EncodeError(`output buffer of ${out.length} bytes cannot hold the ${need}-byte message`);
  let p = buf.copy(out, 0, start, hostAt);
  p = copyField(host, 0, host.length, out, p, MAX_HOSTNAME);
  p += buf.copy(out, p, hostAt + 1, end);
  return p;
}

// Length of the "LEN " prefix of an octet-counted frame (RFC 6587 3.4.1).
export function octetFrameHeaderLength(len: number): number {
  let digits = 1;
  while (len >= 10) {
    len = Math.floor(len / 10);
    digits++;
  }
  return digits + 1;
}

// Writes "LEN " at out[at]; returns the offset after the space.
export function writeOctetFrameHeader(out: Buffer, at: number, len: number): number {
  const end = at + octetFrameHeaderLength(len) - 1;
  let p = end;
  do {
    out[--p] = 0x30 + (len % 10);
    len = Math.floor(len / 10);
  } while (len > 0);
  out[end] = SP;
  return end + 1;
}
