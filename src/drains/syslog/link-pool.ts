// The links of one router, by endpoint, and the connection gauge over all of
// them. Drains that name the same endpoint share a link (DRAIN_SHARE_CONNECTIONS).
import { scraped } from '../../telemetry/metrics';
import type { SyslogDrainOptions } from './config';
import { StreamLink, liveLinks, LINK_STATES, type LinkOptions } from './stream-link';

/** The endpoint identity two drains must share to share a link. */
export function linkKey(d: SyslogDrainOptions): string {
  const t = d.tls;
  const tlsPart = t === null ? '' : JSON.stringify([t.ca ?? '', t.cert ?? '', t.key ?? '', t.insecure, t.servername ?? '']);
  return `${d.transport}|${d.host}|${d.port}|${d.framing}|${tlsPart}`;
}

/** A link leaves the pool with its last drain. */
export class StreamLinkPool {
  private readonly links = new Map<string, StreamLink>();

  acquire(dest: SyslogDrainOptions, opts: Omit<LinkOptions, 'onIdle'>): StreamLink {
    const key = linkKey(dest);
    let link = this.links.get(key);
    if (link === undefined) {
      link = new StreamLink(dest, { ...opts, onIdle: () => this.links.delete(key) });
      this.links.set(key, link);
    }
    return link;
  }

  /** Open links (for tests and metrics). */
  get size(): number {
    return this.links.size;
  }
}

scraped(
  'gauge',
  'switchyard_drain_connections',
  'Syslog drain connections (tcp, tls) by state: connected; down (connecting or waiting to reconnect); idle (not opened yet: connections open on the first message). Drains to the same endpoint share one (DRAIN_SHARE_CONNECTIONS).',
  ['transport', 'state'],
  (emit) => {
    const n = { tcp: [0, 0, 0], tls: [0, 0, 0] };
    for (const l of liveLinks()) n[l.dest.transport === 'tls' ? 'tls' : 'tcp'][LINK_STATES.indexOf(l.state)]++;
    for (const t of ['tcp', 'tls'] as const) for (let i = 0; i < LINK_STATES.length; i++) emit({ transport: t, state: LINK_STATES[i] }, n[t][i]);
  },
);
