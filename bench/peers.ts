// The peers we compare against, run as foreground child processes with a
// generated config in a temp dir (never the system service, never the
// system config), on their own ports. bench/README.md says how to install
// them; the bench itself installs nothing.
//
//   rsyslog:   imptcp in → omfwd out over TCP, octet-counted, template
//              "%rawmsg%" so the message leaves exactly as it arrived.
//   syslog-ng: syslog() source → syslog() destination, flags(flow-control)
//              so it slows the sender instead of dropping.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeTcpPort } from './router-process';

export interface PeerProcess {
  name: string;
  pid: number;
  /** TCP input port (octet-counted RFC 5424). */
  port: number;
  stop(): Promise<void>;
}

export interface Peer {
  name: string;
  /** Why it cannot run here (with the install hint), or undefined. */
  unavailable(): string | undefined;
  /** Starts forwarding everything from its input to 127.0.0.1:sinkPort. */
  start(sinkPort: number): Promise<PeerProcess>;
}

function firstExisting(paths: string[]): string | undefined {
  return paths.find((p) => existsSync(p));
}

/** rsyslogd from $RSYSLOGD, or the Debian package's path. */
function rsyslogBinary(): string | undefined {
  return firstExisting([process.env.RSYSLOGD ?? '', '/usr/sbin/rsyslogd'].filter(Boolean));
}

/** A syslog-ng tree: $SYSLOG_NG_ROOT, /opt/syslog-ng (dpkg -x), or / (apt install). */
function syslogNgRoot(): string | undefined {
  const roots = [process.env.SYSLOG_NG_ROOT ?? '', '/opt/syslog-ng', '/'].filter(Boolean);
  return roots.find((r) => existsSync(join(r, 'usr/sbin/syslog-ng')));
}

export const rsyslog: Peer = {
  name: 'rsyslog',
  unavailable: () =>
    rsyslogBinary() ? undefined : 'rsyslogd not found (set RSYSLOGD or: sudo apt-get install -y --no-install-recommends rsyslog)',
  async start(sinkPort) {
    const dir = mkdtempSync(join(tmpdir(), 'bench-rsyslog-'));
    const port = await freeTcpPort();
    const conf = join(dir, 'rsyslog.conf');
    writeFileSync(
      conf,
      `global(workDirectory="${dir}" maxMessageSize="64k")
module(load="imptcp")
template(name="asReceived" type="string" string="%rawmsg%")
ruleset(name="fwd") {
  action(type="omfwd" target="127.0.0.1" port="${sinkPort}" protocol="tcp"
         TCP_Framing="octet-counted" template="asReceived")
}
input(type="imptcp" address="127.0.0.1" port="${port}" ruleset="fwd")
`,
    );
    // -n: foreground; -i: our own pid file so a system rsyslog is untouched.
    return startChild('rsyslog', rsyslogBinary()!, ['-n', '-f', conf, '-i', join(dir, 'pid')], {}, port, dir);
  },
};

export const syslogNg: Peer = {
  name: 'syslog-ng',
  unavailable: () =>
    syslogNgRoot()
      ? undefined
      : 'syslog-ng not found (set SYSLOG_NG_ROOT to a `dpkg -x` tree; see bench/README.md)',
  async start(sinkPort) {
    const root = syslogNgRoot()!;
    const dir = mkdtempSync(join(tmpdir(), 'bench-syslog-ng-'));
    const port = await freeTcpPort();
    const conf = join(dir, 'syslog-ng.conf');
    writeFileSync(
      conf,
      `@version: 3.38
options { stats_freq(0); };
source s_in { syslog(ip("127.0.0.1") port(${port}) transport("tcp")); };
destination d_out { syslog("127.0.0.1" port(${sinkPort}) transport("tcp")); };
log { source(s_in); destination(d_out); flags(flow-control); };
`,
    );
    const libDir = join(root, 'usr/lib/syslog-ng');
    const modDir = firstExisting([join(libDir, '3.38'), libDir]) ?? libDir;
    const args = ['-F', '-f', conf, `--module-path=${modDir}`, '-R', join(dir, 'persist'), '-p', join(dir, 'pid'), '-c', join(dir, 'ctl')];
    const env: Record<string, string> = root === '/' ? {} : { LD_LIBRARY_PATH: libDir };
    return startChild('syslog-ng', join(root, 'usr/sbin/syslog-ng'), args, env, port, dir);
  },
};

async function startChild(
  name: string,
  bin: string,
  args: string[],
  env: Record<string, string>,
  port: number,
  dir: string,
): Promise<PeerProcess> {
  const child = spawn(bin, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    if (stderr.length < 16384) stderr += d.toString();
  });
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  const deadline = Date.now() + 10_000;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`${name} did not start: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    name,
    pid: child.pid!,
    port,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Probe the input port. The probe connection carries no data, so peers see an empty session. */
function canConnect(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}
