import t from 'tap';
import {
  ClusterHostnameCache,
  FALLBACK_REASONS,
  hostnameFromCluster,
  resolveStreamFallback,
} from '../../../src/inputs/envoy/hostname';

// [cluster, hostname (plain mode), hostname (AKKERIS mode)] or a fallback reason for both.
const table: Array<[string | undefined, string, string]> = [
  ['outbound|80||api.default.svc.cluster.local', 'api.default', 'api-default'],
  ['outbound|8080|v2|orders.shop.svc.cluster.local', 'orders.shop', 'orders-shop'],
  ['outbound|443||web.team-a', 'web.team-a', 'web-team-a'],
  ['outbound|80||My_App.NS1.svc', 'My_App.NS1', 'My_App-NS1'],
  ['outbound|80||a.b|extra', 'a.b', 'a-b'],
  [undefined, 'no_cluster', 'no_cluster'],
  ['', 'no_cluster', 'no_cluster'],
  ['backend', 'no_pipes', 'no_pipes'],
  ['api.default.svc.cluster.local', 'no_pipes', 'no_pipes'],
  ['inbound|80||api.default.svc.cluster.local', 'not_outbound', 'not_outbound'],
  ['inbound|8080||', 'not_outbound', 'not_outbound'],
  ['outboundx|80||a.b', 'not_outbound', 'not_outbound'],
  ['Outbound|80||a.b', 'not_outbound', 'not_outbound'],
  ['|80||a.b', 'not_outbound', 'not_outbound'],
  ['outbound|80', 'few_parts', 'few_parts'],
  ['outbound|80|', 'few_parts', 'few_parts'],
  ['outbound|80||', 'no_service', 'no_service'],
  ['outbound|80|||a.b', 'no_service', 'no_service'],
  ['outbound|80||api', 'no_namespace', 'no_namespace'],
  ['outbound|80||api.', 'no_namespace', 'no_namespace'],
  ['outbound|80||.default', 'no_namespace', 'no_namespace'],
  ['outbound|80||api..svc', 'no_namespace', 'no_namespace'],
  ['outbound|80||a b.default.svc', 'bad_chars', 'bad_chars'],
  ['outbound|80||api.def ault', 'bad_chars', 'bad_chars'],
  ['outbound|80||api.de"f', 'bad_chars', 'bad_chars'],
  ['outbound|80||ápi.default', 'bad_chars', 'bad_chars'],
  ['outbound|80||api.default\n.svc', 'bad_chars', 'bad_chars'],
  [`outbound|80||${'n'.repeat(127)}.${'s'.repeat(127)}.svc`, `${'n'.repeat(127)}.${'s'.repeat(127)}`, `${'n'.repeat(127)}-${'s'.repeat(127)}`],
  [`outbound|80||${'n'.repeat(128)}.${'s'.repeat(127)}.svc`, 'too_long', 'too_long'],
];

t.test('cluster name → hostname, plain and AKKERIS modes', async (t) => {
  for (const [cluster, plain, akkeris] of table) {
    for (const [mode, want] of [
      [false, plain],
      [true, akkeris],
    ] as const) {
      const r = hostnameFromCluster(cluster, mode);
      const isReason = (FALLBACK_REASONS as readonly string[]).includes(want);
      if (isReason) {
        t.same(r, { hostname: null, reason: want }, `${JSON.stringify(cluster)} akkeris=${mode} → fallback ${want}`);
      } else {
        t.same(r, { hostname: want, reason: null }, `${JSON.stringify(cluster)} akkeris=${mode} → ${want}`);
      }
    }
  }
});

t.test('every fallback reason is reachable from the table', async (t) => {
  const seen = new Set(table.map(([c]) => hostnameFromCluster(c, false).reason).filter((r) => r !== null));
  t.same([...seen].sort(), [...FALLBACK_REASONS].sort());
});

t.test('stream fallback: log_name, then node id, then none', async (t) => {
  t.equal(resolveStreamFallback('edge-gateway', 'sidecar~10.0.0.1~pod.ns~ns.svc.cluster.local'), 'edge-gateway');
  t.equal(resolveStreamFallback('', 'node-1'), 'node-1');
  t.equal(resolveStreamFallback(undefined, 'node-1'), 'node-1');
  t.equal(resolveStreamFallback('has space', 'node-1'), 'node-1', 'a log_name a hostname cannot hold is skipped');
  t.equal(resolveStreamFallback('x'.repeat(256), 'node-1'), 'node-1', 'longer than RFC 5424 allows');
  t.equal(resolveStreamFallback('x'.repeat(255), 'node-1'), 'x'.repeat(255));
  t.equal(resolveStreamFallback(undefined, undefined), null);
  t.equal(resolveStreamFallback('', 'bad\tnode'), null);
});

t.test('cache returns the same answers and stays bounded', async (t) => {
  const cache = new ClusterHostnameCache(false, 3);
  for (const [cluster, plain] of table) {
    const r = cache.get(cluster);
    t.equal(r.hostname ?? r.reason, plain, `cached ${JSON.stringify(cluster)}`);
    t.equal(cache.get(cluster), r, 'second lookup is the memoised result');
  }
  const ak = new ClusterHostnameCache(true);
  t.equal(ak.get('outbound|80||api.default.svc.cluster.local').hostname, 'api-default');
});
