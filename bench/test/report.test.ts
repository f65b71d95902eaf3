// The pure parts of the runner: the results table, Prometheus sums and the
// CPU profile summary.
import t from 'tap';
import { markdownTable } from '../report';
import { metricSum } from '../router-process';
import { topFrames } from '../lib/cpu-profile';
import { memStats, cpuSeconds } from '../lib/proc-stats';
import { emptyResult } from '../scenarios/types';

t.test('markdownTable: one row per scenario, ratio against rsyslog, unavailable says why', async (t) => {
  const ok = emptyResult(1, 'TCP');
  Object.assign(ok, { cpuUsPerMsg: 0.654, rate: 1_500_000, deliveredRatio: 1, idleRss: 60 * 2 ** 20, peakRss: 120 * 2 ** 20, p50us: 500, p99us: 4000, latencyRate: 750_000, floorP50us: 90, floorP99us: 2500, ceiling: 8e6 });
  ok.peers.push({ name: 'rsyslog', rate: 600_000, peakRss: 50 * 2 ** 20 }, { name: 'syslog-ng', why: 'not installed' });
  const missing = emptyResult(7, 'HTTP | logplex');
  missing.unavailable = 'no /syslog';
  const lines = markdownTable([ok, missing]).trim().split('\n');
  t.equal(lines.length, 4, 'header, rule, two rows');
  const cells = lines[2].split(' | ');
  t.equal(cells.length, lines[0].split(' | ').length, 'rows have as many cells as the header');
  t.match(lines[2], '1.50 M msg/s');
  t.match(lines[2], '2.50×');
  t.match(lines[2], '60 MB / 120 MB | 0.65 |');
  t.match(lines[2], '0.50 ms / 4.00 ms @ 750 k msg/s (floor 0.09 ms / 2.50 ms)', 'latency with the generator → sink floor');
  t.match(lines[2], '| n/a |', 'a peer without a figure');
  t.match(lines[3], 'not available: no /syslog');
  t.match(lines[3], 'HTTP \\| logplex', 'pipes in titles are escaped');
});

t.test('metricSum: sums every label set of exactly that metric', async (t) => {
  const text = [
    '# HELP switchyard_x_total x',
    'switchyard_x_total{a="1"} 3',
    'switchyard_x_total{a="2"} 4.5',
    'switchyard_x_total_other 100',
    'switchyard_y_total 9',
  ].join('\n');
  t.equal(metricSum(text, 'switchyard_x_total'), 7.5);
  t.equal(metricSum(text, 'switchyard_y_total'), 9);
  t.equal(metricSum(text, 'switchyard_z_total'), undefined);
});

t.test('topFrames: self time by frame, highest first, shares of all samples', async (t) => {
  const node = (id: number, fn: string, url: string, line: number, hits: number) => ({ id, callFrame: { functionName: fn, url, lineNumber: line }, hitCount: hits });
  const top = topFrames({
    nodes: [
      node(1, '(root)', '', -1, 0),
      node(2, 'parse', 'file:///srv/switchyard/dist/src/syslog/parse.js', 9, 30),
      node(3, 'parse', 'file:///srv/switchyard/dist/src/syslog/parse.js', 9, 10),
      node(4, 'write', 'file:///srv/switchyard/dist/src/drains/x.js', 0, 60),
    ],
  });
  t.same(top.map((f) => f.frame), ['write dist/src/drains/x.js:1', 'parse dist/src/syslog/parse.js:10']);
  t.same(top.map((f) => f.share), [0.6, 0.4]);
});

t.test('proc stats of this process', async (t) => {
  const m = memStats(process.pid)!;
  t.ok(m.rss > 0 && m.peak >= m.rss, 'peak (VmHWM) is at least the current RSS');
  const c = cpuSeconds(process.pid)!;
  t.ok(Number.isFinite(c) && c >= 0);
  t.equal(memStats(2 ** 22 + 12345), undefined, 'a pid that does not exist');
});
