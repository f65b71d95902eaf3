// RFC 3339 section 5.6 date-time, as the events API has always accepted it
// (ajv-formats' "date-time", which a client may have relied on): a date, one
// separator (T, t or whitespace), a time with a required zone. Two leniencies
// beyond the RFC are kept: the offset may be written +hh, +hhmm or +hh:mm,
// and a leap second (:60) is allowed at 23:59 UTC.

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^(\d{2}):(\d{2}):(\d{2}(?:\.\d+)?)(?:[zZ]|([+-])(\d{2})(?::?(\d{2}))?)$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const SEPARATOR = /[tT\s]/;

function leapYear(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

function validDate(s: string): boolean {
  const m = DATE.exec(s);
  if (m === null) return false;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1) return false;
  return d <= (mo === 2 && leapYear(y) ? 29 : DAYS_IN_MONTH[mo - 1]);
}

function validTime(s: string): boolean {
  const m = TIME.exec(s);
  if (m === null) return false;
  const h = Number(m[1]);
  const min = Number(m[2]);
  const sec = Number(m[3]);
  const sign = m[4] === '-' ? -1 : 1;
  const offH = m[5] === undefined ? 0 : Number(m[5]);
  const offM = m[6] === undefined ? 0 : Number(m[6]);
  if (offH > 23 || offM > 59) return false;
  if (h <= 23 && min <= 59 && sec < 60) return true;
  // A leap second is inserted at 23:59:60 UTC: shift the local time by the offset.
  const utcMin = min - sign * offM;
  const utcH = h - sign * offH - (utcMin < 0 ? 1 : 0);
  return (utcH === 23 || utcH === -1) && (utcMin === 59 || utcMin === -1) && sec < 61;
}

/** True for an RFC 3339 date-time, with the leniencies above. */
export function isRfc3339DateTime(s: string): boolean {
  const parts = s.split(SEPARATOR);
  return parts.length === 2 && validDate(parts[0]) && validTime(parts[1]);
}
