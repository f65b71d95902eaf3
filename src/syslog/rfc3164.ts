// Full RFC 3164 ("BSD syslog") parser, off the hot path, plus parseSyslog,
// which picks the RFC by the VERSION digit. Shapes accepted: see bsd-scan.ts.
//
// Throws ParseError ('PRI') only when there is no valid <PRI> (or PRI > 191).
// Everything else degrades: no recognisable TIMESTAMP → timestamp null and
// the whole rest is MSG (RFC 3164 4.3.3); a TIMESTAMP that cannot be a real
// date (Feb 30) → timestamp null, timestampText kept; no TAG → appName null.
//
// Years: a BSD TIMESTAMP has none. We take the year that puts the time
// closest to `now` without being more than YEAR_SLACK_MS in the future. The
// slack is one day, not a minute: a sender whose zone is misconfigured, or
// who sends local time we read with the wrong tzOffsetMinutes, is up to 14
// hours "in the future"; with a small slack each of its messages would be
// dated a year back, which is worse than hours off. So "Dec 31 23:59"
// received on Jan 1 is last year, "Jan 1 00:00" received on Dec 31 23:58 is
// next year, and "Jul 1" received on Jan 1 is last July.
// Zone-less times (BSD, or ISO without zone) are read at tzOffsetMinutes
// east of UTC (e.g. 60 for CET, -300 for EST).
import { ParseError } from './errors';
import { newBsdScan, scanBsd, TS_BSD, TS_BSD_YEAR, TS_ISO, BsdScan } from './bsd-scan';
import { civilToMs, daysInMonth, utcYear } from './timestamp';
import { versionEnd } from './header';
import { scanPri } from './pri';
import { parse5424 } from './rfc5424';
import type { SyslogMessage } from './types';

export type { SyslogMessage, StructuredElement } from './types';

export interface Parse3164Options {
  now: Date;
  tzOffsetMinutes: number;
}

export const YEAR_SLACK_MS = 24 * 3600 * 1000;

// The receiver's current year, recomputed only when the day changes (this
// runs per message in the 3164 → 5424 conversion).
let cachedNowDay = NaN;
let cachedNowYear = 0;

// Epoch ms for a year-less BSD timestamp (fields of `s`), or NaN when no
// candidate year has that date (Feb 29 outside leap years). Candidates are
// next year, this year, last year, in that order: the first one not beyond
// now + slack is the closest to now.
export function inferYearMs(s: BsdScan, nowMs: number, tzOffsetMinutes: number): number {
  const localNow = nowMs + tzOffsetMinutes * 60000;
  const nowDay = Math.floor(localNow / 86400000);
  if (nowDay !== cachedNowDay) {
    cachedNowYear = utcYear(localNow);
    cachedNowDay = nowDay;
  }
  const limit = nowMs + YEAR_SLACK_MS;
  for (let y = cachedNowYear + 1; y >= cachedNowYear - 1; y--) {
    if (s.day > daysInMonth(y, s.month)) continue;
    const t = civilToMs(y, s.month + 1, s.day, s.hour, s.minute, s.second, s.milli) - tzOffsetMinutes * 60000;
    if (t <= limit) return t;
  }
  return NaN;
}

// Epoch ms of the scanned TIMESTAMP, or NaN (absent or impossible).
export function bsdTimeMs(s: BsdScan, nowMs: number, tzOffsetMinutes: number): number {
  if (s.tsKind === TS_ISO) return s.isoMs;
  if (s.tsKind === TS_BSD) return inferYearMs(s, nowMs, tzOffsetMinutes);
  if (s.tsKind === TS_BSD_YEAR) {
    if (s.day > daysInMonth(s.year, s.month)) return NaN;
    return civilToMs(s.year, s.month + 1, s.day, s.hour, s.minute, s.second, s.milli) - tzOffsetMinutes * 60000;
  }
  return NaN;
}

function str(buf: Buffer, s: number, e: number): string | null {
  return e > s ? buf.toString('utf8', s, e) : null;
}

export function parse3164(buf: Buffer, start: number, end: number, opts: Parse3164Options): SyslogMessage {
  const s = newBsdScan();
  if (!scanBsd(buf, start, end, s, opts.tzOffsetMinutes)) throw new ParseError('PRI', 'expected <0>..<191> at the start', start);
  const ms = bsdTimeMs(s, opts.now.getTime(), opts.tzOffsetMinutes);
  return {
    facility: s.pri >> 3,
    severity: s.pri & 7,
    timestamp: Number.isNaN(ms) ? null : new Date(ms),
    timestampText: str(buf, s.tsStart, s.tsEnd),
    hostname: str(buf, s.hostStart, s.hostEnd),
    appName: str(buf, s.tagStart, s.tagEnd),
    procId: str(buf, s.pidStart, s.pidEnd),
    msgId: null,
    structuredData: [],
    structuredDataText: null,
    message: Buffer.from(buf.subarray(Math.min(s.msgStart, end), end)),
    format: 3164,
  };
}

// RFC 5424 when a VERSION digit and SP follow the PRI, RFC 3164 otherwise.
// Throws ParseError ('PRI') without a valid PRI; see each parser for the rest.
export function parseSyslog(buf: Buffer, start: number, end: number, opts: Parse3164Options): SyslogMessage {
  const pv = scanPri(buf, start, end);
  if (pv < 0) throw new ParseError('PRI', 'expected <0>..<191> at the start', start);
  if (versionEnd(buf, start + (pv & 7), end) >= 0) return parse5424(buf, start, end);
  return parse3164(buf, start, end, opts);
}
