// Real syslog stream drains for tests that route into them without a network:
// they name port 9 on loopback and never connect, as nothing yields to the
// event loop between routing and reading their rings back.
import pino from 'pino';
import type { DrainContext } from '../../src/drains/url';
import type { Drain } from '../../src/drains/drain';

export const quietDrainContext: DrainContext = {
  logger: pino({ level: 'silent' }),
  buffer: { policy: 'backpressure', bytes: 1 << 20, messages: 10000, graceMs: 600_000 },
  connectTimeoutMs: 1000,
  writeTimeoutMs: 1000,
  services: {},
};

/** Takes up to `max` of the oldest records out of the drain's ring, as text. */
export function takeRecords(d: Drain, max = d.ring.maxCount): string[] {
  const out = Buffer.alloc(d.ring.maxBytes);
  const ends = new Uint32Array(Math.max(1, Math.min(max, d.ring.maxCount)));
  const n = d.ring.shiftInto(out, ends.length, ends);
  const got: string[] = [];
  for (let i = 0, s = 0; i < n; s = ends[i++]) got.push(out.toString('latin1', s, ends[i]));
  return got;
}
