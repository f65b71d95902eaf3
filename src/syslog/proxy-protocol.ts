// PROXY protocol v1 (text) and v2 (binary) header, read at the start of a
// connection before TLS or syslog framing, so that a load balancer (HAProxy,
// AWS NLB) can tell us the real client address. Pure: the input owns the
// socket, feeds us the bytes received so far and strips `consumed` of them.
//
// v1: "PROXY TCP4|TCP6|UNKNOWN src dst sport dport\r\n", at most 107 bytes.
//     UNKNOWN may carry anything up to CRLF; the address is then unknown (null).
// v2: 12-byte signature, version/command, family/transport, 16-bit length,
//     addresses, then TLVs (skipped). LOCAL (a health check from the balancer
//     itself) → sourceAddress null; UNSPEC and UNIX families → null too, as a
//     socket path is not a client address. Headers longer than
//     MAX_V2_PAYLOAD are refused: real ones are a few hundred bytes at most.
// Anything else, including a connection that does not start with a PROXY
// header at all, is an error: an input that requires PROXY must not guess.
import { isIPv4, isIPv6 } from 'node:net';

export type ProxyResult =
  | { kind: 'need-more' }
  | { kind: 'done'; consumed: number; sourceAddress: string | null; sourcePort: number | null }
  | { kind: 'error'; reason: string };

export const MAX_V1_LENGTH = 107;
export const MAX_V2_PAYLOAD = 2048;

const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const NEED_MORE: ProxyResult = { kind: 'need-more' };

// Does buf start with (as much as it has of) `sig`?
function startsLike(buf: Buffer, sig: Buffer): boolean {
  const n = Math.min(buf.length, sig.length);
  for (let i = 0; i < n; i++) if (buf[i] !== sig[i]) return false;
  return true;
}

export function parseProxyHeader(buf: Buffer): ProxyResult {
  if (buf.length === 0) return NEED_MORE;
  if (buf[0] === 0x50) {
    if (!startsLike(buf, V1_PREFIX)) return { kind: 'error', reason: 'not a PROXY protocol header' };
    return parseV1(buf);
  }
  if (buf[0] === 0x0d) {
    if (!startsLike(buf, V2_SIGNATURE)) return { kind: 'error', reason: 'bad PROXY v2 signature' };
    return parseV2(buf);
  }
  return { kind: 'error', reason: 'connection does not start with a PROXY protocol header' };
}

function parsePort(s: string): number {
  if (!/^(0|[1-9][0-9]{0,4})$/.test(s)) return -1;
  const n = Number(s);
  return n <= 65535 ? n : -1;
}

function parseV1(buf: Buffer): ProxyResult {
  const limit = Math.min(buf.length, MAX_V1_LENGTH);
  let lf = -1;
  for (let i = V1_PREFIX.length; i < limit; i++) {
    if (buf[i] === 0x0a) {
      lf = i;
      break;
    }
  }
  if (lf < 0) return buf.length >= MAX_V1_LENGTH ? { kind: 'error', reason: 'PROXY v1 header longer than 107 bytes' } : NEED_MORE;
  if (buf[lf - 1] !== 0x0d) return { kind: 'error', reason: 'PROXY v1 header not terminated by CRLF' };
  const consumed = lf + 1;
  const line = buf.toString('latin1', V1_PREFIX.length, lf - 1);
  const parts = line.split(' ');
  if (parts[0] === 'UNKNOWN') return { kind: 'done', consumed, sourceAddress: null, sourcePort: null };
  if (parts.length !== 5) return { kind: 'error', reason: 'PROXY v1 header must have protocol, 2 addresses and 2 ports' };
  const [proto, src, dst, sport, dport] = parts;
  const check = proto === 'TCP4' ? isIPv4 : proto === 'TCP6' ? isIPv6 : null;
  if (check === null) return { kind: 'error', reason: `PROXY v1 protocol must be TCP4, TCP6 or UNKNOWN` };
  if (!check(src) || !check(dst)) return { kind: 'error', reason: `PROXY v1 address is not a valid ${proto} address` };
  const sp = parsePort(sport);
  if (sp < 0 || parsePort(dport) < 0) return { kind: 'error', reason: 'PROXY v1 port is not 0..65535' };
  return { kind: 'done', consumed, sourceAddress: src, sourcePort: sp };
}

function parseV2(buf: Buffer): ProxyResult {
  if (buf.length < 16) return NEED_MORE;
  const verCmd = buf[12];
  if (verCmd >> 4 !== 2) return { kind: 'error', reason: 'PROXY v2 version nibble is not 2' };
  const cmd = verCmd & 0x0f;
  if (cmd > 1) return { kind: 'error', reason: 'PROXY v2 command is neither LOCAL nor PROXY' };
  const family = buf[13] >> 4;
  const transport = buf[13] & 0x0f;
  if (family > 3 || transport > 2) return { kind: 'error', reason: 'PROXY v2 unknown address family or transport' };
  const len = buf.readUInt16BE(14);
  if (len > MAX_V2_PAYLOAD) return { kind: 'error', reason: `PROXY v2 header longer than ${MAX_V2_PAYLOAD} bytes` };
  const consumed = 16 + len;
  if (buf.length < consumed) return NEED_MORE;
  if (cmd === 0) return { kind: 'done', consumed, sourceAddress: null, sourcePort: null };
  if (family === 1) {
    if (len < 12) return { kind: 'error', reason: 'PROXY v2 INET addresses truncated' };
    const a = `${buf[16]}.${buf[17]}.${buf[18]}.${buf[19]}`;
    return { kind: 'done', consumed, sourceAddress: a, sourcePort: buf.readUInt16BE(24) };
  }
  if (family === 2) {
    if (len < 36) return { kind: 'error', reason: 'PROXY v2 INET6 addresses truncated' };
    return { kind: 'done', consumed, sourceAddress: formatIPv6(buf, 16), sourcePort: buf.readUInt16BE(48) };
  }
  if (family === 3 && len < 216) return { kind: 'error', reason: 'PROXY v2 UNIX addresses truncated' };
  return { kind: 'done', consumed, sourceAddress: null, sourcePort: null };
}

// RFC 5952 text form: lower-case hex, the longest run (2+) of zero groups as
// '::' (the first such run on a tie), IPv4-mapped addresses as ::ffff:a.b.c.d.
export function formatIPv6(buf: Buffer, at: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(buf.readUInt16BE(at + i * 2));
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${buf[at + 12]}.${buf[at + 13]}.${buf[at + 14]}.${buf[at + 15]}`;
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string => g.slice(from, to).map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}
