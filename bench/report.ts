// Turns scenario results into the Markdown table for the README and
// bench/results/latest.md. Pure: results in, text out.
import { fmtMb, fmtMs, fmtRate } from './scenarios/flow';
import type { ScenarioResult } from './scenarios/types';

const pct = (x: number | undefined): string => (x === undefined ? '–' : `${(x * 100).toFixed(x >= 0.9995 && x < 1 ? 3 : 1)} %`);

export function markdownTable(results: ScenarioResult[]): string {
  const head = [
    '#', 'scenario', 'switchyard', 'delivered', 'idle / peak RSS', 'CPU µs/msg', 'p50 / p99 at ½ max',
    'rsyslog', 'syslog-ng', 'vs rsyslog', 'ceiling', 'notes',
  ];
  const rows = results.map((r) => {
    if (r.unavailable) return [String(r.id), r.title, `not available: ${r.unavailable}`, '', '', '', '', ...peerCells(r), '', fmtRate(r.ceiling), ''];
    return [
      String(r.id),
      r.title,
      fmtRate(r.rate),
      pct(r.deliveredRatio),
      `${fmtMb(r.idleRss)} / ${fmtMb(r.peakRss)}`,
      r.cpuUsPerMsg === undefined ? '–' : r.cpuUsPerMsg.toFixed(2),
      latencyCell(r),
      ...peerCells(r),
      ratio(r),
      fmtRate(r.ceiling),
      r.notes.join('; '),
    ];
  });
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  return [head, head.map(() => '---'), ...rows].map((cells) => `| ${cells.map(esc).join(' | ')} |`).join('\n') + '\n';
}

function latencyCell(r: ScenarioResult): string {
  if (r.p50us === undefined) return '–';
  const at = r.latencyRate ? ` @ ${fmtRate(r.latencyRate)}` : '';
  const floor = r.floorP99us !== undefined ? ` (floor ${fmtMs(r.floorP50us)} / ${fmtMs(r.floorP99us)})` : '';
  return `${fmtMs(r.p50us)} / ${fmtMs(r.p99us)}${at}${floor}`;
}

function peerCells(r: ScenarioResult): [string, string] {
  const cell = (name: string): string => {
    const p = r.peers.find((x) => x.name === name);
    if (!p) return '';
    if (p.rate === undefined) return 'n/a';
    return `${fmtRate(p.rate)}, ${fmtMb(p.peakRss)}` + (p.lossRatio ? `, loss ${pct(p.lossRatio)}` : '');
  };
  return [cell('rsyslog'), cell('syslog-ng')];
}

function ratio(r: ScenarioResult): string {
  const rs = r.peers.find((p) => p.name === 'rsyslog')?.rate;
  return rs && r.rate ? `${(r.rate / rs).toFixed(2)}×` : '';
}
