// The contract between the bench and the router, in one place: how to start
// it (environment), how to hand it routes, how to know it is ready, how to
// stop it. If the router's configuration changes, this is the file to adjust.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The compiled router entry point. */
export const ROUTER_MAIN = resolve(__dirname, '../src/main.js');

/**
 * The Node.js flags `npm start` runs the router with (package.json), so that
 * the bench measures what operators run. They tune V8's garbage collector
 * for a router's allocation pattern (see the README, Benchmarks).
 */
export function startFlags(): string[] {
  const pkg = JSON.parse(readFileSync(resolve(__dirname, '../../package.json'), 'utf8')) as { scripts: { start: string } };
  const words = pkg.scripts.start.split(/\s+/);
  if (words[0] !== 'node') throw new Error(`package.json's start script does not run node: ${pkg.scripts.start}`);
  return words.slice(1).filter((w) => w.startsWith('--'));
}

export interface RouterOptions {
  /** Routes as (hostname, drain URL); written to ROUTES_FILE. Ignored with databaseUrl. */
  routes?: ReadonlyArray<readonly [string, string]>;
  /** Routes from the drains table of this database instead of a file. */
  databaseUrl?: string;
  tls?: { certPem: string; keyPem: string };
  /** Write a V8 CPU profile into this directory (node --cpu-prof). */
  profileDir?: string;
  /** Extra environment, e.g. tuning knobs under test. */
  env?: Record<string, string>;
  /** How long to wait for /readyz. */
  readyTimeoutMs?: number;
}

export interface RouterPorts {
  tcp: number;
  udp: number;
  tls: number;
  http: number;
  envoy: number;
}

export interface RouterProcess {
  pid: number;
  ports: RouterPorts;
  /** Milliseconds from spawn to the first 200 from /readyz. */
  readyMs: number;
  /** The last lines the router logged (stdout and stderr), for "why" messages. */
  logTail(lines?: number): string;
  /** GET /metrics as text ('' when unavailable). */
  metrics(): Promise<string>;
  /** SIGTERM, wait for exit (the router flushes first); SIGKILL after graceMs. */
  stop(graceMs?: number): Promise<number | null>;
}

/** Why the router cannot be run at all, or undefined when it can. */
export function routerUnavailable(): string | undefined {
  if (!existsSync(ROUTER_MAIN)) return `router entry ${ROUTER_MAIN} not built (src/main.ts missing or tsc failed)`;
  return undefined;
}

export async function freeTcpPort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

/** A free UDP port (the syslog UDP input). */
export async function freeUdpPort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createSocket('udp4');
    s.once('error', rej);
    s.bind(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => res(port));
    });
  });
}

export async function startRouter(o: RouterOptions): Promise<RouterProcess> {
  const why = routerUnavailable();
  if (why) throw new Error(why);
  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  const ports: RouterPorts = {
    tcp: await freeTcpPort(),
    udp: await freeUdpPort(),
    tls: await freeTcpPort(),
    http: await freeTcpPort(),
    envoy: await freeTcpPort(),
  };
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    SYSLOG_TCP_PORT: String(ports.tcp),
    SYSLOG_UDP_PORT: String(ports.udp),
    SYSLOG_TLS_PORT: String(ports.tls),
    HTTP_PORT: String(ports.http),
    ENVOY_PORT: String(ports.envoy),
    ENVOY: 'false',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    ...o.env,
  };
  if (o.databaseUrl) env.DATABASE_URL = o.databaseUrl;
  else {
    const file = join(dataDir, 'routes.txt');
    writeFileSync(file, (o.routes ?? []).map(([h, u]) => `${h} ${u}\n`).join(''));
    env.ROUTES_FILE = file;
  }
  if (o.tls) {
    env.SYSLOG_TLS_CERT_PEM = o.tls.certPem;
    env.SYSLOG_TLS_KEY_PEM = o.tls.keyPem;
  }
  const nodeArgs = [...startFlags(), ...(o.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${o.profileDir}`] : [])];
  const started = Date.now();
  const child = spawn(process.execPath, [...nodeArgs, ROUTER_MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  // Keep the tail of the router's logs (JSON on stdout, crashes on stderr)
  // for error messages, without flooding the bench's own output.
  let stderr = '';
  const keep = (d: Buffer): void => {
    stderr += d.toString();
    if (stderr.length > 64 * 1024) stderr = stderr.slice(-32 * 1024);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const cleanup = (): void => rmSync(dataDir, { recursive: true, force: true });
  exited.then(cleanup, cleanup);

  try {
    await waitReady(child, ports.http, o.readyTimeoutMs ?? 60_000, () => stderr);
  } catch (e) {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
    throw e;
  }
  const readyMs = Date.now() - started;
  return {
    pid: child.pid!,
    ports,
    readyMs,
    logTail: (n = 3) => lastLines(stderr, n),
    metrics: async () => {
      try {
        const r = await fetch(`http://127.0.0.1:${ports.http}/metrics`);
        return r.ok ? await r.text() : '';
      } catch {
        return '';
      }
    },
    stop: async (graceMs = 30_000) => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
        const code = await exited;
        clearTimeout(t);
        return code;
      }
      return exited;
    },
  };
}

async function waitReady(child: ChildProcess, httpPort: number, timeoutMs: number, stderr: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`router exited (${child.exitCode ?? child.signalCode}) before ready: ${lastLines(stderr())}`);
    }
    try {
      const r = await fetch(`http://127.0.0.1:${httpPort}/readyz`);
      await r.arrayBuffer();
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`router not ready after ${timeoutMs} ms: ${lastLines(stderr())}`);
}

function lastLines(s: string, n = 5): string {
  return s.trim().split('\n').slice(-n).join(' | ') || '(nothing logged)';
}

/** Sum of a counter over all its label sets in Prometheus text, or undefined if absent. */
export function metricSum(text: string, name: string): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    const v = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(v)) sum = (sum ?? 0) + v;
  }
  return sum;
}
