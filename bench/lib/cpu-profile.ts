// Top self-time frames of the router's V8 CPU profiles (node --cpu-prof), so
// a bench run with --profile ends with the list the router owner needs.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** Self samples per frame (function @ file:line), highest first. */
export function topFrames(profile: { nodes: ProfileNode[] }, limit = 20): Array<{ frame: string; share: number }> {
  const self = new Map<string, number>();
  let total = 0;
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    if (!hits) continue;
    const cf = n.callFrame;
    const where = cf.url ? ` ${shortUrl(cf.url)}:${cf.lineNumber + 1}` : '';
    const frame = `${cf.functionName || '(anonymous)'}${where}`;
    self.set(frame, (self.get(frame) ?? 0) + hits);
    total += hits;
  }
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([frame, hits]) => ({ frame, share: total ? hits / total : 0 }));
}

function shortUrl(url: string): string {
  const i = url.indexOf('/dist/');
  if (i >= 0) return url.slice(i + 1);
  const j = url.indexOf('/node_modules/');
  return j >= 0 ? url.slice(j + 1) : url.replace(/^file:\/\//, '');
}

export function summarizeProfiles(dir: string): string {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort();
  } catch {
    return `no CPU profiles in ${dir}`;
  }
  const out: string[] = [];
  for (const f of files) {
    const profile = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    out.push(`\nCPU profile ${basename(f)} (self time, top frames):`);
    for (const { frame, share } of topFrames(profile)) out.push(`  ${(share * 100).toFixed(1).padStart(5)} %  ${frame}`);
  }
  return out.join('\n') || `no CPU profiles in ${dir}`;
}
