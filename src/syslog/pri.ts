// The `<PRI>` that starts every syslog message (RFC 5424 6.2.1, RFC 3164 4.1.1).

export const MAX_PRI = 191; // facility 23 (local7) * 8 + severity 7

// Reads `<` 1*3DIGIT `>` at `start`. Returns -1 when there is none or the value
// is above 191; otherwise (pri << 3) | length-of-"<PRI>" (3..5), packed into one
// number so the hot path allocates nothing. Leading zeros ("<013>") are
// accepted: RFC 5424 forbids them, but the value is unambiguous and rejecting
// would only lose a message we can route.
export function scanPri(buf: Buffer, start: number, end: number): number {
  if (end - start < 3 || buf[start] !== 0x3c) return -1;
  let p = start + 1;
  let v = 0;
  const limit = Math.min(end, start + 4);
  while (p < limit) {
    const d = buf[p] - 0x30;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
    p++;
  }
  if (p === start + 1 || p >= end || buf[p] !== 0x3e || v > MAX_PRI) return -1;
  return (v << 3) | (p + 1 - start);
}
