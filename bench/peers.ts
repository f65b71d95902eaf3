// The peers we compare against, run as foreground child processes with a
// generated config in a temp dir (never the system service, never the
// system config), on their own ports. bench/README.md says how to install
// them; the bench itself installs nothing.
//
//   rsyslog:   imptcp (or imudp) in → omfwd out over TCP, octet-counted,
//              template "%rawmsg%" so the message leaves exactly as it
//              arrived; one action per destination for fan-out.
//   syslog-ng: syslog() source (network() for LF-framed RFC 3164) →
//              syslog() destination(s), flags(flow-control) so it slows the
//              sender instead of dropping.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeTcpPort, freeUdpPort } from './router-process';

export interface PeerProcess {
  name: string;
  pid: number;
  /** Input port (TCP or UDP, as asked). */
  port: number;
  stop(): Promise<void>;
}

/** What the peer listens for; the output is always octet-counted TCP. */
export interface PeerInput {
  proto: 'tcp' | 'udp';
  /** TCP: octet-counted RFC 5424 (default) or LF-framed RFC 3164. */
  framing?: 'octet' | 'lf';
}

export interface Peer {
  name: string;
  /** Why it cannot run here (with the install hint), or undefined. */
  unavailable(): string | undefined;
  /** Starts forwarding everything from its input to every 127.0.0.1:sinkPort (fan-out when several). */
  start(sinkPorts: number[], input?: PeerInput): Promise<PeerProcess>;
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

/** rsyslog.conf text; exported so the config can be read without running it. */
export function rsyslogConfig(dir: string, port: number, sinkPorts: number[], input: PeerInput): string {
  // imptcp accepts octet-counted and LF framing on the same port; imudp takes a datagram each.
  const inputs =
    input.proto === 'udp'
      ? `module(load="imudp")\ninput(type="imudp" address="127.0.0.1" port="${port}" ruleset="fwd")`
      : `module(load="imptcp")\ninput(type="imptcp" address="127.0.0.1" port="${port}" ruleset="fwd")`;
  const actions = sinkPorts
    .map(
      (p) => `  action(type="omfwd" target="127.0.0.1" port="${p}" protocol="tcp"
         TCP_Framing="octet-counted" template="asReceived")`,
    )
    .join('\n');
  return `global(workDirectory="${dir}" maxMessageSize="64k")
template(name="asReceived" type="string" string="%rawmsg%")
ruleset(name="fwd") {
${actions}
}
${inputs}
`;
}

/** syslog-ng.conf text. */
export function syslogNgConfig(port: number, sinkPorts: number[], input: PeerInput): string {
  // syslog() speaks RFC 5424 with octet counting (RFC 6587) on TCP, one
  // message per datagram on UDP; network() reads LF-framed RFC 3164.
  const source =
    input.proto === 'udp'
      ? `syslog(ip("127.0.0.1") port(${port}) transport("udp") so_rcvbuf(4194304))`
      : input.framing === 'lf'
        ? `network(ip("127.0.0.1") port(${port}) transport("tcp"))`
        : `syslog(ip("127.0.0.1") port(${port}) transport("tcp"))`;
  const dests = sinkPorts.map((p, i) => `destination d${i} { syslog("127.0.0.1" port(${p}) transport("tcp")); };`).join('\n');
  const uses = sinkPorts.map((_, i) => `destination(d${i});`).join(' ');
  // keep_hostname(yes): by default syslog-ng replaces the message's hostname
  // with the sender's (here "localhost"), which would defeat routing by it.
  return `@version: 3.38
options { stats_freq(0); keep_hostname(yes); chain_hostnames(no); use_dns(no); };
source s_in { ${source}; };
${dests}
log { source(s_in); ${uses} flags(flow-control); };
`;
}

const TCP: PeerInput = { proto: 'tcp', framing: 'octet' };

export const rsyslog: Peer = {
  name: 'rsyslog',
  unavailable: () =>
    rsyslogBinary() ? undefined : 'rsyslogd not found (set RSYSLOGD or: sudo apt-get install -y --no-install-recommends rsyslog)',
  async start(sinkPorts, input = TCP) {
    const dir = mkdtempSync(join(tmpdir(), 'bench-rsyslog-'));
    const port = input.proto === 'udp' ? await freeUdpPort() : await freeTcpPort();
    const conf = join(dir, 'rsyslog.conf');
    writeFileSync(conf, rsyslogConfig(dir, port, sinkPorts, input));
    // -n: foreground; -i: our own pid file so a system rsyslog is untouched.
    return startChild('rsyslog', rsyslogBinary()!, ['-n', '-f', conf, '-i', join(dir, 'pid')], {}, port, input, dir);
  },
};

export const syslogNg: Peer = {
  name: 'syslog-ng',
  unavailable: () =>
    syslogNgRoot()
      ? undefined
      : 'syslog-ng not found (set SYSLOG_NG_ROOT to a `dpkg -x` tree; see bench/README.md)',
  async start(sinkPorts, input = TCP) {
    const root = syslogNgRoot()!;
    const dir = mkdtempSync(join(tmpdir(), 'bench-syslog-ng-'));
    const port = input.proto === 'udp' ? await freeUdpPort() : await freeTcpPort();
    const conf = join(dir, 'syslog-ng.conf');
    writeFileSync(conf, syslogNgConfig(port, sinkPorts, input));
    const libDir = join(root, 'usr/lib/syslog-ng');
    const modDir = firstExisting([join(libDir, '3.38'), libDir]) ?? libDir;
    const args = ['-F', '-f', conf, `--module-path=${modDir}`, '-R', join(dir, 'persist'), '-p', join(dir, 'pid'), '-c', join(dir, 'ctl')];
    const env: Record<string, string> = root === '/' ? {} : { LD_LIBRARY_PATH: libDir };
    return startChild('syslog-ng', join(root, 'usr/sbin/syslog-ng'), args, env, port, input, dir);
  },
};

async function startChild(
  name: string,
  bin: string,
  args: string[],
  env: Record<string, string>,
  port: number,
  input: PeerInput,
  dir: string,
): Promise<PeerProcess> {
  const child = spawn(bin, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    if (stderr.length < 16384) stderr += d.toString();
  });
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  const deadline = Date.now() + 10_000;
  // A UDP input cannot be probed by connecting; its socket shows in /proc/net/udp.
  while (!(input.proto === 'udp' ? udpBound(port) : await canConnect(port))) {
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

function udpBound(port: number): boolean {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  return readFileSync('/proc/net/udp', 'utf8').split('\n').some((l) => l.slice(0, 40).includes(hex));
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
