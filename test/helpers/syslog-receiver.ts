// A real syslog receiver for tests: a TCP (or TLS) server that splits what it
// reads into frames (octet-counted or LF) and keeps them. It can stop reading
// (its kernel buffers then fill and the sender's writes stall), resume, and
// go down and come back on the same port.
import net from 'node:net';
import tls from 'node:tls';
import { listenOutsideEphemeralRange } from './ports';

export interface SyslogReceiver {
  port: number;
  url: string;
  messages: Buffer[];
  /** Connections accepted since start, and open now. */
  accepted(): number;
  open(): number;
  /** Messages as strings, for assertions. */
  lines(): string[];
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  /** Stop reading from every connection (and new ones). */
  stall(): void;
  unstall(): void;
  /** Close the listener and every connection; restart() listens again on the same port. */
  close(): Promise<void>;
  restart(): Promise<void>;
}

export async function startSyslogReceiver(opts: { framing?: 'octet' | 'lf'; port?: number; tls?: tls.TlsOptions } = {}): Promise<SyslogReceiver> {
  const framing = opts.framing ?? 'octet';
  const messages: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  let stalled = false;
  let waiters: Array<() => void> = [];
  const notify = (): void => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };

  const onSocket = (s: net.Socket): void => {
    sockets.add(s);
    accepted++;
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    if (stalled) s.pause();
    let pending: Buffer = Buffer.alloc(0);
    s.on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      let pos = 0;
      for (;;) {
        if (framing === 'lf') {
          const lf = pending.indexOf(10, pos);
          if (lf < 0) break;
          messages.push(Buffer.from(pending.subarray(pos, lf)));
          pos = lf + 1;
        } else {
          const sp = pending.indexOf(32, pos);
          if (sp < 0) break;
          const len = Number(pending.subarray(pos, sp).toString('latin1'));
          if (!Number.isInteger(len) || len <= 0) throw new Error(`receiver: bad octet count at ${pos}: ${pending.subarray(pos, pos + 20).toString()}`);
          if (sp + 1 + len > pending.length) break;
          messages.push(Buffer.from(pending.subarray(sp + 1, sp + 1 + len)));
          pos = sp + 1 + len;
        }
      }
      pending = pending.subarray(pos);
      notify();
    });
  };

  let server: net.Server;
  const listen = async (port: number): Promise<number> => {
    server = opts.tls ? tls.createServer(opts.tls, onSocket) : net.createServer(onSocket);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return (server.address() as net.AddressInfo).port;
  };
  const port = opts.port !== undefined ? await listen(opts.port) : await listenOutsideEphemeralRange(listen);
  const scheme = opts.tls ? 'syslog+tls' : 'syslog+tcp';

  const r: SyslogReceiver = {
    port,
    url: `${scheme}://127.0.0.1:${port}${framing === 'lf' ? '?framing=lf' : ''}`,
    messages,
    accepted: () => accepted,
    open: () => sockets.size,
    lines: () => messages.map((m) => m.toString('utf8')),
    waitFor(n, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const deadline = setTimeout(() => reject(new Error(`receiver got ${messages.length} of ${n} messages within ${timeoutMs} ms`)), timeoutMs);
        const check = (): void => {
          if (messages.length >= n) {
            clearTimeout(deadline);
            resolve();
          } else waiters.push(check);
        };
        check();
      });
    },
    stall() {
      stalled = true;
      for (const s of sockets) s.pause();
    },
    unstall() {
      stalled = false;
      for (const s of sockets) s.resume();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    async restart() {
      await listen(port);
    },
  };
  return r;
}

