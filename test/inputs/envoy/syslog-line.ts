// Splits an RFC 5424 message as a drain's receiver got it, independently of
// our encoder, so the end-to-end tests check what actually went over the wire.
export interface Received {
  facility: number;
  severity: number;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  sd: string;
  msg: string;
}

const RFC5424 = /^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (-|\[.*?\])(?: (.*))?$/s;

export function parseReceived(b: Buffer | string): Received {
  const s = typeof b === 'string' ? b : b.toString('utf8');
  const m = RFC5424.exec(s);
  if (!m) throw new Error(`not an RFC 5424 message: ${JSON.stringify(s.slice(0, 200))}`);
  const pri = Number(m[1]);
  return {
    facility: pri >> 3,
    severity: pri & 7,
    timestamp: m[2],
    hostname: m[3],
    appName: m[4],
    procId: m[5],
    msgId: m[6],
    sd: m[7],
    msg: m[8] ?? '',
  };
}

/** key=value pairs of one of our lines (values unquoted and unescaped). */
export function parseLine(line: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /([a-z_]+)=("(?:[^"\\]|\\.)*"|\S*)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line)) !== null) {
    let v = m[2];
    if (v.startsWith('"')) v = JSON.parse(v) as string;
    out.set(m[1], v);
  }
  return out;
}

/** Messages the drain itself injects (logplex-style L10 overflow notices), which are not entries. */
export function isDrainNotice(r: Received): boolean {
  return r.msgId === 'L10';
}
