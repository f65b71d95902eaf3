// Which route an Envoy access-log entry belongs to.
//
// logtrain's rule, kept: Istio names an upstream cluster
//   outbound|<port>|<subset>|<name>.<namespace>.svc.cluster.local
// and the app is <name>.<namespace> (<name>-<namespace> in AKKERIS mode).
// logtrain crashed on any other shape; here every other shape yields a
// fallback reason instead, and the caller routes by the stream's log_name,
// then the node id (see resolveStreamFallback), counting the reason.

/** Why the cluster name could not give a hostname (metric label values). */
export const FALLBACK_REASONS = [
  'no_cluster', // the entry has no upstream_cluster (or no common_properties)
  'no_pipes', // a plain cluster name such as "backend"
  'not_outbound', // inbound|..., or any direction other than outbound
  'few_parts', // fewer than the four |-separated parts
  'no_service', // the fourth part is empty (outbound|80||)
  'no_namespace', // the service host has no dot, or an empty name/namespace
  'bad_chars', // the name or namespace holds characters a hostname cannot
  'too_long', // name.namespace is longer than RFC 5424's 255-character HOSTNAME
] as const;
export type FallbackReason = (typeof FALLBACK_REASONS)[number];

/** Longest hostname RFC 5424 allows. */
const MAX_HOSTNAME = 255;

// RFC 5424 HOSTNAME is 1*255 PRINTUSASCII (33..126); we are stricter and
// accept DNS-ish names only, so a hostname is always a safe route key.
function isHostChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) || // a-z
    (c >= 65 && c <= 90) || // A-Z
    (c >= 48 && c <= 57) || // 0-9
    c === 45 || // -
    c === 95 // _
  );
}

function allHostChars(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    if (!isHostChar(s.charCodeAt(i))) return false;
  }
  return true;
}

/** The outcome of the cluster rule: a hostname, or why there is none. */
export type ClusterHostname =
  | { readonly hostname: string; readonly reason: null }
  | { readonly hostname: null; readonly reason: FallbackReason };

const REASON_RESULTS = Object.fromEntries(
  FALLBACK_REASONS.map((reason) => [reason, Object.freeze({ hostname: null, reason })]),
) as Record<FallbackReason, ClusterHostname>;

/** The hostname an upstream cluster name routes to, or why it gives none. Pure. */
export function hostnameFromCluster(cluster: string | undefined | null, akkeris: boolean): ClusterHostname {
  const r = clusterRule(cluster, akkeris);
  return isReason(r) ? REASON_RESULTS[r] : { hostname: r, reason: null };
}

// Hostnames always hold a '.' or '-' (name and namespace joined); reasons never do.
function isReason(r: string): r is FallbackReason {
  return r.indexOf('.') < 0 && r.indexOf('-') < 0;
}

function clusterRule(cluster: string | undefined | null, akkeris: boolean): string | FallbackReason {
  if (!cluster) return 'no_cluster';
  const p1 = cluster.indexOf('|');
  if (p1 < 0) return 'no_pipes';
  if (p1 !== 8 || !cluster.startsWith('outbound')) return 'not_outbound';
  const p2 = cluster.indexOf('|', p1 + 1);
  if (p2 < 0) return 'few_parts';
  const p3 = cluster.indexOf('|', p2 + 1);
  if (p3 < 0) return 'few_parts';
  // The service host runs to the end (or to a fifth |, which Istio never
  // sends but which must not leak into the hostname).
  const p4 = cluster.indexOf('|', p3 + 1);
  const hostEnd = p4 < 0 ? cluster.length : p4;
  const start = p3 + 1;
  if (start === hostEnd) return 'no_service';
  const d1 = cluster.indexOf('.', start);
  if (d1 < 0 || d1 >= hostEnd || d1 === start) return 'no_namespace';
  let d2 = cluster.indexOf('.', d1 + 1);
  if (d2 < 0 || d2 > hostEnd) d2 = hostEnd;
  if (d2 === d1 + 1) return 'no_namespace';
  if (!allHostChars(cluster, start, d1) || !allHostChars(cluster, d1 + 1, d2)) return 'bad_chars';
  // The encoder would cut a longer HOSTNAME, and the drain would see a name
  // other than the one we routed by.
  if (d2 - start > MAX_HOSTNAME) return 'too_long';
  if (!akkeris) return cluster.slice(start, d2);
  return cluster.slice(start, d1) + '-' + cluster.slice(d1 + 1, d2);
}

/** A stream-level fallback (log_name or node id) usable as a hostname. */
function usableFallback(s: string | undefined | null): boolean {
  if (!s || s.length > MAX_HOSTNAME) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 33 || c > 126) return false;
  }
  return true;
}

/**
 * The hostname for entries whose cluster gives none: the identifier's
 * log_name, else the node id, else null (the entries cannot be routed).
 * Both must be printable ASCII without spaces, as RFC 5424 HOSTNAME is.
 * Computed once per stream, when the identifier arrives.
 */
export function resolveStreamFallback(
  logName: string | undefined | null,
  nodeId: string | undefined | null,
): string | null {
  if (usableFallback(logName)) return logName as string;
  if (usableFallback(nodeId)) return nodeId as string;
  return null;
}

/**
 * Cluster name → hostname results are few (one per upstream service) and
 * repeat on every entry, so they are memoised to keep the per-entry path free
 * of string slicing. The cache is cleared whole when it grows past `limit`
 * (a misbehaving sender with unique cluster names cannot grow memory).
 */
export class ClusterHostnameCache {
  private readonly map = new Map<string, ClusterHostname>();
  constructor(
    private readonly akkeris: boolean,
    private readonly limit = 4096,
  ) {}

  get(cluster: string | undefined | null): ClusterHostname {
    if (!cluster) return REASON_RESULTS.no_cluster;
    let r = this.map.get(cluster);
    if (r === undefined) {
      r = hostnameFromCluster(cluster, this.akkeris);
      if (this.map.size >= this.limit) this.map.clear();
      this.map.set(cluster, r);
    }
    return r;
  }
}
