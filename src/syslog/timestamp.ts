// RFC 3339 timestamps (as RFC 5424 restricts them) read from and written to
// Buffers without building strings: the 3164 → 5424 conversion runs per
// message, and Date.parse would accept far more than RFC 5424 allows.

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function daysInMonth(year: number, month0: number): number {
  if (month0 === 1 && ((year % 4 === 0 && year % 100 !== 0) || year % 400 === 0)) return 29;
  return DAYS_IN_MONTH[month0];
}

// Days since 1970-01-01 of a proleptic Gregorian date (month 1-12), with
// integer arithmetic over 400-year eras: Date.UTC costs far more, and the
// 3164 conversion needs this per message.
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = month > 2 ? month - 3 : month + 9;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

// Epoch ms of a UTC civil time (month 1-12). Seconds may be 60 (leap second,
// folded onto the next second).
export function civilToMs(year: number, month: number, day: number, hour: number, minute: number, second: number, milli: number): number {
  return daysFromCivil(year, month, day) * 86400000 + hour * 3600000 + minute * 60000 + second * 1000 + milli;
}

function digits(buf: Buffer, at: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = buf[at + i] - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

// Epoch milliseconds of a full date-time in buf[start, end), or NaN.
// `YYYY-MM-DDThh:mm:ss[.frac]` then `Z` or `±hh:mm`. Fractions longer than
// 3 digits are accepted (RFC 5424 allows 6) but Date keeps milliseconds
// only. A zone-less time is accepted only when `zonelessOffsetMin` is a number
// (rsyslog's 3164 variant can send one) and is read in that offset.
export function parseRfc3339(buf: Buffer, start: number, end: number, zonelessOffsetMin: number | null): number {
  if (end - start < 19) return NaN;
  const year = digits(buf, start, 4);
  const month = digits(buf, start + 5, 2);
  const day = digits(buf, start + 8, 2);
  const hour = digits(buf, start + 11, 2);
  const minute = digits(buf, start + 14, 2);
  const second = digits(buf, start + 17, 2);
  const t = buf[start + 10];
  if (buf[start + 4] !== 0x2d || buf[start + 7] !== 0x2d || (t !== 0x54 && t !== 0x74) || buf[start + 13] !== 0x3a || buf[start + 16] !== 0x3a) return NaN;
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) return NaN;
  if (day > daysInMonth(year, month - 1)) return NaN;
  let p = start + 19;
  let ms = 0;
  if (p < end && buf[p] === 0x2e) {
    p++;
    const fracStart = p;
    let scale = 100;
    while (p < end) {
      const d = buf[p] - 0x30;
      if (d < 0 || d > 9) break;
      ms += d * scale;
      scale /= 10;
      p++;
    }
    const n = p - fracStart;
    if (n < 1 || n > 9) return NaN;
    ms = Math.floor(ms + 1e-6);
  }
  let offsetMin: number;
  if (p === end) {
    if (zonelessOffsetMin === null) return NaN;
    offsetMin = zonelessOffsetMin;
  } else {
    const z = buf[p];
    if (z === 0x5a || z === 0x7a) {
      if (p + 1 !== end) return NaN;
      offsetMin = 0;
    } else if (z === 0x2b || z === 0x2d) {
      if (end - p !== 6 || buf[p + 3] !== 0x3a) return NaN;
      const oh = digits(buf, p + 1, 2);
      const om = digits(buf, p + 4, 2);
      if (oh < 0 || oh > 23 || om < 0 || om > 59) return NaN;
      offsetMin = (oh * 60 + om) * (z === 0x2d ? -1 : 1);
    } else {
      return NaN;
    }
  }
  // A leap second (:60) is folded onto the next second, as Date cannot hold it.
  return civilToMs(year, month, day, hour, minute, second, ms) - offsetMin * 60000;
}

function put2(out: Buffer, at: number, v: number): void {
  out[at] = 0x30 + ((v / 10) | 0);
  out[at + 1] = 0x30 + (v % 10);
}

// Writes `YYYY-MM-DDThh:mm:ss.mmmZ` (24 bytes, UTC, milliseconds) at `at` and
// returns the new offset. We always write UTC with milliseconds: it is what
// Date holds, it sorts as text, and every RFC 3339 reader accepts it.
// Returns -1 for an invalid date or a year outside 0000..9999.
// The date part ("YYYY-MM-DDT") of the last day written: consecutive
// messages almost always fall on the same day, so the civil-date arithmetic
// runs once a day instead of once a message.
let cachedDay = NaN;
const cachedDate = Buffer.alloc(11);

export function writeRfc3339(out: Buffer, at: number, ms: number): number {
  if (!Number.isFinite(ms)) return -1;
  const days = Math.floor(ms / 86400000);
  if (days !== cachedDay) {
    // Civil date from days since 1970-01-01 (proleptic Gregorian, eras of
    // 400 years), computed with integer arithmetic so no Date is allocated.
    const z = days + 719468;
    const era = Math.floor(z / 146097);
    const doe = z - era * 146097;
    const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
    const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
    const mp = Math.floor((5 * doy + 2) / 153);
    const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
    const month = mp < 10 ? mp + 3 : mp - 9;
    const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    if (year < 0 || year > 9999) return -1;
    const c = cachedDate;
    c[0] = 0x30 + ((year / 1000) | 0);
    c[1] = 0x30 + (((year / 100) | 0) % 10);
    put2(c, 2, year % 100);
    c[4] = 0x2d;
    put2(c, 5, month);
    c[7] = 0x2d;
    put2(c, 8, day);
    c[10] = 0x54;
    cachedDay = days;
  }
  for (let i = 0; i < 11; i++) out[at + i] = cachedDate[i];
  let rem = ms - days * 86400000;
  const hour = (rem / 3600000) | 0;
  rem -= hour * 3600000;
  const minute = (rem / 60000) | 0;
  rem -= minute * 60000;
  const second = (rem / 1000) | 0;
  const milli = Math.floor(rem - second * 1000);
  put2(out, at + 11, hour);
  out[at + 13] = 0x3a;
  put2(out, at + 14, minute);
  out[at + 16] = 0x3a;
  put2(out, at + 17, second);
  out[at + 19] = 0x2e;
  out[at + 20] = 0x30 + ((milli / 100) | 0);
  put2(out, at + 21, milli % 100);
  out[at + 23] = 0x5a;
  return at + 24;
}

export const RFC3339_LENGTH = 24;

// UTC year of an epoch-ms instant, without allocating a Date.
export function utcYear(ms: number): number {
  const z = Math.floor(ms / 86400000) + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  return yoe + era * 400 + (mp >= 10 ? 1 : 0);
}
