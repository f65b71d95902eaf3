// RFC 3339 section 5.6 date-time, as the events API has always accepted it
// (ajv-formats' "date-time", which a client may have relied on): a date, one
// separator (T, t or whitespace), a time with a required zone. Two leniencies
// beyond the RFC are kept: the offset may be written +hh, +hhmm or +hh:mm,
// and a leap second (:60) is allowed at 23:59 UTC. (syslog/timestamp.ts
// parses RFC 5424's stricter form, from Buffers.)
import { daysInMonth } from '../syslog/timestamp';

// Read by character codes, not a regular expression: no match arrays, no
// substrings (the events API checks one per event).
const WHITESPACE = /\s/;

function digit(s: string, i: number): number {
  const d = s.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : -1;
}

/** The two-digit number at i, or -1. */
function two(s: string, i: number): number {
  const a = digit(s, i);
  const b = digit(s, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
}

/** T, t or any whitespace (a space, mostly) between date and time. */
function separator(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c === 0x54 || c === 0x74 || c === 0x20 || WHITESPACE.test(s.charAt(i));
}

/** True for an RFC 3339 date-time, with the leniencies above. */
export function isRfc3339DateTime(s: string): boolean {
  // YYYY-MM-DD?hh:mm:ss then [.frac] and a zone: 20 characters at least.
  if (s.length < 20) return false;
  const yHi = two(s, 0);
  const yLo = two(s, 2);
  const mo = two(s, 5);
  const d = two(s, 8);
  if (yHi < 0 || yLo < 0 || mo < 0 || d < 0 || s.charCodeAt(4) !== 0x2d || s.charCodeAt(7) !== 0x2d) return false;
  if (!separator(s, 10)) return false;
  const h = two(s, 11);
  const min = two(s, 14);
  const sec = two(s, 17);
  if (h < 0 || min < 0 || sec < 0 || s.charCodeAt(13) !== 0x3a || s.charCodeAt(16) !== 0x3a) return false;
  let i = 19;
  if (s.charCodeAt(i) === 0x2e) {
    // A fraction never moves whole seconds across 60 or 61.
    const from = ++i;
    while (digit(s, i) >= 0) i++;
    if (i === from) return false;
  }
  const z = s.charCodeAt(i);
  let sign = 1;
  let offH = 0;
  let offM = 0;
  if (z === 0x5a || z === 0x7a) {
    i++;
  } else if (z === 0x2b || z === 0x2d) {
    sign = z === 0x2d ? -1 : 1;
    offH = two(s, i + 1);
    if (offH < 0) return false;
    i += 3;
    if (i < s.length) {
      if (s.charCodeAt(i) === 0x3a) i++;
      offM = two(s, i);
      if (offM < 0) return false;
      i += 2;
    }
  } else {
    return false;
  }
  if (i !== s.length) return false;
  const y = yHi * 100 + yLo;
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo - 1)) return false;
  if (offH > 23 || offM > 59) return false;
  if (h <= 23 && min <= 59 && sec <= 59) return true;
  // A leap second is inserted at 23:59:60 UTC: shift the local time by the offset.
  const utcMin = min - sign * offM;
  const utcH = h - sign * offH - (utcMin < 0 ? 1 : 0);
  return (utcH === 23 || utcH === -1) && (utcMin === 59 || utcMin === -1) && sec <= 60;
}
