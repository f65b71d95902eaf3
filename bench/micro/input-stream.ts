// What the micro-benchmarks feed the hot path: syslog messages of a fixed
// size, back to back as a sender writes them, cut into socket-read-sized chunks.
import { octetFrameHeaderLength, writeOctetFrameHeader } from '../../src/syslog/encode';

/** Message `i`: hostname `host-<i % hosts>`, padded with 'x' to `size` bytes. */
export function syslogMessage(i: number, format: 5424 | 3164, hosts: number, size: number): Buffer {
  const head =
    format === 5424
      ? `<134>1 2026-11-22T02:30:00.123456Z host-${i % hosts} app-${i % 7} ${1000 + (i % 50)} - - t=`
      : `<134>Nov 22 02:30:00 host-${i % hosts} app-${i % 7}[${1000 + (i % 50)}]: t=`;
  return Buffer.from(head.padEnd(size, 'x'), 'latin1');
}

/** The messages octet-counted (RFC 6587), back to back. */
export function octetFramed(msgs: Buffer[]): Buffer {
  const out = Buffer.alloc(msgs.reduce((n, m) => n + octetFrameHeaderLength(m.length) + m.length, 0));
  let p = 0;
  for (const m of msgs) {
    p = writeOctetFrameHeader(out, p, m.length);
    p += m.copy(out, p);
  }
  return out;
}

/** `stream` in chunks of `size` bytes (the last shorter): frames straddle them as on a socket. */
export function chunked(stream: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  // Each chunk in memory of its own, as a socket read is: what keeps a chunk
  // alive (a view sent in place) keeps only that chunk alive.
  for (let i = 0; i < stream.length; i += size) out.push(Buffer.from(stream.subarray(i, i + size)));
  return out;
}
