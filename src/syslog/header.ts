// The scan the router runs on every message: format, PRI and where the
// HOSTNAME is, as offsets into the caller's buffer. No strings, no
// allocation; `out` is reused by the caller.
import { scanPri } from './pri';
import { newBsdScan, scanBsd } from './bsd-scan';

export const FORMAT_UNKNOWN = 0;
export const FORMAT_5424 = 1;
export const FORMAT_3164 = 2;

export interface HeaderScan {
  format: number;
  pri: number;
  hostStart: number;
  hostEnd: number;
}

export function newHeaderScan(): HeaderScan {
  return { format: FORMAT_UNKNOWN, pri: -1, hostStart: 0, hostEnd: 0 };
}

// One scratch record for the 3164 path. Safe to share: JavaScript runs one
// scan at a time and nothing keeps a reference to it after scanHeader returns.
const bsd = newBsdScan();

// Is buf[p..] an RFC 5424 VERSION (1*3DIGIT, no leading zero) followed by SP?
// Returns the offset after the SP or -1.
export function versionEnd(buf: Buffer, p: number, end: number): number {
  if (p >= end || buf[p] < 0x31 || buf[p] > 0x39) return -1;
  let q = p + 1;
  while (q < end && q - p < 3 && buf[q] >= 0x30 && buf[q] <= 0x39) q++;
  return q < end && buf[q] === 0x20 ? q + 1 : -1;
}

// Scans one message (no framing bytes). Returns false if there is no valid
// <PRI> (format FORMAT_UNKNOWN). hostStart === hostEnd means "no hostname":
// RFC 5424 nil '-', a header cut short before HOSTNAME, or a 3164 line
// without one (see bsd-scan.ts for the rules). For RFC 5424 the HOSTNAME is
// the fourth token whatever it contains; a header cut short after it
// (`<13>1 TS host`) still yields the host. With `bsdHost` false an RFC 3164
// line is only recognised as such (FORMAT_3164, no hostname): for a caller
// that converts it and learns the hostname from the conversion.
export function scanHeader(buf: Buffer, start: number, end: number, out: HeaderScan, bsdHost = true): boolean {
  const pv = scanPri(buf, start, end);
  if (pv < 0) {
    out.format = FORMAT_UNKNOWN;
    out.pri = -1;
    out.hostStart = out.hostEnd = start;
    return false;
  }
  out.pri = pv >>> 3;
  const afterPri = start + (pv & 7);
  const v = versionEnd(buf, afterPri, end);
  if (v >= 0) {
    out.format = FORMAT_5424;
    // TIMESTAMP then HOSTNAME, each up to the next SP.
    let p = spaceFrom(buf, v, end);
    if (p >= end) {
      out.hostStart = out.hostEnd = end;
      return true;
    }
    let h = spaceFrom(buf, ++p, end);
    if (h - p === 1 && buf[p] === 0x2d) h = p; // nil
    out.hostStart = p;
    out.hostEnd = h;
    return true;
  }
  out.format = FORMAT_3164;
  if (!bsdHost) {
    out.hostStart = out.hostEnd = start;
    return true;
  }
  // The zone offset only matters for time values, which we ignore here.
  scanBsd(buf, start, end, bsd, 0, true);
  out.hostStart = bsd.hostStart;
  out.hostEnd = bsd.hostEnd;
  return true;
}

// The view spaceFrom() reads words through, for the last buffer it was given
// (an input chunk: it is kept until the next one, a few tens of KiB at most).
let viewBuf: Buffer | null = null;
let view: DataView | null = null;

/**
 * The offset of the first SP in buf[p:end], or end. Four bytes per step where
 * it can: a word XOR 0x20202020 has a zero byte exactly where the word has a
 * SP, and (x - 0x01010101) & ~x & 0x80808080 is non-zero exactly when x has a
 * zero byte. The timestamp alone is ~27 bytes, walked for every message; byte
 * by byte, framing and scanning a message took ~63 ns, this way ~50 ns
 * (bench/micro/syslog.ts). Buffer.indexOf cannot stop at `end`: a chunk
 * without spaces would cost quadratic time.
 */
export function spaceFrom(buf: Buffer, p: number, end: number): number {
  if (end - p >= 8) {
    if (buf !== viewBuf) {
      view = new DataView(buf.buffer, buf.byteOffset, buf.length);
      viewBuf = buf;
    }
    const dv = view!;
    while (p + 4 <= end) {
      const x = dv.getUint32(p, true) ^ 0x20202020;
      if (((x - 0x01010101) & ~x & 0x80808080) !== 0) break;
      p += 4;
    }
  }
  while (p < end && buf[p] !== 0x20) p++;
  return p;
}
