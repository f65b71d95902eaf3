// Positional scan of an RFC 3164 ("BSD") line, shared by the router's header
// scan, the full parser and the 3164 → 5424 conversion. It records offsets
// only; callers decide what to build from them.
//
// Accepted shapes after <PRI> (RFC 3164 4.1.2 and what senders really emit):
//   Mmm dd hh:mm:ss HOSTNAME TAG: MSG      day padded with a space ("Nov  2") or not
//   Mmm dd yyyy hh:mm:ss HOSTNAME ...      (Cisco and others add the year)
//   Mmm dd hh:mm:ss.fff HOSTNAME ...       (fractional seconds)
//   YYYY-MM-DDThh:mm:ss[.f][zone] HOSTNAME (rsyslog's high-precision template)
//   Mmm dd hh:mm:ss TAG: MSG               (no hostname: `logger --rfc3164` to /dev/log)
// The tag rule decides the last case: a token ending in ':' or containing '['
// is a TAG, never a HOSTNAME. A token that is the last thing on the line is
// not a hostname either (a hostname is followed by a TAG or MSG).
// Without a recognisable TIMESTAMP the rest is MSG and there is no HOSTNAME,
// as RFC 3164 4.3.3 tells a relay to treat such a packet.
import { scanPri } from './pri';
import { parseRfc3339 } from './timestamp';

export const TS_NONE = 0;
export const TS_BSD = 1; // Mmm dd hh:mm:ss, year to infer
export const TS_BSD_YEAR = 2; // Mmm dd yyyy hh:mm:ss
export const TS_ISO = 3; // RFC 3339 (epochMs set unless invalid)

export interface BsdScan {
  pri: number;
  tsKind: number;
  tsStart: number;
  tsEnd: number;
  // Broken-down BSD timestamp (month 0-11); year -1 when absent.
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  milli: number;
  isoMs: number; // TS_ISO only: epoch ms, NaN if unparsable
  hostStart: number;
  hostEnd: number; // == hostStart: no hostname
  tagStart: number; // APP-NAME part of the TAG
  tagEnd: number; // == tagStart: no tag
  pidStart: number;
  pidEnd: number; // == pidStart: no [pid]
  msgStart: number;
}

export function newBsdScan(): BsdScan {
  return { pri: 0, tsKind: TS_NONE, tsStart: 0, tsEnd: 0, year: -1, month: 0, day: 0, hour: 0, minute: 0, second: 0, milli: 0, isoMs: NaN, hostStart: 0, hostEnd: 0, tagStart: 0, tagEnd: 0, pidStart: 0, pidEnd: 0, msgStart: 0 };
}

// Month from three letters, case-insensitive, without building a string:
// the three bytes (lower-cased) are packed into one integer key.
const MONTH_KEYS = Int32Array.from(['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'], (m) => (m.charCodeAt(0) << 16) | (m.charCodeAt(1) << 8) | m.charCodeAt(2));

function monthAt(buf: Buffer, p: number): number {
  const key = ((buf[p] | 0x20) << 16) | ((buf[p + 1] | 0x20) << 8) | (buf[p + 2] | 0x20);
  for (let i = 0; i < 12; i++) if (MONTH_KEYS[i] === key) return i;
  return -1;
}

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

// Reads `h?h:mm:ss[.fff]` at p into s; returns the offset after it or -1.
function scanClock(buf: Buffer, p: number, end: number, s: BsdScan): number {
  let hour = 0;
  let q = p;
  while (q < end && q - p < 2 && isDigit(buf[q])) hour = hour * 10 + buf[q++] - 0x30;
  if (q === p || q + 6 > end || buf[q] !== 0x3a || buf[q + 3] !== 0x3a) return -1;
  if (!isDigit(buf[q + 1]) || !isDigit(buf[q + 2]) || !isDigit(buf[q + 4]) || !isDigit(buf[q + 5])) return -1;
  const minute = (buf[q + 1] - 0x30) * 10 + buf[q + 2] - 0x30;
  const second = (buf[q + 4] - 0x30) * 10 + buf[q + 5] - 0x30;
  if (hour > 23 || minute > 59 || second > 60) return -1;
  q += 6;
  let milli = 0;
  if (q < end && buf[q] === 0x2e) {
    let scale = 100;
    const f = ++q;
    while (q < end && isDigit(buf[q])) {
      milli += (buf[q++] - 0x30) * scale;
      scale /= 10;
    }
    if (q === f) return -1;
    milli = Math.floor(milli + 1e-6);
  }
  s.hour = hour;
  s.minute = minute;
  s.second = second;
  s.milli = milli;
  return q;
}

// Reads a BSD timestamp at p; returns the offset after it or -1.
function scanBsdTime(buf: Buffer, p: number, end: number, s: BsdScan): number {
  if (p + 3 > end) return -1;
  const month = monthAt(buf, p);
  if (month < 0) return -1;
  let q = p + 3;
  if (q >= end || buf[q] !== 0x20) return -1;
  q++;
  if (q < end && buf[q] === 0x20) q++; // "Nov  2"
  let day = 0;
  const d0 = q;
  while (q < end && q - d0 < 2 && isDigit(buf[q])) day = day * 10 + buf[q++] - 0x30;
  if (q === d0 || day < 1 || day > 31 || q >= end || buf[q] !== 0x20) return -1;
  q++;
  let year = -1;
  if (q + 5 <= end && isDigit(buf[q]) && isDigit(buf[q + 1]) && isDigit(buf[q + 2]) && isDigit(buf[q + 3]) && buf[q + 4] === 0x20) {
    year = (buf[q] - 0x30) * 1000 + (buf[q + 1] - 0x30) * 100 + (buf[q + 2] - 0x30) * 10 + buf[q + 3] - 0x30;
    q += 5;
  }
  q = scanClock(buf, q, end, s);
  if (q < 0 || (q < end && buf[q] !== 0x20)) return -1;
  s.month = month;
  s.day = day;
  s.year = year;
  s.tsKind = year < 0 ? TS_BSD : TS_BSD_YEAR;
  return q;
}

// Scans buf[start, end). Returns false when there is no valid <PRI>.
// `zonelessOffsetMin` is used for an ISO timestamp without a zone. With
// `hostOnly` (the router's scan) the TAG is not looked at and tag/pid/msg
// offsets are left unset.
export function scanBsd(buf: Buffer, start: number, end: number, s: BsdScan, zonelessOffsetMin: number, hostOnly = false): boolean {
  const pv = scanPri(buf, start, end);
  if (pv < 0) return false;
  s.pri = pv >>> 3;
  let p = start + (pv & 7);
  s.tsKind = TS_NONE;
  s.tsStart = s.tsEnd = p;
  s.isoMs = NaN;
  s.year = -1;
  const first = p < end ? buf[p] : 0;
  if (first >= 0x30 && first <= 0x39) {
    // ISO 8601 / RFC 3339 token: 4 digits then '-'.
    if (p + 5 <= end && isDigit(buf[p + 1]) && isDigit(buf[p + 2]) && isDigit(buf[p + 3]) && buf[p + 4] === 0x2d) {
      let q = p + 5;
      while (q < end && buf[q] !== 0x20) q++;
      s.tsKind = TS_ISO;
      s.tsEnd = q;
      s.isoMs = parseRfc3339(buf, p, q, zonelessOffsetMin);
    }
  } else {
    const q = scanBsdTime(buf, p, end, s);
    if (q > 0) s.tsEnd = q;
  }
  s.hostStart = s.hostEnd = s.tagStart = s.tagEnd = s.pidStart = s.pidEnd = s.tsEnd;
  if (s.tsKind === TS_NONE) {
    s.msgStart = p;
    return true;
  }
  p = s.tsEnd;
  while (p < end && buf[p] === 0x20) p++;
  // First token: HOSTNAME unless the tag rule says it is the TAG.
  let t = p;
  let bracket = false;
  while (t < end && buf[t] !== 0x20) {
    if (buf[t] === 0x5b) bracket = true;
    t++;
  }
  if (t > p && t < end && !bracket && buf[t - 1] !== 0x3a) {
    s.hostStart = p;
    s.hostEnd = t;
    p = t;
    while (p < end && buf[p] === 0x20) p++;
  }
  if (!hostOnly) scanTag(buf, p, end, s);
  return true;
}

// TAG: APP-NAME [ '[' PID ']' ] ':' then one SP. A token that is not shaped
// like that is MSG with no TAG.
function scanTag(buf: Buffer, p: number, end: number, s: BsdScan): void {
  s.tagStart = s.tagEnd = s.pidStart = s.pidEnd = p;
  s.msgStart = p;
  let q = p;
  while (q < end) {
    const b = buf[q];
    if (b === 0x20 || b === 0x3a || b === 0x5b) break;
    q++;
  }
  if (q === p || q >= end) return;
  let after = q;
  let pidStart = q;
  let pidEnd = q;
  if (buf[q] === 0x5b) {
    let close = q + 1;
    while (close < end && buf[close] !== 0x5d) close++;
    if (close >= end) return;
    pidStart = q + 1;
    pidEnd = close;
    after = close + 1;
  }
  if (after >= end || buf[after] !== 0x3a) return;
  after++;
  if (after < end && buf[after] === 0x20) after++;
  s.tagStart = p;
  s.tagEnd = q;
  s.pidStart = pidStart;
  s.pidEnd = pidEnd;
  s.msgStart = after;
}
