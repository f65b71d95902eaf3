// The per-entry hot path: Envoy entry → hostname → RFC 5424 bytes → router.
// One EntryRouter per input; it owns the reusable line buffer and the
// encoder's field object, so an entry costs the Date, the encoded Buffer and
// nothing else we allocate. Never logs: outcomes are counted in EnvoyStats.
import { encode5424 } from '../../syslog/encode';
import { PAUSE, ACCEPTED, REFUSED } from '../../router/verdict';
import { ClusterHostnameCache } from './hostname';
import { LineWriter } from './line-writer';
import { FACILITY_LOCAL0, entryTimeMs, httpSeverity, httpStatus, tcpSeverity, writeHttpLine, writeTcpLine } from './line';
import {
  FALLBACK_INDEX,
  OUTCOME_ACCEPTED,
  OUTCOME_DROPPED,
  OUTCOME_UNROUTABLE,
  OUTCOME_UNROUTED,
  TYPE_HTTP,
  TYPE_TCP,
  type EnvoyStats,
} from './metrics';
import type { AccessLogCommon, HTTPAccessLogEntry, TCPAccessLogEntry } from './types';

/** What the input needs of the router. */
export interface MessageRouter {
  routeMessage(hostname: string, message: Buffer): number;
}

type Fields = Parameters<typeof encode5424>[0];

export class EntryRouter {
  private readonly writer = new LineWriter();
  private readonly clusters: ClusterHostnameCache;
  // Reused for every entry: encode5424 reads it and keeps nothing.
  private readonly fields: Fields;

  constructor(
    private readonly router: MessageRouter,
    private readonly stats: EnvoyStats,
    appName: string,
    akkeris: boolean,
  ) {
    this.clusters = new ClusterHostnameCache(akkeris);
    this.fields = {
      facility: FACILITY_LOCAL0,
      severity: 6,
      timestamp: null,
      hostname: null,
      appName,
      procId: null,
      msgId: null,
      structuredData: null,
      message: '',
    };
  }

  /**
   * The hostname for an entry: the cluster rule, else the stream's fallback
   * (log_name, then node id). Counts the fallback reason; null = unroutable.
   */
  private hostname(c: AccessLogCommon | undefined, streamFallback: string | null): string | null {
    const r = this.clusters.get(c ? c.upstream_cluster : undefined);
    if (r.hostname !== null) return r.hostname;
    this.stats.fallbacks[FALLBACK_INDEX[r.reason]]++;
    return streamFallback;
  }

  http(e: HTTPAccessLogEntry, streamFallback: string | null, nowMs: number): void {
    const c = e.common_properties;
    const host = this.hostname(c, streamFallback);
    if (host === null) {
      this.stats.entry(TYPE_HTTP, OUTCOME_UNROUTABLE);
      return;
    }
    const w = this.writer;
    w.reset();
    writeHttpLine(w, e);
    this.send(TYPE_HTTP, host, httpSeverity(httpStatus(e)), c, nowMs);
  }

  tcp(e: TCPAccessLogEntry, streamFallback: string | null, nowMs: number): void {
    const c = e.common_properties;
    const host = this.hostname(c, streamFallback);
    if (host === null) {
      this.stats.entry(TYPE_TCP, OUTCOME_UNROUTABLE);
      return;
    }
    const w = this.writer;
    w.reset();
    writeTcpLine(w, e);
    this.send(TYPE_TCP, host, tcpSeverity(c), c, nowMs);
  }

  private send(type: number, host: string, severity: number, c: AccessLogCommon | undefined, nowMs: number): void {
    let ms = entryTimeMs(c);
    if (ms < 0) {
      ms = nowMs;
      this.stats.receiveTimeUsed++;
    }
    const f = this.fields;
    f.severity = severity;
    f.timestamp = new Date(ms);
    f.hostname = host;
    f.message = this.writer.view();
    const bytes = encode5424(f);
    // The view aliases the writer's buffer: drop it so nothing holds it.
    f.message = '';
    const v = this.router.routeMessage(host, bytes);
    // Envoy cannot be paused without losing logs on its side (its buffer is
    // small and it drops silently), so PAUSE is just "accepted" here and a
    // full drain (REFUSED) is a counted drop.
    if (v === ACCEPTED || v === PAUSE) this.stats.entry(type, OUTCOME_ACCEPTED);
    else if (v === REFUSED) this.stats.entry(type, OUTCOME_DROPPED);
    else this.stats.entry(type, OUTCOME_UNROUTED);
  }
}
