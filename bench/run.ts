// The scenario runner: `npm run bench [-- --scenario N[,M]] [--messages N] [--profile] [--no-peers] [--repeat N]`.
// Builds the C tools if needed, runs each scenario in turn (one failing or
// missing feature never stops the others), prints figures as they come and a
// Markdown table at the end, also written to bench/results/latest.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { BENCH_DIR, buildTools } from './lib/c-tools';
import { markdownTable } from './report';
import { routerUnavailable } from './router-process';
import { persistentStore } from './scenarios/persistent';
import { routeScale } from './scenarios/route-scale';
import { fanOut, httpLogplex, manyDrains, tcpLf3164, tcpOctet, tls, udp } from './scenarios/syslog';
import { emptyResult, type RunContext, type Scenario, type ScenarioResult } from './scenarios/types';
import { summarizeProfiles } from './lib/cpu-profile';
import { envoyAls } from './envoy';

const SCENARIOS: Scenario[] = [tcpOctet, tcpLf3164, fanOut, udp, manyDrains, tls, httpLogplex, persistentStore, routeScale, envoyAls];

interface Args {
  scenarios: number[];
  messages?: number;
  profile: boolean;
  noPeers: boolean;
  repeat: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { scenarios: SCENARIOS.map((s) => s.id), profile: false, noPeers: false, repeat: 1 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--scenario' && value) {
      a.scenarios = value.split(',').map(Number);
      i++;
    } else if (flag === '--messages' && value) {
      a.messages = Number(value);
      i++;
    } else if (flag === '--repeat' && value) {
      a.repeat = Number(value);
      i++;
    } else if (flag === '--profile') a.profile = true;
    else if (flag === '--no-peers') a.noPeers = true;
    else {
      console.error('usage: node dist/bench/run.js [--scenario N[,M...]] [--messages N] [--profile] [--no-peers] [--repeat N]');
      process.exit(2);
    }
  }
  if (a.scenarios.some((n) => !SCENARIOS.some((s) => s.id === n))) {
    console.error(`unknown scenario; known: ${SCENARIOS.map((s) => s.id).join(', ')}`);
    process.exit(2);
  }
  if (!(Number.isInteger(a.repeat) && a.repeat > 0)) {
    console.error('--repeat must be a positive integer');
    process.exit(2);
  }
  if (a.messages !== undefined && !(Number.isInteger(a.messages) && a.messages > 0)) {
    console.error('--messages must be a positive integer');
    process.exit(2);
  }
  return a;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const tools = buildTools();
  const resultsDir = join(BENCH_DIR, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const profileDir = args.profile ? join(resultsDir, `profiles-${Date.now()}`) : undefined;
  const ctx: RunContext = { tools, messages: args.messages, profileDir, noPeers: args.noPeers, repeat: args.repeat, shared: new Map(), log: (l) => console.log(l) };
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim()}, ${(totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}`;
  console.log(`switchyard bench on ${machine}`);
  if (!tools.tls) console.log(`TLS: ${tools.tlsMissing}`);

  const loadAtStart = loadavg()[0].toFixed(2);
  const results: ScenarioResult[] = [];
  const noRouter = routerUnavailable();
  for (const s of SCENARIOS.filter((x) => args.scenarios.includes(x.id))) {
    const messages = args.messages ?? s.defaultMessages;
    // Generator, router and sink share the CPUs: anything else running skews the figures.
    const load1 = loadavg()[0].toFixed(2);
    console.log(`\nscenario ${s.id}: ${s.title} (${messages} ${s.id === 9 ? 'changes' : 'messages'}; load average ${load1})`);
    const started = Date.now();
    let r: ScenarioResult;
    try {
      // Without a router, the flow scenarios still measure ceiling and peers.
      r = await s.run(ctx, messages);
    } catch (e) {
      r = emptyResult(s.id, s.title);
      r.unavailable = noRouter ?? (e as Error).message.split('\n')[0];
    }
    if (r.unavailable) console.log(`  not available: ${r.unavailable}`);
    console.log(`  (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    results.push(r);
  }

  const table = markdownTable(results);
  const md =
    `Measured ${new Date().toISOString()} on ${machine}; 1-minute load average ${loadAtStart} at start, ` +
    `${loadavg()[0].toFixed(2)} at end.\nCommand: npm run bench -- ${process.argv.slice(2).join(' ')}\n\n${table}`;
  writeFileSync(join(resultsDir, 'latest.md'), md);
  console.log(`\n${table}`);
  console.log(`written to ${join(resultsDir, 'latest.md')}`);
  if (profileDir) console.log(summarizeProfiles(profileDir));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
