// syslog drain URLs:
//   syslog+tcp://host:port[?framing=octet|lf]
//   syslog+tls://host:port[?ca=<base64 PEM>&insecure=true&cert=<base64 PEM>&key=<base64 PEM>&framing=...]
//   syslog+udp://host:port, syslog://host:port (UDP, as logtrain)
import { boolParam, drainUrlError } from '../url';

export type Framing = 'octet' | 'lf';

export interface SyslogDrainOptions {
  transport: 'tcp' | 'tls' | 'udp';
  host: string;
  port: number;
  framing: Framing;
  tls: { ca?: string; cert?: string; key?: string; insecure: boolean; servername?: string } | null;
}

export const syslogParams = ['framing', 'ca', 'insecure', 'cert', 'key'] as const;

export function parseSyslogUrl(u: URL, scheme: string): SyslogDrainOptions {
  const transport = scheme === 'syslog+tcp' ? 'tcp' : scheme === 'syslog+tls' ? 'tls' : 'udp';
  const raw = u.toString();
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw drainUrlError(raw, 'a host is required');
  if (!u.port) throw drainUrlError(raw, 'a port is required');
  const port = Number(u.port);
  if (!(port > 0 && port < 65536)) throw drainUrlError(raw, 'port must be 1-65535');
  const framing = u.searchParams.get('framing') ?? 'octet';
  if (framing !== 'octet' && framing !== 'lf') throw drainUrlError(raw, 'framing must be octet or lf');
  if (transport === 'udp' && u.searchParams.has('framing')) throw drainUrlError(raw, 'framing applies to tcp and tls only');
  let tls: SyslogDrainOptions['tls'] = null;
  if (transport === 'tls') {
    const pem = (key: string): string | undefined => {
      const v = u.searchParams.get(key);
      if (v === null) return undefined;
      const text = Buffer.from(v, 'base64').toString('utf8');
      if (!text.includes('-----BEGIN')) throw drainUrlError(raw, `${key} must be a base64-encoded PEM`);
      return text;
    };
    tls = { ca: pem('ca'), cert: pem('cert'), key: pem('key'), insecure: boolParam(u, 'insecure', false), servername: /^[\d.:]+$/.test(host) ? undefined : host };
    if ((tls.cert === undefined) !== (tls.key === undefined)) throw drainUrlError(raw, 'cert and key go together');
  } else {
    for (const k of ['ca', 'insecure', 'cert', 'key']) if (u.searchParams.has(k)) throw drainUrlError(raw, `${k} applies to syslog+tls only`);
  }
  return { transport, host, port, framing: framing as Framing, tls };
}
